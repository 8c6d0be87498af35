// Plays the plan over HTTP as the commerce system, the people behind the links and the reps would:
// signed intake, the wizard's routes with the token from the newest email the person got, the
// rep's routes with a bearer token, consent answers from the org admin's email. Every request and
// its answer is logged for the invariant checkers. A 503 is retried after its Retry-After, as the
// pages do, with the same Idempotency-Key when the plan says the client sends one.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { signIntakeBody } from '../api/signature.js';
import { hashLinkToken } from '../domain/link-token.js';
import type { RequestRecord } from './invariants.js';
import type { Plan, PlannedOrder, PlannedRepAction, WizardStepName } from './plan.js';
import type { ResendStandIn } from './stand-ins/resend.js';

export interface DriverDeps {
  apiUrl: string;
  repToken: string;
  intakeSecret: string;
  resend: ResendStandIn;
  /** Seconds since the run started. */
  elapsed(): number;
  /** The plan's faults aimed at one order's step 8 (a held lock), applied as it confirms. */
  beforeConfirm(order: PlannedOrder): Promise<void>;
  log(line: string): void;
}

interface Answer {
  status: number | null;
  body: Record<string, unknown>;
}

type View = Record<string, unknown> & { status?: string; nextStep?: string | null; session?: { active: boolean } };

const PASSWORD = 'correct horse battery staple fjord';
/** How long a person takes between one answer and the next click. */
const THINK_MS = 300;
const TERMINAL = new Set(['PROVISIONED', 'CANCELLED', 'EXPIRED']);

/** The addresses a person types beside the plan's: the new partner org's admin, and the admin address tried after losing a race. */
export const typedAddresses = (order: PlannedOrder) => ({
  partnerAdmin: `admin-${order.index}@partner.c${order.index}.sim.example`,
  otherCustomerAdmin: `it-${order.index}-b@c${order.index}.sim.example`,
});

export class Driver {
  readonly requests: RequestRecord[] = [];
  constructor(private readonly deps: DriverDeps) {}

