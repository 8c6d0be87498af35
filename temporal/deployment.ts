// Worker Deployment Versioning (docs/workflow-versions.md): the version the workers of this build
// poll as, and making a version current, so its workers get the deployment's tasks (new orders and,
// with AUTO_UPGRADE, the open ones at their next task).
import type { WorkerDeploymentVersion } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { Config } from '../config.js';

type WorkflowService = temporal.api.workflowservice.v1.WorkflowService;

/** The version this process's workers poll as. */
export const deploymentVersion = (config: Config): WorkerDeploymentVersion => ({
  deploymentName: config.temporal.deployment.name,
  buildId: config.temporal.deployment.buildId,
});

/** Temporal's task queue types (temporal.api.enums.v1.TaskQueueType), without the proto package at run time. */
const TASK_QUEUE_TYPE = { workflow: 1, activity: 2 } as const;

export interface ExpectedTaskQueue {
  name: string;
  type: keyof typeof TASK_QUEUE_TYPE;
}

export interface SetCurrentOptions {
  namespace: string;
  version: WorkerDeploymentVersion;
  /**
   * Wait until the version's workers poll every one of these before switching, so no queue of
   * the deployment is left without a current poller for a moment.
   */
  taskQueues?: ExpectedTaskQueue[];
  /** How long to wait for the version's pollers to reach the server; default 60 s. */
  timeoutMs?: number;
  identity?: string;
  /**
   * Switch before the version's first poll reaches the server (a worker of this process that is
   * starting makes its own version current: saves the wait). Never for another process's build.
   */
  allowNoPollers?: boolean;
  /** Aborted: stop trying (the workers stopped) and resolve undefined. */
  signal?: AbortSignal;
}

/**
 * Makes `version` the deployment's current version, once its workers poll (a version exists on
 * the server only after its first poll). Idempotent: a version already current stays so.
 * Returns the build id that was current before (undefined: none, or this one).
 */
export async function setCurrentVersion(service: WorkflowService, { namespace, version, taskQueues = [], timeoutMs = 60_000, identity, signal, allowNoPollers = false }: SetCurrentOptions): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) return undefined;
    try {
      if (taskQueues.length > 0) {
        const described = await service.describeWorkerDeploymentVersion({ namespace, deploymentVersion: version });
        const polled = described.workerDeploymentVersionInfo?.taskQueueInfos ?? [];
        const missing = taskQueues.filter((queue) => !polled.some((info) => info.name === queue.name && info.type === TASK_QUEUE_TYPE[queue.type]));
        if (missing.length > 0) throw new Error(`version ${version.buildId} has no pollers yet on ${missing.map((q) => `${q.name} (${q.type})`).join(', ')}`);
      }
      const response = await service.setWorkerDeploymentCurrentVersion({ namespace, deploymentName: version.deploymentName, buildId: version.buildId, allowNoPollers, ...(identity ? { identity } : {}) });
      const previous = response.previousDeploymentVersion?.buildId ?? undefined;
      return previous && previous !== version.buildId ? previous : undefined;
    } catch (error) {
      // Not found / no pollers until the workers' first polls reach the server; a conflict when another process switched at the same moment.
      lastError = error;
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** attempt, 200)));
    }
  }
  throw new Error(`Could not make ${version.deploymentName} ${version.buildId} the current version within ${timeoutMs} ms: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
}

export interface DeploymentSummary {
  current: string | undefined;
  ramping: { buildId: string; percentage: number } | undefined;
  versions: Array<{ buildId: string; status: string; drainage: string | undefined }>;
}

/** The deployment's routing and its versions, names instead of enum numbers (for scripts and tests). */
export async function describeDeployment(service: WorkflowService, namespace: string, deploymentName: string): Promise<DeploymentSummary> {
  const { workerDeploymentInfo: info } = await service.describeWorkerDeployment({ namespace, deploymentName });
  const routing = info?.routingConfig;
  const statusNames = ['UNSPECIFIED', 'INACTIVE', 'CURRENT', 'RAMPING', 'DRAINING', 'DRAINED'];
  const drainageNames = [undefined, 'DRAINING', 'DRAINED'];
  return {
    current: routing?.currentDeploymentVersion?.buildId ?? undefined,
    ramping: routing?.rampingDeploymentVersion?.buildId ? { buildId: routing.rampingDeploymentVersion.buildId, percentage: routing.rampingVersionPercentage ?? 0 } : undefined,
    versions: (info?.versionSummaries ?? []).map((summary) => ({
      buildId: summary.deploymentVersion?.buildId ?? '',
      status: statusNames[summary.status ?? 0] ?? String(summary.status),
      drainage: drainageNames[summary.drainageStatus ?? 0] ?? undefined,
    })),
  };
}
