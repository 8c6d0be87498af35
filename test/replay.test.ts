// Determinism: every recorded history (test/histories, one per path of an order, recorded with
// scripts/record-histories.ts) replays against today's workflow code. A change to workflows/ that
// would break orders already running fails here, before it is deployed; see README, "Changing
// workflow code", for how to make such a change safely (patching).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, type ReplayResult, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, inject, it } from 'vitest';
import { HISTORIES_DIR, RECORDED_PATHS, replayDataConverter } from '../scripts/record-histories.js';
import { FAILURE_CONVERTER_PATH } from '../temporal/data-converter.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// The histories' payloads are encrypted, like production's: replay decrypts them with the key they were recorded with.
const dataConverter = replayDataConverter();

const files = readdirSync(HISTORIES_DIR).filter((name) => name.endsWith('.json'));
const histories = () =>
  files.map((file) => ({ workflowId: `replay-${path.basename(file, '.json')}`, history: JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')) }));

async function replayAll(workflowBundle: { codePath: string } | { code: string }): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle, dataConverter }, histories())) results.push(result);
  return results;
}

describe('recorded histories', () => {
  it('cover every path: happy path, delegation, hold and resume, cancel, expiry, escalation, provisioning failure', () => {
    expect(files.map((file) => path.basename(file, '.json')).sort()).toEqual([...RECORDED_PATHS].sort());
    for (const { workflowId, history } of histories()) {
      const events = history.events as Array<{ eventType: string }>;
      expect(events.at(-1)?.eventType, workflowId).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    }
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
