// What every bench prints and writes: the machine and its load at the start, percentiles, a
// plain-text table, and bench/results/<name>.json (<name>.tmp for --quick runs, which git ignores).
import { mkdir, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../results');

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
  /** os.loadavg() when the bench started: 1, 5 and 15 minutes. Above the CPU count, others were busy too. */
  loadAverageAtStart: [number, number, number];
}

export function machineInfo(): MachineInfo {
  const [one, five, fifteen] = os.loadavg().map((v) => Math.round(v * 100) / 100) as [number, number, number];
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverageAtStart: [one, five, fifteen],
  };
}

export interface Percentiles {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of `values` (milliseconds, or whatever unit they are in). */
export function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { count: 0, mean: NaN, p50: NaN, p90: NaN, p99: NaN, max: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  const mean = sorted.reduce((sum, v) => sum + v, 0) / sorted.length;
  return { count: sorted.length, mean: round(mean), p50: round(at(50)), p90: round(at(90)), p99: round(at(99)), max: round(sorted.at(-1)!) };
}

export const round = (value: number, digits = 2): number => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

export const ratio = (value: number, baseline: number): number => round(value / baseline, 3);

/** One figure the bench is judged by: a ratio to a baseline of the same run, and its target. */
export interface Headline {
  figure: string;
  value: number;
  unit: string;
  baseline?: { figure: string; value: number };
  ratio?: number;
  target: string;
  met: boolean;
}

export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((row) => row.map((cell) => (typeof cell === 'number' ? formatNumber(cell) : cell)))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => String(row[column] ?? '').length)));
  const line = (row: Array<string | number>) => row.map((cell, column) => String(cell).padEnd(widths[column]!)).join('  ').trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** A table of percentiles, one row per named measure. */
export function percentilesTable(first: string, rows: Array<[string, Percentiles]>): string {
  return table(
    [first, 'n', 'p50', 'p90', 'p99', 'max'],
    rows.map(([name, p]) => [name, p.count, p.p50, p.p90, p.p99, p.max]),
  );
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
}

export function headlineTable(headlines: Headline[]): string {
  return table(
    ['figure', 'value', 'baseline', 'ratio', 'target', 'met'],
    headlines.map((h) => [
      h.figure,
      `${formatNumber(h.value)} ${h.unit}`.trim(),
      h.baseline ? `${h.baseline.figure} ${formatNumber(h.baseline.value)}` : '',
      h.ratio === undefined ? '' : `${formatNumber(h.ratio)}×`,
      h.target,
      h.met ? 'yes' : 'NO',
    ]),
  );
}

export interface BenchResult {
  bench: string;
  title: string;
  startedAt: string;
  durationSeconds: number;
  machine: MachineInfo;
  /** Sizes and settings of this run (quick runs use small ones). */
  settings: Record<string, unknown>;
  headlines: Headline[];
  details: Record<string, unknown>;
  notes: string[];
}

/** Writes the result atomically; quick runs go to a .tmp file so committed results stay the full run's. */
export async function writeResult(result: BenchResult, { quick }: { quick: boolean }): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, quick ? `${result.bench}.quick.tmp` : `${result.bench}.json`);
  const partial = `${file}.${process.pid}.tmp`;
  await writeFile(partial, `${JSON.stringify(result, null, 2)}\n`);
  await rename(partial, file);
  return file;
}

/** Prints the bench's tables and headlines the same way for every script. */
export function printResult(result: BenchResult, sections: Array<{ title: string; body: string }>): void {
  const [one, five, fifteen] = result.machine.loadAverageAtStart;
  console.log(`\n== ${result.title} ==`);
  console.log(`${result.machine.cpus} × ${result.machine.cpuModel}, ${result.machine.memoryGiB} GiB, Node ${result.machine.node}; load average at start ${one} / ${five} / ${fifteen}`);
  for (const section of sections) console.log(`\n${section.title}\n${section.body}`);
  console.log(`\nHeadlines\n${headlineTable(result.headlines)}`);
  for (const note of result.notes) console.log(`note: ${note}`);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns something other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, { timeoutMs = 60_000, intervalMs = 50 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
