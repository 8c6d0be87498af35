// The order test files start in: the slow ones first (longest first), so the forks finish together
// instead of one fork starting a two-minute file when the others are done. Vitest's own order
// (longest first by the durations it cached on this machine, else largest file first) sorts the rest.
// The list is the measured slowest files (about 20 s or more on 2 cores); a file missing from it is
// only scheduled less well.
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export const SLOW_FIRST = [
  'database-outage',
  'lifecycle-email',
  'continue-as-new',
  'crash',
  'fuzz',
  'browser',
  'wizard-paths',
  'deadlines',
  'provisioning-crash',
  'service-setup',
  'jobs-off-the-clock',
  'operations-processes',
  'schemathesis',
  'consent',
  'wizard-nb-browser',
  'desk-browser',
].map((name) => `${name}.test.ts`);

export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rest = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const index = SLOW_FIRST.indexOf(path.basename(file.moduleId));
      return index === -1 ? SLOW_FIRST.length : index;
    };
    // Array.prototype.sort is stable: files outside the list keep Vitest's order.
    return rest.sort((a, b) => rank(a) - rank(b));
  }
}
