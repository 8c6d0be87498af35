// What the order routes do, kept out of the routes: start the workflow for an intake, read an
// order's live state. The API never writes order state itself; the workflow does.
import { createHash } from 'node:crypto';
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
} from '@temporalio/client';
import { and, asc, desc, eq, gt, ilike, inArray, isNull, lt, or, type SQL } from 'drizzle-orm';
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import { emailDeliveries, linkTokens, orderEvents, orders, type OrderRow, repTasks } from '../db/schema/index.js';
import { type OrderPayload, type OrderStatus, type OrderWorkflowInput, orderWorkflowId, redeliveryWorkflowId } from '../domain/order.js';
import { defaultLocale, orderLocale } from '../domain/locale.js';
import { setupEmailMoment } from '../domain/schedule.js';
import { OrderStatusKey } from '../domain/search-attributes.js';
import { getStateQuery, type OrderState, type RepActionName, type RepActionRequest } from '../workflows/definitions.js';
import type { orderWorkflow } from '../workflows/order.js';
import type { redeliverWebhooksWorkflow } from '../workflows/webhook-redelivery.js';
import { isTerminal } from '../workflows/wizard.js';
import { everStarted, markStarted, recordIntake } from '../db/queries/intake-ledger.js';
import { findOrg } from '../db/queries/organizations.js';
import { listWebhookDeliveries } from '../db/queries/webhook-deliveries.js';
import { orderDetailExtras } from './order-detail.js';
import { badRequest, conflict, invalidAction, notFound } from './problem.js';
import type { OrderDetail, OrderView, RepActionBody } from './schemas.js';
import type { WorkflowCalls } from './workflow-calls.js';

/** How long a read waits for the workflow before answering from the read model instead. */
const LIVE_QUERY_DEADLINE_MS = 3_000;
/** How long intake waits for Temporal to take a new order before answering 503. */
const START_DEADLINE_MS = 10_000;

export interface OrderServiceDeps {
  config: Config;
  database: Database;
  temporal: Client;
  /** Base URL of the Temporal Web UI, when one is known (dev server). */
  temporalUiUrl?: string | undefined;
  clock?: () => Date;
  /** The API's Updates and Queries, shared with the wizard. */
  calls: WorkflowCalls;
}

/** The order as stored: defaults applied, emails lower-cased, services in one order. */
export function normaliseOrder(body: OrderPayload): OrderWorkflowInput['order'] {
  return {
    ...body,
    timezone: body.timezone ?? 'UTC',
    locale: orderLocale(body),
    provisioningContactEmail: body.provisioningContactEmail.trim().toLowerCase(),
    services: [...body.services].sort(),
    rep: { ...body.rep, email: body.rep.email.trim().toLowerCase() },
  };
}

/** JSON with sorted keys, so the hash does not depend on the order the sender wrote fields in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The default locale is left out, so an order sent before `locale` existed, or sent again with its
 * default spelled out, keeps its hash: a re-delivery stays a re-delivery.
 */
export const payloadHash = (order: OrderWorkflowInput['order']): string => {
  const hashed = order.locale === defaultLocale(order.customer.country) ? { ...order, locale: undefined } : order;
  return createHash('sha256').update(canonicalJson(hashed)).digest('hex');
};

function viewFromState(state: Pick<OrderState, 'orderId' | 'status' | 'order' | 'startAt' | 'receivedAt' | 'escalated'>): OrderView {
  const { order } = state;
  return {
    orderId: state.orderId,
    status: state.status,
    escalated: state.escalated,
    product: order.product,
    requestedStartDate: order.requestedStartDate,
    timezone: order.timezone,
    startAt: state.startAt,
    provisioningContactEmail: order.provisioningContactEmail,
    partner: order.partner,
    customer: order.customer,
    services: order.services,
    rep: order.rep,
    locale: orderLocale(order),
    receivedAt: state.receivedAt,
  };
}

function viewFromRow(row: OrderRow): OrderView {
  return viewFromState({
    orderId: row.orderId,
    status: row.status,
    order: { ...row.payload, timezone: row.timezone },
    startAt: row.startAt.toISOString(),
    receivedAt: row.createdAt.toISOString(),
    escalated: row.escalated,
  });
}

