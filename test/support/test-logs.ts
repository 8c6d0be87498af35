// Where everything a test process logs goes: through `console`, which Vitest (`silent: 'passed-only'`
// in vitest.config.ts) keeps with the test that was running and prints only if that test fails. The
// Temporal SDK and its Rust core (setup-runtime.ts), the in-process API's warnings (harness.ts) and
// the output of the processes a test starts (`captureOutput`) all come here, so a passing run is quiet
// and a failing test shows what its processes said.
import type { ChildProcess } from 'node:child_process';
import { formatWithOptions } from 'node:util';
import type { Info } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';

const format = formatWithOptions.bind(undefined, { colors: false, breakLength: Infinity, depth: 6 });

/** The Temporal SDK's log function for test processes: warnings and errors, through `console`. */
export function logTemporalEntry({ level, message, meta }: LogEntry): void {
  const line = `[temporal ${level}] ${message}${meta === undefined ? '' : ` ${format(meta)}`}`;
  if (level === 'WARN' || level === 'ERROR') console.error(line);
  else console.log(line);
}

/** A Temporal logger (Runtime, bundler, replayer) whose lines are shown for failed tests only. */
export const testTemporalLogger = (): DefaultLogger => new DefaultLogger('WARN', logTemporalEntry);

/** An activity's context outside a worker (`MockActivityEnvironment`), logging like the test's workers. */
export const activityEnvironment = (info?: Partial<Info>): MockActivityEnvironment => new MockActivityEnvironment(info, { logger: testTemporalLogger() });

/**
 * Collects a child process's stdout and stderr (for the test to read) and passes each line on to
 * `console`, named after `name`, so a failing test shows what its processes printed.
 */
export function captureOutput(child: ChildProcess, name: string): { stdout(): string; stderr(): string; all(): string } {
  let [stdout, stderr, all] = ['', '', ''];
  const forward = (print: (line: string) => void) => {
    let partial = '';
    return {
      data(chunk: unknown) {
        const lines = (partial + String(chunk)).split('\n');
        partial = lines.pop()!;
        for (const line of lines) print(`[${name} ${child.pid}] ${line}`);
      },
      end() {
        if (partial) print(`[${name} ${child.pid}] ${partial}`);
        partial = '';
      },
    };
  };
  const out = forward((line) => console.log(line));
  const err = forward((line) => console.error(line));
  child.stdout?.on('data', (chunk) => {
    stdout += String(chunk);
    all += String(chunk);
    out.data(chunk);
  });
  child.stdout?.on('end', out.end);
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
    all += String(chunk);
    err.data(chunk);
  });
  child.stderr?.on('end', err.end);
  return { stdout: () => stdout, stderr: () => stderr, all: () => all };
}
