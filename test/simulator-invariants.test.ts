// Each of the simulator's invariant checkers (simulator/invariants.ts) holds on a good world and
// names the order when fed a world broken in the way it guards against.
import { describe, expect, it } from 'vitest';
import {
  checkAll,
  describeVerdict,
  emailsOnce,
  historyEncrypted,
  keyedRetriesOnce,
  linksDie,
  no5xx,
  ordersOwned,
  provisionedOnce,
  readModelFollows,
  type OrderSnapshot,
  type RequestRecord,
  webhooksInOrder,
  type WorldSnapshot,
} from '../simulator/invariants.js';

const T = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, seconds)).toISOString();

/** A provisioned order whose every trace is as it should be. */
function provisionedOrder(orderId = 'SIM-1-0'): OrderSnapshot {
  const statuses = ['SCHEDULED', 'AWAITING_SETUP', 'IN_PROGRESS', 'IN_PROGRESS', 'SERVICE_SETUP', 'PROVISIONED'];
  const types = ['order.received', 'order.setup-email', 'wizard.session-started', 'wizard.role', 'order.service-setup', 'order.provisioned'];
  return {
    orderId,
    readModelStatus: 'PROVISIONED',
    workflowStatus: 'PROVISIONED',
    nextDeadlineAt: null,
    openTasks: [],
    events: statuses.map((status, i) => ({ seq: i + 1, type: types[i]!, status, data: {}, occurredAt: T(i * 2) })),
    emailRows: [
      { idempotencyKey: `${orderId}/setup/link-1`, purpose: 'setup', status: 'sent', subject: 'Configure now', recipient: 'contact@p.example' },
      { idempotencyKey: `${orderId}/provisioned`, purpose: 'provisioned', status: 'delivered', subject: 'Active', recipient: 'contact@p.example' },
      { idempotencyKey: `${orderId}/provisioned-rep`, purpose: 'provisioned', status: 'sent', subject: 'Active (rep)', recipient: 'rep@c.example' },
    ],
    subscriptions: 1,
    billingStarts: 1,
    links: [{ tokenHash: 'hash-1', expiresAt: null, revokedAt: null }],
    historyText: '\u0000encrypted\u0001binary',
    personalData: ['contact@p.example', 'Strandkaien 2'],
  };
}

function goodWorld(): WorldSnapshot {
  const order = provisionedOrder();
  return {
    takenAt: T(59),
    orders: [order],
    emails: order.emailRows.map((row) => ({ idempotencyKey: row.idempotencyKey, subject: row.subject, to: [row.recipient] })),
    webhooks: [1, 2, 3, 5, 6].map((seq) => ({ webhookId: `msg_${seq}`, orderId: order.orderId, seq, status: order.events[seq - 1]!.status, previousStatus: seq === 1 ? null : 'x' })),
    requests: [
      request({ path: '/api/wizard/t/steps/role', status: 200, idempotencyKey: 'k1', recordsEvent: 'wizard.role', sentAt: T(5), answeredAt: T(6) }),
      request({ path: '/api/wizard/t/steps/role', status: 200, idempotencyKey: 'k1', recordsEvent: 'wizard.role', sentAt: T(5), answeredAt: T(7) }),
      request({ path: '/api/wizard/t', method: 'GET', status: 503, retryAfter: '2' }),
    ],
  };
}

function request(fields: Partial<RequestRecord>): RequestRecord {
  return {
    sentAt: T(10),
    answeredAt: T(11),
    method: 'POST',
    path: '/api/wizard/t/steps/role',
    orderId: 'SIM-1-0',
    status: 200,
    retryAfter: null,
    idempotencyKey: null,
    recordsEvent: null,
    tokenHash: 'hash-1',
    ...fields,
  };
}

const breaking = (world: WorldSnapshot) => (invariant: { check(w: WorldSnapshot): Array<{ orderId: string; reason: string }> }) => invariant.check(world);

it('a good world holds all nine', () => {
  const verdicts = checkAll(goodWorld());
  expect(verdicts).toHaveLength(9);
  expect(verdicts.flatMap(describeVerdict).filter((line) => !line.endsWith(': held'))).toEqual([]);
});

