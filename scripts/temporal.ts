// `npm run temporal -- <args>`: the Temporal CLI this project installed (it is not on PATH), e.g.
// `npm run temporal -- workflow list --address 127.0.0.1:7233`.
import { spawn } from 'node:child_process';
import { ensureTemporalCli } from './temporal-binaries.js';

const cli = spawn(await ensureTemporalCli(), process.argv.slice(2), { stdio: 'inherit' });
// Ctrl-C reaches the CLI through the terminal's process group; a signal sent to this process alone is passed on.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => cli.kill(signal));
cli.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 128 : 1);
});
