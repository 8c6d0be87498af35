// One order's live state and the few operations every part of the workflow shares: the lock that
// keeps changes one at a time, the audit record, the queue of side-effect jobs, links and rep tasks.
import { ApplicationFailure, CancellationScope, condition, currentUpdateInfo, isCancellation, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { EmailEventWrite } from '../../activities/email-events.js';
import type { OrderEventInput, ProjectionSnapshot } from '../../activities/projection.js';
import type { StatusChange } from '../../activities/webhooks.js';
import type { RepTaskKind } from '../../db/schema/orders.js';
import type { OrderStatus, OrderWorkflowInput } from '../../domain/order.js';
import { OrderStatusKey } from '../../domain/search-attributes.js';
import { orderSummary } from '../../emails/summary.js';
import type { EmailTemplate } from '../../emails/templates.js';
import type { CurrentLink, LinkAudience, OrderState } from '../definitions.js';
import { database, type DatabaseWork } from './activities.js';

/** Side effects that need not hold up the person or rep who caused them, run in order by the job runner. */
export type Job =
  | { kind: 'email'; key: string; to: string; template: EmailTemplate; link?: CurrentLink; consent?: { requestKey: string; orgId: string; expiresAt: string } }
  | { kind: 'revoke-links'; exceptIssueKey?: string; reason: string }
  | { kind: 'limit-links'; until: string }
  /** Ends the order's consent links (SPEC §7.2): answered, withdrawn, or the order ended. */
  | { kind: 'revoke-consent'; reason: string }
  | { kind: 'open-task'; taskKey: string; taskKind: RepTaskKind; detail: string }
  | { kind: 'close-tasks'; kinds?: RepTaskKind[]; reason: string };

export const nowIso = () => new Date().toISOString();

/** What one run hands the next at continue-as-new: the state (deadlines included) and the jobs not yet done. */
export interface CarriedOver {
  state: OrderState;
  jobs: Job[];
  /** Status changes not yet delivered. */
  webhooks: StatusChange[];
  /** Events not yet written to the read model. */
  projections: ProjectionWrite[];
  /** The last Updates applied, with their answers (`OrderRun.answerOnce`). */
  appliedUpdates: AppliedUpdate[];
  /** The history branch (`OrderRun.branch`): continue-as-new keeps it. */
  branch: string;
}

/** An Update the order applied: a client retrying with the same Idempotency-Key in a later run gets this answer. */
export interface AppliedUpdate {
  id: string;
  answer: unknown;
}

/**
 * Applied Updates kept across continue-as-new (SPEC §8.1: at least 100): Temporal answers a repeated
 * Update id only within the run that applied it. Each answer is a few kilobytes (the wizard's view,
 * the listed order), so the hand-over carries a few hundred kilobytes at most.
 */
export const APPLIED_UPDATES_KEPT = 100;

/** One accepted change on its way to the read model: the event and what the read model needs of the state it left. */
export interface ProjectionWrite {
  snapshot: ProjectionSnapshot;
  event: OrderEventInput;
  /** A Resend event: its Svix id and the email's status are written with the timeline event. */
  emailEvent?: EmailEventWrite;
  /**
   * Recorded while answering a wizard Update: written by a regular activity. A local activity keeps
   * its workflow task open, and the Update's answer rides on that task's completion: the answer
   * would wait for PostgreSQL (bench/update-floor.ts).
   */
  afterAnswer?: boolean;
}

/**
 * Only what the read model's row is made of: the session's draft, the sections and the rest stay in
 * the workflow, and are not encoded, encrypted and decoded again with every event.
 */
function projectionSnapshot({ orderId, order, startAt, escalated, payloadHash, receivedAt, setupEmailSentAt }: OrderState): ProjectionSnapshot {
  return { orderId, order, startAt, escalated, payloadHash, receivedAt, ...(setupEmailSentAt ? { setupEmailSentAt } : {}) };
}

export type OrderRunInput = OrderWorkflowInput & { carried?: CarriedOver };

const DEFAULT_EMAIL_GIVE_UP_AFTER_MS = 24 * 3_600_000;
const DEFAULT_SESSION_IDLE_REMINDER_AFTER_MS = 2 * 86_400_000;
const DEFAULT_SETUP_REMINDER_AFTER_MS = 3 * 86_400_000;
const DEFAULT_SETUP_ESCALATION_AFTER_MS = 7 * 86_400_000;

export class OrderRun {
  state: OrderState;
  readonly settings: OrderWorkflowInput['settings'];
  readonly jobs: Job[];
  /**
   * Status changes to POST to the webhook endpoints, in seq order. A queue of their own (order/webhooks.ts),
   * so a receiver that is down for days holds up no email and no rep task.
   */
  readonly webhooks: StatusChange[];
  /**
   * Events to write to the read model, in seq order, by their own coroutine (order/projections.ts).
   * Jobs and webhooks wait for it to be empty: their rows refer to the order's row and events.
   */
  readonly projections: ProjectionWrite[];
  /** The last APPLIED_UPDATES_KEPT Updates applied, oldest first; carried across continue-as-new. */
  readonly appliedUpdates: AppliedUpdate[];
  /**
   * The history branch this run belongs to: '' for the order's own history, the run id of a
   * `temporal workflow reset` from that reset on. A reset's run starts from the reset point with the
   * same seq numbers as the run it abandons: its events carry the branch, so the read model writes
   * them and marks the abandoned branch's superseded (activities/projection.ts), and its links and
   * rep tasks are its own (order/jobs.ts). A reset run is told apart from a run continued as new by
   * its started event, which a reset copies from the run it resets (`originalExecutionRunId`).
   */
  readonly branch: string;
  /** The status the last webhook announced. */
  private announcedStatus: OrderStatus | null;
  /** Counts changes the main loop should look at again (a handler finished, a job ran). */
  wakeups = 0;

  // Handlers that await activities must not interleave: one change of state at a time, in the order
  // asked for. A ticket per caller: with a plain `condition(() => !locked)`, two waiters unblocked
  // in the same activation would both have run.
  private ticketsIssued = 0;
  private serving = 0;
  /** The status Temporal's visibility holds: each upsert costs the server a visibility write, so only changes go. */
  private indexedStatus = workflowInfo().typedSearchAttributes.get(OrderStatusKey);

  /** How long a wizard session may sit idle before the holder is reminded (order/clock.ts). */
  readonly sessionIdleReminderAfterMs: number;
  /** After step 8 without provisioning: when the holder is reminded and the rep told (order/clock.ts). */
  readonly setupFollowUpAfter: { reminderMs: number; escalationMs: number };
  /** True while an Update's work holds the lock (see `answer`). */
  private answering = false;
  /**
   * Set when the run is about to continue as new: from then on an Update's event is written in its
   * own workflow task again, so a steady stream of Updates cannot keep the outbox from emptying.
   */
  handingOver = false;

  constructor(input: OrderRunInput) {
    this.settings = input.settings;
    this.sessionIdleReminderAfterMs = input.settings.sessionIdleReminderAfterMs ?? DEFAULT_SESSION_IDLE_REMINDER_AFTER_MS;
    this.setupFollowUpAfter = {
      reminderMs: input.settings.setupReminderAfterMs ?? DEFAULT_SETUP_REMINDER_AFTER_MS,
      escalationMs: input.settings.setupEscalationAfterMs ?? DEFAULT_SETUP_ESCALATION_AFTER_MS,
    };
    this.jobs = [...(input.carried?.jobs ?? [])];
    this.projections = [...(input.carried?.projections ?? [])];
    this.webhooks = [...(input.carried?.webhooks ?? [])];
    this.appliedUpdates = [...(input.carried?.appliedUpdates ?? [])];
    const info = workflowInfo();
    this.branch = info.originalExecutionRunId !== info.runId ? info.runId : (input.carried?.branch ?? '');
    // Every status change of an earlier run was queued there: the carried status is announced already.
    this.announcedStatus = input.carried?.state.status ?? null;
    this.state = input.carried?.state ?? {
      orderId: input.order.orderId,
      status: 'SCHEDULED',
      order: input.order,
      payloadHash: input.payloadHash,
      startAt: input.startAt,
      receivedAt: input.receivedAt,
      seq: 0,
      linksIssued: 0,
      delegatedToCustomer: false,
      sessionsStarted: 0,
      escalated: false,
      reminders: { escalation: false, expiry: false },
      passwordSet: false,
      sections: {},
    };
  }

  /** How long an email may retry before a rep is told. */
  emailGiveUpAfterMs(): number {
    return this.settings.emailGiveUpAfterMs ?? DEFAULT_EMAIL_GIVE_UP_AFTER_MS;
  }

  /** Time to hand over to a fresh run: Temporal suggests it (history size), or the test knob says so. */
  shouldContinueAsNew(): boolean {
    const info = workflowInfo();
    const limit = this.settings.continueAsNewAfterEvents;
    return info.continueAsNewSuggested || (limit !== undefined && info.historyLength > limit);
  }

  wake(): void {
    this.wakeups += 1;
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const ticket = this.ticketsIssued++;
    // A turn taken is always served and released, even in a cancelled scope: a waiter that left
    // the line would hold up every ticket after it.
    await CancellationScope.nonCancellable(() => condition(() => this.serving === ticket));
    try {
      return await fn();
    } finally {
      this.serving += 1;
      this.wake();
    }
  }

  /** The answer this Update's id got when it was applied, in this run or an earlier one. */
  earlierAnswer(): AppliedUpdate | undefined {
    const id = currentUpdateInfo()?.id;
    return id === undefined ? undefined : this.appliedUpdates.find((applied) => applied.id === id);
  }

  /**
   * An Update applied once per id across the order's runs: a repeated id (the client's
   * Idempotency-Key) is answered with the first answer and changes nothing. A refusal is not
   * kept: it changed nothing, and a retry is judged again.
   */
  async answerOnce<T>(apply: () => Promise<T>): Promise<T> {
    const earlier = this.earlierAnswer();
    if (earlier) return earlier.answer as T;
    const answer = await apply();
    this.appliedUpdates.push({ id: currentUpdateInfo()!.id, answer });
    if (this.appliedUpdates.length > APPLIED_UPDATES_KEPT) this.appliedUpdates.shift();
    return answer;
  }

  /** A wizard Update's work under the lock: the events it records reach the read model after its answer. */
  answer<T>(fn: () => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      // Safe as a flag: every record() holds the lock, so none but this Update's runs meanwhile.
      this.answering = true;
      try {
        return await fn();
      } finally {
        this.answering = false;
      }
    });
  }

  /**
   * Database work outside a handler. Local activities go one at a time, under the lock: two in
   * flight could resolve together on replay though they resolved apart when recorded, and their
   * coroutines would then issue commands in another order.
   */
  async databaseJob(call: (work: DatabaseWork) => Promise<unknown>): Promise<void> {
    await this.databaseWrite((projection) => call({ ...database.local, projection }));
  }

  /**
   * A database write that must happen: one bounded local attempt under the lock, then, when the
   * database is down, a regular activity the server retries until it is back, outside the lock.
   */
  async databaseWrite(call: (projection: DatabaseWork['projection']) => Promise<unknown>): Promise<void> {
    const written = await this.exclusive(async () => {
      try {
        await call(database.local.projection);
        return true;
      } catch (error) {
        if (isCancellation(error) || (error instanceof ApplicationFailure && error.nonRetryable)) throw error;
        return false;
      }
    });
    if (!written) await call(database.regular.projection);
  }

  /** Every accepted change goes through here: history order = audit order = projection order. */
  record(type: string, actor: string, data: Record<string, unknown> = {}, emailEvent?: EmailEventWrite): void {
    this.state = { ...this.state, seq: this.state.seq + 1 };
    const { state } = this;
    if (state.status !== this.indexedStatus) {
      upsertSearchAttributes([{ key: OrderStatusKey, value: state.status }]);
      this.indexedStatus = state.status;
    }
    const occurredAt = nowIso();
    const event = { seq: state.seq, ...(this.branch ? { branch: this.branch } : {}), type, status: state.status, actor, data, occurredAt };
    this.projections.push({
      snapshot: projectionSnapshot(state),
      event,
      ...(emailEvent ? { emailEvent } : {}),
      ...(this.answering && !this.handingOver ? { afterAnswer: true } : {}),
    });
    // Webhook settings are fixed at intake: an order taken in without WEBHOOK_ENDPOINTS queues none.
    if (this.settings.webhooks && state.status !== this.announcedStatus) {
      this.webhooks.push({ orderId: state.orderId, status: state.status, previousStatus: this.announcedStatus, seq: state.seq, occurredAt });
      this.announcedStatus = state.status;
    }
  }

  summary() {
    return orderSummary(this.state.order);
  }

  repName(): string {
    return this.state.order.rep.name;
  }

  /** Who acts through the current link. */
  linkActor(): LinkAudience {
    return this.state.link?.audience ?? 'contact';
  }

  /**
   * A new link for `to`; every older link is revoked by the job queued with it. Before the point of
   * no return it expires with the order (never later, SPEC §7.1); after it, it has no deadline.
   */
  issueLink(audience: LinkAudience, to: string, makeTemplate: (expiresAt: string | null) => EmailTemplate): CurrentLink {
    const { state } = this;
    const expiresAt = state.configuration ? null : (state.expiresAt ?? new Date(Date.now() + this.settings.orderExpiresAfterMs).toISOString());
    const link: CurrentLink = { issueKey: `link-${state.linksIssued + 1}`, audience, email: to, expiresAt };
    const template = makeTemplate(expiresAt);
    // The first link has no older one to revoke: its email goes one activity sooner (the start-moment burst).
    if (state.linksIssued > 0) {
      this.jobs.push({ kind: 'revoke-links', exceptIssueKey: link.issueKey, reason: 'a newer link was sent' });
    }
    this.state = { ...state, link, linksIssued: state.linksIssued + 1 };
    this.jobs.push({ kind: 'email', key: `${template.kind}/${link.issueKey}`, to, template, link });
    return link;
  }

  /**
   * What a link to the contact (the start moment, a resend, a contact change) goes with: the
   * first-setup text while the order has a deadline, "finish the service setup" once it is past the
   * point of no return (SPEC §7.1).
   */
  linkEmail(expiresAt: string | null): EmailTemplate {
    if (expiresAt !== null) return { kind: 'setup', order: this.summary(), expiresAt };
    return { kind: 'finish-setup', order: this.summary(), reminder: false, customerOrganization: this.state.configuration!.customerOrgName };
  }

  tellRep(taskKind: RepTaskKind, template: EmailTemplate, detail: string): void {
    const { seq } = this.state;
    this.jobs.push({ kind: 'open-task', taskKey: `${taskKind}/${seq}`, taskKind, detail });
    this.jobs.push({ kind: 'email', key: `${template.kind}/${seq}`, to: this.state.order.rep.email, template });
  }
}
