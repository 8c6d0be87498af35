// `npm run test:simulate` (.ci/run): two short simulations with every fault kind, one with a fixed
// seed and one with a seed taken from the commit, so each commit also explores a world of its own
// while the fixed one stays comparable from commit to commit. They run side by side (mostly
// waiting: people, timers, activity timeouts after a kill), each report printed whole when it
// ends. A failure is replayed with `npm run simulate -- --seed <n> --orders 6 --faults all --minutes 1`.
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIXED_SEED = 1;
const SHORT_RUN = ['--orders', '6', '--faults', 'all', '--minutes', '1'];

/** The commit's first 7 hex digits as a number; the fixed seed again outside a git checkout. */
async function commitSeed(): Promise<number> {
  try {
    const { stdout } = await promisify(execFile)('git', ['rev-parse', '--short=7', 'HEAD'], { cwd: root });
    return Number.parseInt(stdout.trim(), 16);
  } catch {
    return FIXED_SEED + 1;
  }
}

function simulate(seed: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'simulator/main.ts'), '--seed', String(seed), ...SHORT_RUN], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += String(chunk)));
  child.stderr.on('data', (chunk: Buffer) => (output += String(chunk)));
  return new Promise((resolve) =>
    child.once('close', (code) => {
      process.stdout.write(`--- simulate --seed ${seed}\n${output}`);
      resolve(code ?? 1);
    }),
  );
}

const codes = await Promise.all([simulate(FIXED_SEED), simulate(await commitSeed())]);
process.exit(codes.every((code) => code === 0) ? 0 : 1);