describe('a broken world breaks its invariant, naming the order', () => {
  it('1: an order waiting on nobody', () => {
    const world = goodWorld();
    Object.assign(world.orders[0]!, { workflowStatus: 'ON_HOLD', readModelStatus: 'ON_HOLD', subscriptions: 0, billingStarts: 0, nextDeadlineAt: T(30) });
    expect(breaking(world)(ordersOwned)).toEqual([{ orderId: 'SIM-1-0', reason: expect.stringContaining('no open rep task') }]);
    world.orders[0]!.openTasks = ['on-hold'];
    expect(ordersOwned.check(world)).toEqual([]);
  });

  it('2: a read model that says another status than the workflow', () => {
    const world = goodWorld();
    world.orders[0]!.readModelStatus = 'SERVICE_SETUP';
    expect(readModelFollows.check(world)).toEqual([{ orderId: 'SIM-1-0', reason: 'read model says SERVICE_SETUP, the workflow PROVISIONED' }]);
  });

  it('3: emails keyed without their purpose', () => {
    // The build under test keys emails by link only: the escalation reminder shares the setup
    // email's key, so the provider answers it as a duplicate and it never goes.
    const world = goodWorld();
    const order = world.orders[0]!;
    order.events.splice(2, 0, { seq: 99, type: 'order.escalated', status: 'ESCALATED', data: {}, occurredAt: T(3) });
    order.emailRows[0]!.idempotencyKey = 'SIM-1-0/link-1';
    world.emails[0]!.idempotencyKey = 'SIM-1-0/link-1';
    expect(emailsOnce.check(world)).toEqual([{ orderId: 'SIM-1-0', reason: expect.stringContaining('needs a rep-escalation email') }]);
  });

  it('3: one email sent twice, or a sent one the provider never got', () => {
    const world = goodWorld();
    world.emails.push({ ...world.emails[0]! });
    expect(emailsOnce.check(world)).toEqual([{ orderId: 'SIM-1-0', reason: '2 emails went under the key SIM-1-0/setup/link-1' }]);
    world.emails = world.emails.slice(2);
    expect(emailsOnce.check(world)).toEqual([{ orderId: 'SIM-1-0', reason: expect.stringContaining('the provider never got it') }]);
  });

  it('4: billing twice, or billing an order that was not provisioned', () => {
    const world = goodWorld();
    world.orders[0]!.billingStarts = 2;
    expect(provisionedOnce.check(world)).toHaveLength(1);
    Object.assign(world.orders[0]!, { workflowStatus: 'CANCELLED', billingStarts: 1 });
    expect(provisionedOnce.check(world)).toEqual([{ orderId: 'SIM-1-0', reason: 'CANCELLED with 1 subscription(s) and 1 billing start(s)' }]);
  });

  it('5: a step accepted through a link after its deadline, or after it was revoked', () => {
    const world = goodWorld();
    world.orders[0]!.links = [{ tokenHash: 'hash-1', expiresAt: T(4), revokedAt: null }];
    expect(linksDie.check(world)).toHaveLength(2);
    world.orders[0]!.links = [{ tokenHash: 'hash-1', expiresAt: null, revokedAt: T(1) }];
    expect(linksDie.check(world)[0]).toEqual({ orderId: 'SIM-1-0', reason: expect.stringContaining('after the link was revoked') });
  });

  it('6: a webhook missing, delivered twice, or out of order', () => {
    const world = goodWorld();
    world.webhooks.splice(2, 1);
    expect(webhooksInOrder.check(world)).toEqual([{ orderId: 'SIM-1-0', reason: 'status changes at seq 3 never delivered (got 1, 2, 5, 6)' }]);
    world.webhooks = goodWorld().webhooks.reverse();
    expect(webhooksInOrder.check(world)[0]!.reason).toMatch(/out of seq order/);
    world.webhooks = [...goodWorld().webhooks, { ...goodWorld().webhooks[0]!, webhookId: 'msg_again' }];
    expect(webhooksInOrder.check(world)[0]!.reason).toMatch(/seq 1 delivered more than once/);
  });

  it('7: a step retried with its key applied twice', () => {
    const world = goodWorld();
    world.orders[0]!.events.push({ seq: 7, type: 'wizard.role', status: 'IN_PROGRESS', data: {}, occurredAt: T(6) });
    expect(keyedRetriesOnce.check(world)).toEqual([{ orderId: 'SIM-1-0', reason: expect.stringContaining('recorded wizard.role 2 times') }]);
  });

  it('8: a 500, or a 503 without Retry-After', () => {
    const world = goodWorld();
    world.requests.push(request({ status: 500 }), request({ status: 503 }));
    expect(no5xx.check(world).map((b) => b.reason)).toEqual([
      'POST /api/wizard/t/steps/role answered 500 without Retry-After',
      'POST /api/wizard/t/steps/role answered 503 without Retry-After',
    ]);
  });

  it('9: personal data in clear in the history', () => {
    const world = goodWorld();
    world.orders[0]!.historyText += '{"customerAdmin":"CONTACT@p.example"}';
    expect(historyEncrypted.check(world)).toEqual([{ orderId: 'SIM-1-0', reason: 'history holds in clear: contact@p.example' }]);
  });
});

it('reports a broken invariant with the orders that break it', () => {
  const world = goodWorld();
  world.orders[0]!.readModelStatus = 'SERVICE_SETUP';
  const lines = checkAll(world).flatMap(describeVerdict);
  expect(lines).toContain('invariant 2 (read model status equals the workflow\'s): BROKEN by 1 order(s)');
  expect(lines).toContain('  SIM-1-0: read model says SERVICE_SETUP, the workflow PROVISIONED');
});
