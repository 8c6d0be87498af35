// `npm run bench`: every bench, one after another, each in a process of its own with its own dev
// server and database, sharing one workflow bundle. The scale bench goes last and gets whatever is
// left of the run's time budget. Prints a summary and writes bench/results/summary.json.
//
//   npm run bench -- [--quick] [--database-url <admin url>] [--only a,b] [--budget-seconds N]
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BENCH_OPTIONS, bundleOrderWorkflows, intArg, ROOT } from './support/environment.js';
import { type BenchResult, headlineTable, machineInfo, RESULTS_DIR, writeResult } from './support/report.js';

const BENCHES = ['cold-start', 'wizard-latency', 'update-floor', 'update-vs-signal', 'intake-throughput', 'timer-burst', 'webhook-lag', 'personal-data-sweep', 'scale'] as const;
type BenchName = (typeof BENCHES)[number];
/** Setup, teardown and reporting of the scale bench around its own time budget. */
const SCALE_OVERHEAD_SECONDS = 75;

const { values: args } = parseArgs({ options: { ...BENCH_OPTIONS, only: { type: 'string' }, 'budget-seconds': { type: 'string' } }, strict: true });
const budgetSeconds = intArg('budget-seconds', args['budget-seconds'], 14 * 60);
const only = args.only?.split(',').map((name) => name.trim());
const unknown = only?.filter((name) => !(BENCHES as readonly string[]).includes(name));
if (unknown?.length) throw new Error(`--only names unknown benches: ${unknown.join(', ')} (known: ${BENCHES.join(', ')})`);
const selected = BENCHES.filter((name) => !only || only.includes(name));

const machine = machineInfo();
const startedAt = new Date();
const scratch = await mkdtemp(path.join(tmpdir(), 'orders-bench-run-'));
const outcomes: Array<{ bench: BenchName; exitCode: number | null; seconds: number }> = [];
try {
  console.error(`[bench] load average at start: ${machine.loadAverageAtStart.join(' / ')} on ${machine.cpus} CPUs; bundling the workflows once`);
  const bundle = await bundleOrderWorkflows(path.join(scratch, 'workflow-bundle.js'));
  for (const bench of selected) {
    const flags = [...(args['database-url'] ? ['--database-url', args['database-url']] : []), '--workflow-bundle', bundle, ...(args.quick ? ['--quick'] : [])];
    if (bench === 'scale' && !args.quick) {
      const left = budgetSeconds - (Date.now() - startedAt.getTime()) / 1000 - SCALE_OVERHEAD_SECONDS;
      flags.push('--budget-seconds', String(Math.max(60, Math.floor(left))));
    }
    console.error(`\n[bench] ${bench} ${flags.slice(4).join(' ')}`.trimEnd());
    const began = Date.now();
    const exitCode = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', `${bench}.ts`), ...flags], { stdio: 'inherit' });
      child.once('exit', (code) => resolve(code));
    });
    outcomes.push({ bench, exitCode, seconds: Math.round((Date.now() - began) / 1000) });
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}

const results: BenchResult[] = [];
for (const { bench, exitCode } of outcomes) {
  if (exitCode !== 0) continue;
  const file = path.join(RESULTS_DIR, args.quick ? `${bench}.quick.tmp` : `${bench}.json`);
  results.push(JSON.parse(await readFile(file, 'utf8')) as BenchResult);
}
const headlines = results.flatMap((r) => r.headlines.map((h) => ({ ...h, figure: `${r.bench}: ${h.figure}` })));
const durationSeconds = Math.round((Date.now() - startedAt.getTime()) / 1000);
const summary: BenchResult = {
  bench: 'summary',
  title: 'npm run bench: every bench in one run',
  startedAt: startedAt.toISOString(),
  durationSeconds,
  machine,
  settings: { quick: args.quick, budgetSeconds, benches: selected },
  headlines,
  details: { runs: outcomes, loadAverageAtEachStart: Object.fromEntries(results.map((r) => [r.bench, r.machine.loadAverageAtStart])) },
  notes: outcomes.filter((o) => o.exitCode !== 0).map((o) => `${o.bench} failed (exit ${o.exitCode})`),
};
console.log(`\n== Summary: ${durationSeconds} s; load average at start ${machine.loadAverageAtStart.join(' / ')} on ${machine.cpus} CPUs ==`);
console.log(headlineTable(headlines));
for (const note of summary.notes) console.log(`note: ${note}`);
console.log(`\nwrote ${await writeResult(summary, { quick: args.quick })}`);
if (outcomes.some((o) => o.exitCode !== 0)) process.exitCode = 1;
