// The fault injector: each planned fault at its moment, against the real processes and stand-ins
// of simulator/world.ts. Webex's faults (5xx, 429, asynchronous errors) join FAULT_KINDS and the
// switch below once the Webex stand-in exists (integrations/webex/); none is faked meanwhile.
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { orderWorkflowId } from '../domain/order.js';
import type { FaultKind, Plan, PlannedFault, PlannedOrder } from './plan.js';
import type { World } from './world.js';

const run = promisify(execFile);

/** What happened when: printed in the report and counted on the last line. */
export interface InjectedFault {
  at: number;
  kind: FaultKind;
  detail: string;
}

export class FaultInjector {
  readonly injected: InjectedFault[] = [];
  private readonly held = new Map<string, PlannedFault>();

  constructor(
    private readonly world: World,
    private readonly plan: Plan,
    private readonly elapsed: () => number,
    private readonly log: (line: string) => void,
  ) {
    for (const fault of plan.faults) if (fault.kind === 'step8-lock') this.held.set(plan.orders[fault.orderIndex!]!.orderId, fault);
  }

  /** Runs every fault that happens at a moment; resolves when the last has ended. */
  async play(): Promise<void> {
    await Promise.all(
      this.plan.faults
        .filter((fault) => fault.kind !== 'step8-lock')
        .map(async (fault) => {
          await sleep(Math.max(0, fault.at - this.elapsed()) * 1000);
          await this.inject(fault).catch((error: unknown) => this.log(`fault ${fault.kind} at ${fault.at}s failed: ${(error as Error).message}`));
        }),
    );
  }

  private note(kind: FaultKind, detail: string) {
    this.injected.push({ at: Math.round(this.elapsed()), kind, detail });
    this.log(`fault at ${Math.round(this.elapsed())}s: ${kind} (${detail})`);
  }

  private async inject(fault: PlannedFault): Promise<void> {
    const { world } = this;
    switch (fault.kind) {
      case 'worker-kill':
        this.note(fault.kind, `SIGKILL, restarted ${fault.seconds}s later`);
        await world.worker.kill();
        await sleep(fault.seconds * 1000);
        return world.worker.restart();
      case 'api-kill':
        this.note(fault.kind, `SIGKILL, restarted ${fault.seconds}s later`);
        await world.api.kill();
        await sleep(fault.seconds * 1000);
        return world.api.restart();
      case 'postgres-restart':
        this.note(fault.kind, `stopped for ${fault.seconds}s`);
        return world.restartPostgres(fault.seconds);
      case 'temporal-restart':
        this.note(fault.kind, `stopped for ${fault.seconds}s, same database file`);
        return world.restartTemporal(fault.seconds);
      case 'resend-5xx':
        this.note(fault.kind, `the next ${fault.seconds} requests answered 500`);
        return world.resend.failNext(500, fault.seconds);
      case 'resend-429':
        this.note(fault.kind, `the next ${fault.seconds} requests answered 429`);
        return world.resend.failNext(429, fault.seconds);
      case 'resend-timeout':
        // Longer than the email activity's 30 s: the worker gives up, the email may still go.
        this.note(fault.kind, `the next ${Math.ceil(fault.seconds / 3)} requests answered after 35 s`);
        return world.resend.delayNext(35_000, Math.ceil(fault.seconds / 3));
      case 'webhook-down':
        this.note(fault.kind, `the receiver is down for ${fault.seconds}s`);
        return world.webhookReceiverDown(fault.seconds);
      case 'workflow-reset':
        return this.reset(this.plan.orders[fault.orderIndex!]!);
      case 'step8-lock':
        throw new Error('step8-lock is applied as its order confirms (beforeConfirm)');
    }
  }

  /** `temporal workflow reset --type FirstWorkflowTask` of a running order, as an operator would. */
  private async reset(order: PlannedOrder): Promise<void> {
    const args = ['workflow', 'reset', '--workflow-id', orderWorkflowId(order.orderId), '--type', 'FirstWorkflowTask', '--reason', 'simulator fault', '--address', this.world.temporalAddress, '--yes'];
    try {
      await run(this.world.temporalCli, args, { timeout: 30_000 });
      this.note('workflow-reset', `${order.orderId} reset to its first workflow task`);
    } catch (error) {
      // Not started yet, or already ended: nothing to reset.
      this.log(`workflow-reset of ${order.orderId} skipped: ${((error as { stderr?: string }).stderr ?? (error as Error).message).trim().split('\n')[0]}`);
    }
  }

  /**
   * The held database lock: step 8's commit takes the order's advisory lock
   * (activities/organizations.ts); a separate connection holds it for a few seconds while the
   * order confirms. The confirmation goes on at once; the lock is let go in the background.
   */
  async beforeConfirm(order: PlannedOrder): Promise<void> {
    const fault = this.held.get(order.orderId);
    if (!fault) return;
    this.held.delete(order.orderId);
    const sql = postgres(this.world.postgresUrl(), { max: 1, onnotice: () => {} });
    let taken: () => void = () => {};
    const lockTaken = new Promise<void>((resolve) => (taken = resolve));
    const holding = sql
      .begin(async (tx) => {
        await tx`select pg_advisory_xact_lock(hashtextextended(${`order-configuration:${order.orderId}`}, 0))`;
        this.note('step8-lock', `${order.orderId}'s step-8 lock held for ${fault.seconds}s while it confirms`);
        taken();
        // The transaction, and with it the lock, ends when this does.
        await sleep(fault.seconds * 1000);
      })
      .catch((error: unknown) => this.log(`step8-lock of ${order.orderId} failed: ${(error as Error).message}`))
      .finally(() => {
        taken();
        void sql.end({ timeout: 1 });
      });
    void holding;
    await lockTaken;
  }
}
