// The nine invariants of SPEC §8.2, each a pure function over one snapshot of the world taken at
// quiescence: the read model and ledgers in PostgreSQL, each order's live state (Query) and raw
// Temporal history, what the Resend stand-in and the webhook receiver got, and the driver's log of
// every request it sent. A checker answers `held`, or the orders that break it and why.

/** One row of the audit timeline (order_events). */
export interface TimelineEvent {
  seq: number;
  type: string;
  status: string;
  data: Record<string, unknown>;
  occurredAt: string;
}

/** One email_deliveries row: what the service meant to send. */
export interface EmailRow {
  idempotencyKey: string;
  purpose: string;
  status: string;
  subject: string;
  recipient: string;
}

export interface LinkRow {
  tokenHash: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

export interface OrderSnapshot {
  orderId: string;
  /** The read model's status (orders.status); null: no row. */
  readModelStatus: string | null;
  /** The workflow's own status (its state Query); null: it could not be asked. */
  workflowStatus: string | null;
  /** The rep detail's next deadline, if any. */
  nextDeadlineAt: string | null;
  /** Kinds of the order's open rep tasks. */
  openTasks: string[];
  events: TimelineEvent[];
  emailRows: EmailRow[];
  subscriptions: number;
  billingStarts: number;
  links: LinkRow[];
  /** Every payload, memo and search attribute of the order's raw (undecoded) history, as text. */
  historyText: string;
  /** The personal data the plan gave the order (addresses, names): none may be in the history in clear. */
  personalData: string[];
}

/** An email the Resend stand-in accepted as new. */
export interface SentEmail {
  idempotencyKey: string | null;
  subject: string;
  to: string[];
}

/** A status webhook the receiver accepted (verified). */
export interface ReceivedWebhook {
  webhookId: string;
  orderId: string;
  seq: number;
  status: string;
  previousStatus: string | null;
}

/** One request the driver sent and what came back. */
export interface RequestRecord {
  /** When it was sent and when its answer came (ISO). */
  sentAt: string;
  answeredAt: string;
  method: string;
  path: string;
  orderId: string | null;
  /** HTTP status; null: no answer (connection refused or timed out). */
  status: number | null;
  retryAfter: string | null;
  idempotencyKey: string | null;
  /** The audit event an accepted request records (e.g. `wizard.confirm`, `rep.resend-link`). */
  recordsEvent: string | null;
  /** Wizard requests: sha256 of the link token used. */
  tokenHash: string | null;
}

export interface WorldSnapshot {
  /** When the snapshot was taken (ISO). */
  takenAt: string;
  orders: OrderSnapshot[];
  emails: SentEmail[];
  webhooks: ReceivedWebhook[];
  requests: RequestRecord[];
}

export interface Breach {
  orderId: string;
  reason: string;
}

export interface Invariant {
  number: number;
  name: string;
  check(world: WorldSnapshot): Breach[];
}

const TERMINAL = new Set(['PROVISIONED', 'CANCELLED', 'EXPIRED']);
/** Email statuses that mean the provider took it (or it was rightly not sent: its link had died). */
const WENT = new Set(['sent', 'delivered', 'delivery_delayed', 'bounced', 'complained']);
/** What each audit event obliges the service to email, per order. */
const REQUIRED_EMAILS: Record<string, string[]> = {
  'order.setup-email': ['setup'],
  'order.escalated': ['rep-escalation'],
  'wizard.delegated': ['delegated'],
  'order.on-hold': ['rep-on-hold'],
  'order.expired': ['rep-expired'],
  'order.provisioned': ['provisioned'],
};

const at = (iso: string) => Date.parse(iso);

/** 1. Every order is ended, or has an open rep task, or a deadline ahead. */
export const ordersOwned: Invariant = {
  number: 1,
  name: 'every order ended, with a rep, or a deadline ahead',
  check: (world) =>
    world.orders.flatMap((order) => {
      const status = order.workflowStatus ?? order.readModelStatus;
      if (status && TERMINAL.has(status)) return [];
      if (order.openTasks.length > 0) return [];
      if (order.nextDeadlineAt && at(order.nextDeadlineAt) > at(world.takenAt)) return [];
      return [{ orderId: order.orderId, reason: `${status ?? 'unknown'} with no open rep task and no deadline ahead` }];
    }),
};

/** 2. The read model's status equals the workflow's. */
export const readModelFollows: Invariant = {
  number: 2,
  name: "read model status equals the workflow's",
  check: (world) =>
    world.orders.flatMap((order) =>
      order.readModelStatus === order.workflowStatus
        ? []
        : [{ orderId: order.orderId, reason: `read model says ${order.readModelStatus ?? 'nothing'}, the workflow ${order.workflowStatus ?? 'nothing'}` }],
    ),
};

/** 3. Each email at most once per purpose and order; each required one sent (or rightly skipped) or a task opened. */
export const emailsOnce: Invariant = {
  number: 3,
  name: 'emails once per purpose',
  check(world) {
    const breaches: Breach[] = [];
    const sentByKey = new Map<string, SentEmail[]>();
    for (const email of world.emails) {
      const key = email.idempotencyKey ?? '';
      sentByKey.set(key, [...(sentByKey.get(key) ?? []), email]);
    }
    for (const order of world.orders) {
      for (const [key, sent] of sentByKey) {
        if (key.startsWith(`${order.orderId}/`) && sent.length > 1) breaches.push({ orderId: order.orderId, reason: `${sent.length} emails went under the key ${key}` });
      }
      for (const row of order.emailRows) {
        if (!WENT.has(row.status)) continue;
        const sent = sentByKey.get(row.idempotencyKey) ?? [];
        if (sent.length === 0) breaches.push({ orderId: order.orderId, reason: `${row.purpose} (${row.idempotencyKey}) is ${row.status} but the provider never got it` });
        else if (sent.some((email) => email.subject !== row.subject)) {
          breaches.push({ orderId: order.orderId, reason: `${row.purpose} (${row.idempotencyKey}) went with another email's subject: one key for two purposes` });
        }
      }
      const taskOpenedFor = new Set(order.events.filter((e) => e.type === 'email.rejected' || e.type === 'email.failed').map((e) => String(e.data.purpose)));
      for (const event of order.events) {
        for (const purpose of REQUIRED_EMAILS[event.type] ?? []) {
          const done = order.emailRows.some((row) => row.purpose === purpose && (WENT.has(row.status) || row.status === 'skipped'));
          if (!done && !taskOpenedFor.has(purpose)) breaches.push({ orderId: order.orderId, reason: `${event.type} (seq ${event.seq}) needs a ${purpose} email: none went and no task was opened` });
        }
      }
    }
    return breaches;
  },
};

/** 4. One provisioning and one billing start per provisioned order, none for the others. */
export const provisionedOnce: Invariant = {
  number: 4,
  name: 'one provisioning and one billing start per provisioned order',
  check: (world) =>
    world.orders.flatMap((order) => {
      const want = order.workflowStatus === 'PROVISIONED' ? 1 : 0;
      if (order.subscriptions === want && order.billingStarts === want) return [];
      return [{ orderId: order.orderId, reason: `${order.workflowStatus ?? 'unknown'} with ${order.subscriptions} subscription(s) and ${order.billingStarts} billing start(s)` }];
    }),
};

/** 5. No link accepted after its deadline (or after it was revoked). */
export const linksDie: Invariant = {
  number: 5,
  name: 'no link accepted after its deadline',
  check(world) {
    const links = new Map(world.orders.flatMap((order) => order.links.map((link) => [link.tokenHash, { order, link }] as const)));
    return world.requests.flatMap((request) => {
      if (!request.tokenHash || request.method !== 'POST' || request.status === null || request.status >= 300) return [];
      const found = links.get(request.tokenHash);
      if (!found) return [];
      const { link, order } = found;
      if (link.expiresAt && at(request.sentAt) > at(link.expiresAt)) return [{ orderId: order.orderId, reason: `${request.path} was accepted at ${request.sentAt}, after the link's deadline ${link.expiresAt}` }];
      if (link.revokedAt && at(request.sentAt) > at(link.revokedAt)) return [{ orderId: order.orderId, reason: `${request.path} was accepted at ${request.sentAt}, after the link was revoked at ${link.revokedAt}` }];
      return [];
    });
  },
};

/** 6. The receiver got each order's status changes once each, in seq order, without gaps. */
export const webhooksInOrder: Invariant = {
  number: 6,
  name: 'webhooks once each, in seq order, without gaps',
  check(world) {
    const breaches: Breach[] = [];
    for (const order of world.orders) {
      const changes: TimelineEvent[] = [];
      for (const event of [...order.events].sort((a, b) => a.seq - b.seq)) if (event.status !== changes.at(-1)?.status) changes.push(event);
      const seen = new Set<string>();
      const received = world.webhooks.filter((w) => w.orderId === order.orderId && !seen.has(w.webhookId) && seen.add(w.webhookId));
      const seqs = received.map((w) => w.seq);
      const wanted = changes.map((e) => e.seq);
      const twice = seqs.filter((seq, i) => seqs.indexOf(seq) !== i);
      if (twice.length) breaches.push({ orderId: order.orderId, reason: `seq ${[...new Set(twice)].join(', ')} delivered more than once under different ids` });
      if (seqs.some((seq, i) => i > 0 && seq < seqs[i - 1]!)) breaches.push({ orderId: order.orderId, reason: `delivered out of seq order: ${seqs.join(', ')}` });
      const missing = wanted.filter((seq) => !seqs.includes(seq));
      if (missing.length) breaches.push({ orderId: order.orderId, reason: `status changes at seq ${missing.join(', ')} never delivered (got ${seqs.join(', ') || 'none'})` });
      const extra = received.filter((w) => !changes.some((e) => e.seq === w.seq && e.status === w.status));
      if (extra.length) breaches.push({ orderId: order.orderId, reason: `delivered changes the timeline does not have: ${extra.map((w) => `${w.seq} ${w.status}`).join(', ')}` });
    }
    return breaches;
  },
};

/** 7. A request retried with its Idempotency-Key was applied once. */
export const keyedRetriesOnce: Invariant = {
  number: 7,
  name: 'a step retried with its key applied once',
  check(world) {
    const groups = new Map<string, RequestRecord[]>();
    for (const request of world.requests) {
      if (!request.idempotencyKey || !request.recordsEvent || !request.orderId) continue;
      const group = `${request.orderId} ${request.path} ${request.idempotencyKey}`;
      groups.set(group, [...(groups.get(group) ?? []), request]);
    }
    const breaches: Breach[] = [];
    for (const requests of groups.values()) {
      if (requests.length < 2) continue;
      const { orderId, recordsEvent } = requests[0]!;
      const from = Math.min(...requests.map((r) => at(r.sentAt)));
      const to = Math.max(...requests.map((r) => at(r.answeredAt)));
      const order = world.orders.find((o) => o.orderId === orderId);
      const applied = (order?.events ?? []).filter((e) => e.type === recordsEvent && at(e.occurredAt) >= from - 1000 && at(e.occurredAt) <= to + 1000);
      if (applied.length > 1) breaches.push({ orderId: orderId!, reason: `${requests.length} sends of ${requests[0]!.path} with key ${requests[0]!.idempotencyKey} recorded ${recordsEvent} ${applied.length} times (seq ${applied.map((e) => e.seq).join(', ')})` });
    }
    return breaches;
  },
};

/** 8. No 5xx answer but a 503 with Retry-After. */
export const no5xx: Invariant = {
  number: 8,
  name: 'no 5xx but 503 with Retry-After',
  check: (world) =>
    world.requests.flatMap((request) => {
      if (request.status === null || request.status < 500) return [];
      if (request.status === 503 && request.retryAfter) return [];
      return [{ orderId: request.orderId ?? '(none)', reason: `${request.method} ${request.path} answered ${request.status}${request.retryAfter ? '' : ' without Retry-After'}` }];
    }),
};

/** 9. No personal data in clear in Temporal history. */
export const historyEncrypted: Invariant = {
  number: 9,
  name: 'no personal data in clear in Temporal history',
  check: (world) =>
    world.orders.flatMap((order) => {
      const lower = order.historyText.toLowerCase();
      const found = order.personalData.filter((value) => value && lower.includes(value.toLowerCase()));
      return found.length ? [{ orderId: order.orderId, reason: `history holds in clear: ${found.join(', ')}` }] : [];
    }),
};

export const INVARIANTS: readonly Invariant[] = [ordersOwned, readModelFollows, emailsOnce, provisionedOnce, linksDie, webhooksInOrder, keyedRetriesOnce, no5xx, historyEncrypted];

export interface Verdict {
  invariant: Invariant;
  breaches: Breach[];
}

export const checkAll = (world: WorldSnapshot): Verdict[] => INVARIANTS.map((invariant) => ({ invariant, breaches: invariant.check(world) }));

/** `invariant 3 (emails once per purpose): held`, or the orders that break it, one per line below. */
export function describeVerdict({ invariant, breaches }: Verdict): string[] {
  const head = `invariant ${invariant.number} (${invariant.name})`;
  if (breaches.length === 0) return [`${head}: held`];
  return [`${head}: BROKEN by ${new Set(breaches.map((b) => b.orderId)).size} order(s)`, ...breaches.map((b) => `  ${b.orderId}: ${b.reason}`)];
}