export function createOrderService({ config, database, temporal, temporalUiUrl, calls, clock = () => new Date() }: OrderServiceDeps) {
  const { db } = database;

  async function readRow(orderId: string): Promise<OrderRow | undefined> {
    const [row] = await db.select().from(orders).where(eq(orders.orderId, orderId)).limit(1);
    return row;
  }

  /**
   * The workflow's own state, or undefined when no worker answered in time or Temporal no longer
   * has the workflow (past retention, deleted): then the read model answers.
   */
  async function queryLive(orderId: string): Promise<OrderState | undefined> {
    const handle = temporal.workflow.getHandle(orderWorkflowId(orderId));
    try {
      return await temporal.withDeadline(Date.now() + LIVE_QUERY_DEADLINE_MS, () => handle.query(getStateQuery));
    } catch {
      return undefined;
    }
  }

  return {
    /**
     * Takes an order in. The intake ledger, written before the workflow starts, answers every
     * re-delivery for ever (SPEC §8.1): 409 for another payload, 200 for the same one — also once
     * Temporal has forgotten the workflow (retention, `temporal workflow delete`), which therefore
     * never starts again. Only an order whose start never went through is started, by whichever
     * delivery comes next; the workflow id is the business key, so of concurrent deliveries one
     * starts it (201) and Temporal refuses the others (200).
     */
    async intake(body: OrderPayload): Promise<{ created: boolean; order: OrderView }> {
      const order = normaliseOrder(body);
      const hash = payloadHash(order);
      const input: OrderWorkflowInput = {
        order,
        payloadHash: hash,
        startAt: setupEmailMoment(order.requestedStartDate, order.timezone, config.setupEmailLocalTime).toISOString(),
        receivedAt: clock().toISOString(),
        settings: {
          escalationAfterMs: config.escalationAfterMs,
          orderExpiresAfterMs: config.orderExpiresAfterMs,
          emailGiveUpAfterMs: config.emailGiveUpAfterMs,
          sessionIdleReminderAfterMs: config.sessionIdleReminderAfterMs,
          setupReminderAfterMs: config.setupReminderAfterMs,
          setupEscalationAfterMs: config.setupEscalationAfterMs,
          ...(config.continueAsNewAfterEvents ? { continueAsNewAfterEvents: config.continueAsNewAfterEvents } : {}),
          ...(config.webhooks.endpoints.length ? { webhooks: config.webhooks.retry } : {}),
        },
      };
      const received = viewFromState({ ...input, orderId: order.orderId, status: 'SCHEDULED', escalated: false });
      const { row: ledger } = await recordIntake(db, order.orderId, hash);
      if (ledger.payloadHash !== hash) throw conflict('order-conflict', `Order ${order.orderId} was already received with a different payload.`);
      if (!(await everStarted(db, ledger))) {
        try {
          // A deadline, so an unreachable Temporal is a quick 503 rather than the client's long retries.
          await temporal.withDeadline(Date.now() + START_DEADLINE_MS, () => temporal.workflow.start<typeof orderWorkflow>('orderWorkflow', {
            workflowId: orderWorkflowId(order.orderId),
            taskQueue: config.temporal.taskQueue,
            args: [input],
            typedSearchAttributes: [{ key: OrderStatusKey, value: 'SCHEDULED' }],
            // An order id names one order forever, even after its workflow has ended.
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          }));
          await markStarted(db, order.orderId, clock());
          return { created: true, order: received };
        } catch (error) {
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
          // A concurrent delivery started it, or an earlier one whose start was not recorded.
          await markStarted(db, order.orderId, clock());
        }
      }
      const row = await readRow(order.orderId);
      // An erased order's history can no longer be read (privacy/data-keys.ts): its read model answers.
      const live = row?.personalDataErasedAt ? undefined : await queryLive(order.orderId);
      if (live) return { created: false, order: viewFromState(live) };
      return { created: false, order: row ? viewFromRow(row) : received };
    },

    /** Live state from the workflow (read model when no worker answers) plus the audit timeline. */
    async get(orderId: string): Promise<OrderDetail> {
      const now = clock();
      const rowRead = readRow(orderId);
      const [state, row, events, tasks, emails, [currentLink], webhooks] = await Promise.all([
        // An erased order's history can no longer be read (privacy/data-keys.ts): its read model answers.
        rowRead.then((row) => (row?.personalDataErasedAt ? undefined : queryLive(orderId))),
        rowRead,
        // In seq order; after a reset an abandoned event comes before the event that replaced it.
        db.select().from(orderEvents).where(eq(orderEvents.orderId, orderId)).orderBy(asc(orderEvents.seq), asc(orderEvents.id)),
        db.select().from(repTasks).where(eq(repTasks.orderId, orderId)).orderBy(asc(repTasks.openedAt)),
        db.select().from(emailDeliveries).where(eq(emailDeliveries.orderId, orderId)).orderBy(asc(emailDeliveries.createdAt)),
        db
          .select()
          .from(linkTokens)
          .where(and(eq(linkTokens.orderId, orderId), isNull(linkTokens.revokedAt), or(isNull(linkTokens.expiresAt), gt(linkTokens.expiresAt, now))))
          .orderBy(desc(linkTokens.createdAt))
          .limit(1),
        listWebhookDeliveries(db, orderId),
      ]);
      // A terminated workflow still answers Queries, with its state when it was terminated: the read
      // model's ending (activities/terminated-orders.ts) has the last word.
      const live = state && row && isTerminal(row) && !isTerminal(state) ? undefined : state;
      const view = live ? viewFromState(live) : row ? viewFromRow(row) : undefined;
      if (!view) throw notFound(`There is no order ${orderId}.`);
      const workflowId = orderWorkflowId(orderId);
      const setupEmailSentAt = live?.setupEmailSentAt ?? events.find((e) => e.type === 'order.setup-email')?.occurredAt.toISOString();
      return {
        ...view,
        live: live !== undefined,
        ...orderDetailExtras({
          view,
          live,
          tasks,
          emails,
          webhooks,
          currentLink,
          lastEventAt: events.at(-1)?.occurredAt.toISOString(),
          clock: { escalationAfterMs: config.escalationAfterMs, setupReminderAfterMs: config.setupReminderAfterMs, setupEscalationAfterMs: config.setupEscalationAfterMs },
          now,
        }),
        ...(setupEmailSentAt ? { setupEmailSentAt } : {}),
        workflow: {
          workflowId,
          ...(temporalUiUrl
            ? {
                temporalUiUrl: `${temporalUiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`,
              }
            : {}),
        },
        tasks: tasks.map((t) => ({
          kind: t.kind,
          status: t.status,
          detail: t.detail,
          openedAt: t.openedAt.toISOString(),
          ...(t.closedAt ? { closedAt: t.closedAt.toISOString(), closedReason: t.closedReason ?? '' } : {}),
        })),
        timeline: events.map((e) => ({
          seq: e.seq,
          type: e.type,
          status: e.status,
          actor: e.actor,
          data: e.data,
          occurredAt: e.occurredAt.toISOString(),
          ...(e.supersededAt ? { supersededAt: e.supersededAt.toISOString() } : {}),
        })),
      };
    },

    /** The rep list from the read model: newest first, filtered, paginated by a keyset cursor. */
    async list(filter: { status?: OrderStatus[]; escalated?: boolean; q?: string; cursor?: string; limit: number }) {
      const conditions: SQL[] = [];
      if (filter.status?.length) conditions.push(inArray(orders.status, filter.status));
      if (filter.escalated !== undefined) conditions.push(eq(orders.escalated, filter.escalated));
      if (filter.q) {
        const pattern = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        conditions.push(
          or(
            ilike(orders.orderId, pattern),
            ilike(orders.partnerName, pattern),
            ilike(orders.partnerId, pattern),
            ilike(orders.customerName, pattern),
            ilike(orders.contactEmail, pattern),
          )!,
        );
      }
      if (filter.cursor) {
        const after = decodeCursor(filter.cursor);
        conditions.push(or(lt(orders.createdAt, after.createdAt), and(eq(orders.createdAt, after.createdAt), lt(orders.orderId, after.orderId)))!);
      }
      const rows = await db
        .select()
        .from(orders)
        .where(conditions.length ? and(...conditions) : undefined)
        .orderBy(desc(orders.createdAt), desc(orders.orderId))
        .limit(filter.limit + 1);
      const page = rows.slice(0, filter.limit);
      const last = page.at(-1);
      return {
        items: page.map(viewFromRow),
        nextCursor: rows.length > filter.limit && last ? encodeCursor(last) : null,
      };
    },

    /**
     * Sends the order's status changes again, in seq order, to every endpoint that has not accepted
     * them (also after the order ended or a change was given up). One redelivery per order at a time.
     */
    async redeliverWebhooks(orderId: string): Promise<OrderView> {
      if (!config.webhooks.endpoints.length) throw conflict('webhooks-not-configured', 'No WEBHOOK_ENDPOINTS are configured: there is nowhere to deliver to.');
      const live = await queryLive(orderId);
      const row = live ? undefined : await readRow(orderId);
      const view = live ? viewFromState(live) : row ? viewFromRow(row) : undefined;
      if (!view) throw notFound(`There is no order ${orderId}.`);
      try {
        await temporal.workflow.start<typeof redeliverWebhooksWorkflow>('redeliverWebhooksWorkflow', {
          workflowId: redeliveryWorkflowId(orderId),
          taskQueue: config.temporal.taskQueue,
          args: [{ orderId, settings: config.webhooks.retry }],
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        });
      } catch (error) {
        if (error instanceof WorkflowExecutionAlreadyStartedError) throw conflict('redelivery-running', 'A redelivery of this order’s webhooks is already running.');
        throw error;
      }
      return view;
    },

    /** A rep action is an Update on the order's workflow: the workflow decides whether it is allowed. */
    async act(orderId: string, action: RepActionName, body: RepActionBody, repId: string, updateId: string) {
      // The workflow would accept the change and write it to the read model later: while PostgreSQL
      // is down, nothing changes and the rep hears 503 with Retry-After instead.
      await database.ping();
      const { partnerOrgId, customerOrgId, ...input } = body;
      const request: RepActionRequest = { action, repId, ...input };
      // Update ids are kept in clear in the history: the rep's name and address go in as a digest.
      const scopedId = `rep:${createHash('sha256').update(repId).digest('base64url').slice(0, 16)}:${updateId}`;
      // Here, not in the workflow's rules: recorded resumes without a reason must replay as they ran.
      if (action === 'resume' && !input.reason?.trim()) throw invalidAction('/body/reason', 'is required: the link holder is told what was decided');
      if (partnerOrgId !== undefined || customerOrgId !== undefined) {
        if (action !== 'resume') throw invalidAction('/body', 'partnerOrgId and customerOrgId go with resume only');
        // The rep names an organization by id: it must exist and be of its kind.
        if (partnerOrgId !== undefined) {
          const org = await findOrg(db, partnerOrgId, 'partner');
          if (!org) throw invalidAction('/body/partnerOrgId', 'is not a partner organization');
          request.partnerOrg = org;
        }
        if (customerOrgId !== undefined) {
          const org = await findOrg(db, customerOrgId, 'customer');
          if (!org) throw invalidAction('/body/customerOrgId', 'is not a customer organization');
          request.customerOrg = org;
        }
      }
      if (action === 'reschedule' && body.requestedStartDate) {
        const state = await calls.queryOrUnavailable(orderId);
        const startAt = setupEmailMoment(body.requestedStartDate, state.order.timezone, config.setupEmailLocalTime).toISOString();
        return viewFromState(await calls.repAction(orderId, { ...request, startAt }, scopedId));
      }
      return viewFromState(await calls.repAction(orderId, request, scopedId));
    },
  };
}

function encodeCursor(row: OrderRow): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.orderId])).toString('base64url');
}

const ORDER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function decodeCursor(cursor: string): { createdAt: Date; orderId: string } {
  try {
    const [createdAt, orderId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const date = new Date(String(createdAt));
    // Only what encodeCursor writes: an order id and an instant PostgreSQL can compare with.
    const year = date.getUTCFullYear();
    if (typeof orderId !== 'string' || !ORDER_ID.test(orderId) || Number.isNaN(year) || year < 1970 || year > 9999) throw new Error('bad cursor');
    return { createdAt: date, orderId };
  } catch {
    throw badRequest('The cursor is not one this API gave out.', [{ field: '/querystring/cursor', message: 'is not valid' }]);
  }
}

export type OrderService = ReturnType<typeof createOrderService>;