  /** One HTTP request, logged; no answer (the API is down) gives status null. */
  private async send(method: string, url: string, options: { body?: unknown; headers?: Record<string, string>; orderId: string | null; recordsEvent?: string; token?: string; key?: string | null; timeoutMs?: number }): Promise<Answer & { retryAfter: string | null }> {
    const sentAt = new Date();
    const headers: Record<string, string> = { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers };
    if (options.key) headers['idempotency-key'] = options.key;
    let status: number | null = null;
    let retryAfter: string | null = null;
    let body: Record<string, unknown> = {};
    try {
      const response = await fetch(`${this.deps.apiUrl}${url}`, {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
      status = response.status;
      retryAfter = response.headers.get('retry-after');
      const text = await response.text();
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        body = { text };
      }
    } catch {
      // No answer: killed API, refused connection, or the client gave up waiting.
    }
    this.requests.push({
      sentAt: sentAt.toISOString(),
      answeredAt: new Date().toISOString(),
      method,
      path: url.split('?')[0]!,
      orderId: options.orderId,
      status,
      retryAfter,
      idempotencyKey: options.key ?? null,
      recordsEvent: options.recordsEvent ?? null,
      tokenHash: options.token ? hashLinkToken(options.token) : null,
    });
    return { status, body, retryAfter };
  }

  /** As the pages do: a 503 or no answer is retried (after Retry-After), with the same key. */
  private async call(method: string, url: string, options: Parameters<Driver['send']>[2]): Promise<Answer> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const answer = await this.send(method, url, options);
      if ((answer.status !== 503 && answer.status !== null) || Date.now() > deadline) return answer;
      await sleep(answer.status === 503 ? 1000 * Math.min(10, Number(answer.retryAfter ?? 1) || 1) : 1000);
    }
  }

  async intake(order: PlannedOrder, today: Date): Promise<void> {
    const startDate = new Date(today.getTime() - order.startDaysAgo * 86_400_000).toISOString().slice(0, 10);
    const raw = JSON.stringify({
      orderId: order.orderId,
      product: order.product,
      requestedStartDate: startDate,
      timezone: 'UTC',
      provisioningContactEmail: order.contactEmail,
      partner: order.partner,
      customer: order.customer,
      services: order.services,
      rep: { name: 'Sim Rep', email: 'sim.rep@cisco.example' },
      locale: order.locale,
    });
    // Signed at each try: a retry an hour later would be a new signature, as the commerce system makes.
    const post = () => this.call('POST', '/api/orders', { body: raw, headers: { 'x-signature': signIntakeBody(this.deps.intakeSecret, raw, Math.floor(Date.now() / 1000)) }, orderId: order.orderId });
    const first = await post();
    if (first.status !== 201 && first.status !== 200) this.deps.log(`${order.orderId}: intake answered ${first.status}: ${JSON.stringify(first.body)}`);
    if (order.redelivered) await post();
  }

  /** The newest link the order's people were emailed, wizard or consent. */
  private newestLink(orderId: string, kind: 'wizard' | 'consent', since = 0): { token: string; at: number } | undefined {
    const pattern = kind === 'wizard' ? /\/wizard\/([A-Za-z0-9_-]{43})/ : /\/consent\/([A-Za-z0-9_-]{43})/;
    let newest: { token: string; at: number } | undefined;
    for (const email of this.deps.resend.deliveries()) {
      if (!email.idempotencyKey?.startsWith(`${orderId}/`)) continue;
      const token = pattern.exec(email.text ?? '')?.[1];
      if (token && email.at.getTime() >= since && (!newest || email.at.getTime() >= newest.at)) newest = { token, at: email.at.getTime() };
    }
    return newest;
  }

  private async waitForLink(orderId: string, kind: 'wizard' | 'consent', newerThan: string | undefined, timeoutMs: number): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const link = this.newestLink(orderId, kind);
      if (link && link.token !== newerThan) return link.token;
      await sleep(500);
    }
    return undefined;
  }

  /**
   * The person behind the order's links, from the first email until the order ends, they give up,
   * or `until` (epoch ms: a little after the plan's end, so one waiting for a rep never holds up the run).
   */
  async person(order: PlannedOrder, until: number): Promise<void> {
    const { person } = order;
    if (person.opensAfter === null) return;
    const deadline = until;
    let token = await this.waitForLink(order.orderId, 'wizard', undefined, 120_000);
    if (!token) return this.deps.log(`${order.orderId}: no setup email came`);
    await sleep(person.opensAfter * 1000);
    let sessionId = '';
    let handedOver = false;
    let abandoned = false;
    let consentAnswered = false;
    const mistyped = new Set<WizardStepName>();
    const clicked = new Set<string>();
    const orderId = order.orderId;

    while (Date.now() < deadline) {
      // The newest link wins: a resend, a contact change, a hand-over or a resume sends one.
      token = this.newestLink(orderId, 'wizard')?.token ?? token;
      const viewAnswer = await this.call('GET', `/api/wizard/${token}${sessionId ? `?sessionId=${sessionId}` : ''}`, { orderId, token });
      if (viewAnswer.status === 404 || viewAnswer.status === 410) {
        // A dead link: wait for a newer one (a rep may resend), else stop.
        const newer = await this.waitForLink(orderId, 'wizard', token, 20_000);
        if (!newer) return;
        token = newer;
        sessionId = '';
        continue;
      }
      if (viewAnswer.status !== 200) return this.deps.log(`${orderId}: the wizard view answered ${viewAnswer.status}`);
      const view = viewAnswer.body as View;
      const status = String(view.status);
      if (TERMINAL.has(status)) return;
      if (status === 'ON_HOLD' || status === 'SCHEDULED') {
        // Waits for the rep (resume sends a fresh link) or the start date.
        await this.waitForLink(orderId, 'wizard', token, 15_000);
        continue;
      }
      if (status === 'AWAITING_CONSENT') {
        if (!consentAnswered && person.consent !== 'ignore') {
          consentAnswered = true;
          const consentToken = await this.waitForLink(orderId, 'consent', undefined, 30_000);
          if (consentToken) {
            await this.call('POST', `/api/consent/${consentToken}`, { body: { decision: person.consent }, orderId, key: randomUUID(), recordsEvent: `consent.${person.consent === 'approve' ? 'approved' : 'declined'}` });
          }
        }
        await sleep(2000);
        continue;
      }
      // No session of this person's (first visit, a new link, or someone else's session since): open one.
      if (!view.session?.active) {
        const started = await this.call('POST', `/api/wizard/${token}/sessions`, { orderId, token, key: randomUUID(), recordsEvent: 'wizard.session-started' });
        if (started.status !== 201) {
          await sleep(2000);
          continue;
        }
        sessionId = String(started.body.sessionId);
        continue;
      }
      const next = view.nextStep as WizardStepName | null;
      if (next === null) {
        await sleep(1000); // provisioning runs, or the order waits on something else
        continue;
      }
      if (person.givesUpBefore === next) return;
      if (person.abandon?.before === next && !abandoned) {
        abandoned = true;
        await sleep(person.abandon.comeBackAfter * 1000);
        sessionId = '';
        continue;
      }
      if (next === 'confirm') await this.deps.beforeConfirm(order);
      let input = await this.stepInput(order, next, view, token, handedOver);
      if (next === 'configurer' && input.choice !== 'self') handedOver = true;
      if (person.mistypes.includes(next) && !mistyped.has(next)) {
        mistyped.add(next);
        await this.submit(orderId, token, next, { sessionId, ...this.mistype(next, input) }, { key: randomUUID() });
      }
      const behaviour = person.doubleClick?.step === next && !clicked.has(`double ${next}`) ? 'double' : person.retryAfterTimeout?.step === next && !clicked.has(`retry ${next}`) ? 'retry' : 'once';
      clicked.add(`${behaviour} ${next}`);
      const withKey = behaviour === 'double' ? person.doubleClick!.withKey : behaviour === 'retry' ? person.retryAfterTimeout!.withKey : true;
      const key = withKey ? randomUUID() : null;
      const body = { sessionId, ...input };
      let answer: Answer;
      if (behaviour === 'double') {
        [answer] = await Promise.all([this.submit(orderId, token, next, body, { key }), this.submit(orderId, token, next, body, { key })]);
      } else if (behaviour === 'retry') {
        // The client gives up on the first answer (a slow network) and sends it again.
        await this.submit(orderId, token, next, body, { key, timeoutMs: 30 });
        answer = await this.submit(orderId, token, next, body, { key });
      } else {
        answer = await this.submit(orderId, token, next, body, { key });
      }
      if (answer.status === 422 && (next === 'meetings' || next === 'customer-admin' || next === 'partner-org' || next === 'customer-org')) {
        // Lost a race (the subdomain or the address is taken) or the choice is not offered: the other way.
        input = await this.stepInput(order, next, view, token, handedOver, true);
        await this.submit(orderId, token, next, { sessionId, ...input }, { key: randomUUID() });
      }
      // A person reads the answer before the next click; a refusal takes longer to take in.
      await sleep(answer.status === 200 ? THINK_MS : 5 * THINK_MS);
      if (next === 'configurer' && input.choice !== 'self' && answer.status === 200) {
        // The session ends; the colleague or the customer carries on with the link they are sent.
        const newer = await this.waitForLink(orderId, 'wizard', token, 60_000);
        if (newer) token = newer;
        sessionId = '';
      }
    }
    this.deps.log(`${orderId}: the person stopped at the end of the plan, the order still open`);
  }

  private submit(orderId: string, token: string, step: WizardStepName, body: Record<string, unknown>, options: { key: string | null; timeoutMs?: number }): Promise<Answer> {
    const send = options.timeoutMs ? this.send.bind(this) : this.call.bind(this);
    return send('POST', `/api/wizard/${token}/steps/${step}`, { body, orderId, token, key: options.key, recordsEvent: `wizard.${step}`, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
  }

  private mistype(step: WizardStepName, input: Record<string, unknown>): Record<string, unknown> {
    switch (step) {
      case 'partner-org':
        return { ...input, mode: 'new', name: 'x', country: 'NO', address: 'Kaigata 1', adminEmail: 'admin-at-nowhere' };
      case 'customer-admin':
        return { email: 'it@@example' };
      case 'customer-org':
        return { mode: 'new', name: '', country: 'Norway', address: '' };
      case 'partner-password':
        return { password: 'password' };
      case 'meetings':
        return { subdomain: 'Not_A Subdomain!' };
      default:
        return input;
    }
  }

  private async stepInput(order: PlannedOrder, step: WizardStepName, view: View, token: string, handedOver: boolean, otherWay = false): Promise<Record<string, unknown>> {
    const { person } = order;
    const typed = typedAddresses(order);
    switch (step) {
      case 'role':
        return { role: view.delegatedToCustomer && view.audience === 'customer' ? 'customer' : 'partner' };
      case 'configurer':
        return !handedOver && person.handOver && !otherWay ? { choice: person.handOver.to, email: person.handOver.email } : { choice: 'self' };
      case 'partner-org': {
        const existing = view.partnerOrg as { orgId: string } | null | undefined;
        const useExisting = existing && (person.partnerOrg === 'existing') !== otherWay;
        return useExisting
          ? { mode: 'existing', recognised: true }
          : { mode: 'new', name: order.partner.name, country: 'NO', address: 'Kaigata 1, Bergen', adminEmail: typed.partnerAdmin };
      }
      case 'customer-admin':
        return { email: otherWay ? typed.otherCustomerAdmin : person.customerAdminEmail };
      case 'customer-org': {
        const candidates = ((view.customerOrg as { candidates?: Array<{ orgId: string }> } | undefined)?.candidates ?? []);
        if (!otherWay && candidates.length && person.customerOrg === 'existing') return { mode: 'existing', orgId: candidates[0]!.orgId, recognised: true };
        if (!otherWay && candidates.length && person.customerOrg === 'not-recognised') return { mode: 'existing', recognised: false };
        if (otherWay && candidates.length) return { mode: 'existing', orgId: candidates[0]!.orgId, recognised: true };
        return { mode: 'new', name: order.customer.name, country: order.customer.country, address: 'Strandkaien 2' };
      }
      case 'confirm':
        return { confirmed: true };
      case 'partner-password':
        return { password: PASSWORD };
      case 'subscription':
        return { reviewed: true };
      case 'calling':
        return (view.callingDefaults as Record<string, unknown> | undefined) ?? {};
      case 'meetings': {
        const wanted = otherWay ? `${person.subdomain}-${order.index}` : person.subdomain;
        // The page checks first, as the person would see "taken" before sending.
        await this.call('GET', `/api/wizard/${token}/subdomains/${wanted}`, { orderId: order.orderId, token });
        return { subdomain: wanted };
      }
      case 'provision':
        return { confirm: true };
    }
  }

  /** One planned rep action, on one order or in bulk; a double-click sends it twice. */
  async rep(action: PlannedRepAction, plan: Plan): Promise<void> {
    const orderIds = action.orderIndexes.map((i) => plan.orders[i]!.orderId);
    const input: Record<string, unknown> = { reason: `simulated rep: ${action.action}` };
    if (action.email) input.email = action.email;
    if (action.action === 'reschedule') input.requestedStartDate = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const key = action.doubleClick === 'without-key' ? null : randomUUID();
    const headers = { authorization: `Bearer ${this.deps.repToken}` };
    const once = () =>
      orderIds.length > 1
        ? this.call('POST', `/api/orders/actions/${action.action}`, { body: { orderIds, ...input }, headers, orderId: null, key })
        : this.call('POST', `/api/orders/${orderIds[0]}/actions/${action.action}`, { body: input, headers, orderId: orderIds[0]!, key, recordsEvent: `rep.${action.action}` });
    await (action.doubleClick ? Promise.all([once(), once()]) : once());
  }

  /** The rep's view of one order (its live state plus what is next). */
  async detail(orderId: string): Promise<Answer> {
    return this.call('GET', `/api/orders/${orderId}`, { headers: { authorization: `Bearer ${this.deps.repToken}` }, orderId });
  }
}
