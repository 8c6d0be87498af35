// Each test process: Temporal's SDK logs only warnings, so test output shows what matters.
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('WARN') });
