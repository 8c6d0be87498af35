// Determinism: every recorded history (test/histories/<release>/, one per path of an order and
// release of the workflow code, recorded with scripts/record-histories.ts) replays against today's
// workflow code. A change to workflows/ that
// would break orders already running fails here, before it is deployed; see README, "Changing
// workflow code", for how to make such a change safely (patching).
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
/** Histories across a boundary (scripts/record-crossing-histories.ts): a patch, a continue-as-new. */
const CROSSING = ['local-database-activities', 'continue-as-new-first', 'continue-as-new-last'].map((name) => path.join('crossing', `${name}.json`));
const readHistory = (file: string) => JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')) as { events: Array<Record<string, unknown>> };
const scheduledActivities = (events: Array<Record<string, unknown>>) =>
  events
    .filter((event) => event.eventType === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED')
    .map((event) => (event.activityTaskScheduledEventAttributes as { activityType: { name: string } }).activityType.name);
const histories = () => files.map((file) => ({ workflowId: `replay-${path.dirname(file)}-${path.basename(file, '.json')}`, history: readHistory(file) }));
/** v1, v2, …: the release a recorded history belongs to, as a number. */
const releaseOf = (file: string) => Number(path.dirname(file).slice(1));

async function replayAll(workflowBundle: { codePath: string } | { code: string }): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle, dataConverter }, histories())) results.push(result);
  return results;
}

describe('recorded histories', () => {
  it('cover every path in every release: happy path, delegation, hold and resume, cancel, expiry, escalation, provisioning failure', () => {
    expect(releases).toContain(HISTORY_RELEASE);
    for (const release of releases) {
      const paths = files.filter((file) => path.dirname(file) === release).map((file) => path.basename(file, '.json'));
      expect(paths.sort(), release).toEqual([...RECORDED_PATHS].sort());
    }
    for (const file of files) expect(readHistory(file).events.at(-1)?.eventType, file).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
  });

  it('show the database work as regular activities before v2, as local activities (markers) from v2, and a wizard step’s event as a regular activity from v6', () => {
    for (const file of files) {
      const { events } = readHistory(file);
      const local = releaseOf(file) >= 2;
      expect(events.some((event) => event.eventType === 'EVENT_TYPE_MARKER_RECORDED'), file).toBe(local);
      // v2–v4 schedule regular activities only for emails and provisioning, which need their own queue
      // or retries; from v6 a wizard Update's event is written by one after its answer.
      if (releaseOf(file) < 6) expect(scheduledActivities(events).includes('recordOrderEvent'), file).toBe(!local);
    }
    expect(scheduledActivities(readHistory(path.join('v6', 'happy-path.json')).events)).toContain('recordOrderEvent');
  });

  it('replay against today’s workflow code without a determinism error', async () => {
    const results = await replayAll({ codePath: inject('workflowBundlePath') });
    expect(results.map((r) => r.workflowId).sort()).toEqual(histories().map((h) => h.workflowId).sort());
    expect(results.filter((r) => r.error).map((r) => `${r.workflowId}: ${String(r.error)}`)).toEqual([]);
  });

  it('cross the local-database-activities patch and a continue-as-new, and replay against today’s workflow code', async () => {
    const [crossing, canFirst, canLast] = CROSSING.map((file) => readHistory(file).events);
    // Started with regular activities for the database work, finished with local ones (markers) after the patch.
    expect(scheduledActivities(crossing!)).toContain('recordOrderEvent');
    expect(crossing!.some((event) => (event.markerRecordedEventAttributes as { markerName?: string } | undefined)?.markerName === 'core_local_activity')).toBe(true);
    expect(crossing!.at(-1)?.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    // One run hands over; the next starts from what it carried and completes.
    expect(canFirst!.at(-1)?.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW');
    expect((canLast![0]!.workflowExecutionStartedEventAttributes as { continuedExecutionRunId?: string }).continuedExecutionRunId).toBeTruthy();
    expect(canLast!.at(-1)?.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');

    const results: ReplayResult[] = [];
    const crossingHistories = CROSSING.map((file) => ({ workflowId: `replay-${path.basename(file, '.json')}`, history: readHistory(file) }));
    for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter }, crossingHistories)) results.push(result);
    expect(results).toHaveLength(CROSSING.length);
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
