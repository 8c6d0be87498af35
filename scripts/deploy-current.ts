// `npm run deploy:current` (`node dist/scripts/deploy-current.js` in production): the deploy step
// that makes a build the current version of the workers' Worker Deployment, once its workers poll
// every task queue. New orders and, at their next task, the open ones (AUTO_UPGRADE) then run on
// it; the previous version drains. docs/workflow-versions.md has the whole procedure.
//
//   npm run deploy:current                         # this checkout's build (TEMPORAL_BUILD_ID or git)
//   npm run deploy:current -- --build-id 0.1.0+3e488ca   # another one: a rollback
//   npm run deploy:current -- --describe           # only show the deployment's versions
import { parseArgs } from 'node:util';
import { Connection } from '@temporalio/client';
import { loadConfigOrExit } from '../config.js';
import { temporalConnectionOptions } from '../temporal/connection.js';
import { describeDeployment, setCurrentVersion } from '../temporal/deployment.js';
import { deploymentTaskQueues } from '../worker.js';

const { values } = parseArgs({
  options: { 'build-id': { type: 'string' }, describe: { type: 'boolean', default: false }, 'timeout-seconds': { type: 'string', default: '120' } },
  strict: true,
});
const config = loadConfigOrExit();
const connection = await Connection.connect(temporalConnectionOptions(config, config.temporal.address ?? '127.0.0.1:7233'));
const { namespace } = config.temporal;
const deploymentName = config.temporal.deployment.name;
try {
  if (!values.describe) {
    const buildId = values['build-id'] ?? config.temporal.deployment.buildId;
    const previous = await setCurrentVersion(connection.workflowService, {
      namespace,
      version: { deploymentName, buildId },
      taskQueues: deploymentTaskQueues(config),
      timeoutMs: Number(values['timeout-seconds']) * 1000,
      identity: 'npm run deploy:current',
    });
    console.log(`[deploy] ${deploymentName}: ${buildId} is current${previous ? ` (was ${previous}; it drains as its orders move on)` : ''}`);
  }
  const summary = await describeDeployment(connection.workflowService, namespace, deploymentName);
  for (const version of summary.versions) console.log(`[deploy]   ${version.buildId}  ${version.status}${version.drainage ? ` (${version.drainage})` : ''}`);
} catch (error) {
  console.error(`[deploy] failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await connection.close();
}
