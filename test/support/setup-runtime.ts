// Each test process: the Temporal SDK logs warnings and errors only, and its Rust core's lines are
// forwarded to the same logger instead of written to stderr, so both go through test-logs.ts.
import { Runtime } from '@temporalio/worker';
import { testTemporalLogger } from './test-logs.js';

// A fork that runs several files (isolate: false) installs the runtime once.
if (!(globalThis as { __temporalRuntimeInstalled?: boolean }).__temporalRuntimeInstalled) {
  (globalThis as { __temporalRuntimeInstalled?: boolean }).__temporalRuntimeInstalled = true;
  Runtime.install({ logger: testTemporalLogger(), telemetryOptions: { logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } } } });
}
