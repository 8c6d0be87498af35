// Determinism: every recorded history (test/histories/<release>/, one per path of an order and
// release of the workflow code still running, recorded with scripts/record-histories.ts) replays
// against today's workflow code. A change to workflows/ that would break orders already running
// fails here, before it is deployed; docs/workflow-versions.md says how such a change ships.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, type ReplayResult, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, inject, it } from 'vitest';
import { HISTORIES_DIR, HISTORY_RELEASE, RECORDED_PATHS, replayDataConverter } from '../scripts/record-histories.js';
import { FAILURE_CONVERTER_PATH } from '../temporal/data-converter.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// The histories' payloads are encrypted, like production's: replay decrypts them with the key they were recorded with.
const dataConverter = replayDataConverter();

const releases = readdirSync(HISTORIES_DIR)
  .filter((name) => /^v\d+$/.test(name))
  .sort();
const files = releases.flatMap((release) =>
  readdirSync(path.join(HISTORIES_DIR, release))
    .filter((name) => name.endsWith('.json'))
    .map((name) => path.join(release, name)),
);
/** `<path>-run<k>.json`: a run of that path's order that continued as new. */
const HANDED_OVER = /-run\d+$/;
const readHistory = (file: string) => JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')) as { events: Array<Record<string, unknown>> };
const scheduledActivities = (events: Array<Record<string, unknown>>) =>
  events
    .filter((event) => event.eventType === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED')
    .map((event) => (event.activityTaskScheduledEventAttributes as { activityType: { name: string } }).activityType.name);
const histories = () => files.map((file) => ({ workflowId: `replay-${path.dirname(file)}-${path.basename(file, '.json')}`, history: readHistory(file) }));

async function replayAll(workflowBundle: { codePath: string } | { code: string }): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle, dataConverter }, histories())) results.push(result);
  return results;
}

describe('recorded histories', () => {
  it('cover every path in every release: happy path, delegation, hold and resume, cancel, expiry, escalation, provisioning failure, continue-as-new', () => {
    expect(releases).toContain(HISTORY_RELEASE);
    for (const release of releases) {
      const names = files.filter((file) => path.dirname(file) === release).map((file) => path.basename(file, '.json'));
      expect(names.filter((name) => !HANDED_OVER.test(name)).sort(), release).toEqual([...RECORDED_PATHS].sort());
      // The continue-as-new path hands over at least once; its last run starts from what the one before carried.
      expect(names, release).toContain('continue-as-new-run1');
      const last = readHistory(path.join(release, 'continue-as-new.json')).events;
      expect((last[0]!.workflowExecutionStartedEventAttributes as { continuedExecutionRunId?: string }).continuedExecutionRunId, release).toBeTruthy();
    }
    for (const file of files) {
      const ending = HANDED_OVER.test(path.basename(file, '.json')) ? 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW' : 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED';
      expect(readHistory(file).events.at(-1)?.eventType, file).toBe(ending);
    }
  });

  it('show the database work as local activities (markers) and a wizard step’s event as a regular activity after its answer', () => {
    for (const file of files) expect(readHistory(file).events.some((event) => event.eventType === 'EVENT_TYPE_MARKER_RECORDED'), file).toBe(true);
    expect(scheduledActivities(readHistory(path.join(HISTORY_RELEASE, 'happy-path.json')).events)).toContain('recordOrderEvent');
  });

  it('replay against today’s workflow code without a determinism error', async () => {
    const results = await replayAll({ codePath: inject('workflowBundlePath') });
    expect(results.map((r) => r.workflowId).sort()).toEqual(histories().map((h) => h.workflowId).sort());
    expect(results.filter((r) => r.error).map((r) => `${r.workflowId}: ${String(r.error)}`)).toEqual([]);
  });

  it('fail against a workflow changed without a patch', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: path.join(here, 'fixtures/changed-workflow.ts'),
      failureConverterPath: FAILURE_CONVERTER_PATH,
      logger: new DefaultLogger('WARN'),
    });
    const results = await replayAll({ code });
    expect(results).toHaveLength(files.length);
    for (const result of results) expect(result.error, result.workflowId).toBeInstanceOf(DeterminismViolationError);
  });
});
