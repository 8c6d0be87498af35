// The simulation's plan, drawn whole before anything runs (SPEC §8.2): the orders, the people behind
// each link, what the reps do in between and the faults, each at a time in seconds from the start.
// Pure and seeded: one PRNG (mulberry32) seeded from --seed, no clock, no Math.random, so the same
// seed always gives the same plan and the same hash. Dates are days relative to the run's today.
import { createHash } from 'node:crypto';

/** Faults the injector (simulator/faults.ts) knows. Webex's join these once its stand-in exists. */
export const FAULT_KINDS = [
  'worker-kill',
  'api-kill',
  'postgres-restart',
  'temporal-restart',
  'resend-5xx',
  'resend-429',
  'resend-timeout',
  'webhook-down',
  'workflow-reset',
  'step8-lock',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Faults held by one order's step 8 rather than a moment: the driver applies them as that order confirms. */
export const ORDER_FAULTS: readonly FaultKind[] = ['step8-lock'];

export type Service = 'messaging' | 'meetings' | 'calling';
export type RepActionName = 'resend-link' | 'change-contact' | 'reschedule' | 'cancel' | 'resume' | 'approve-consent' | 'retry-provisioning';

/** How one person behaves behind a link. Choices the flow does not offer are skipped. */
export interface Person {
  /** Seconds after the email until the link is opened; null: never opened. */
  opensAfter: number | null;
  /** Leaves the wizard before this step and comes back `comeBackAfter` seconds later with a new session. */
  abandon: { before: WizardStepName; comeBackAfter: number } | null;
  /** Stops for good before this step (the order then waits on a rep or its deadline). */
  givesUpBefore: WizardStepName | null;
  /** Step 4: configure self, or hand over to a colleague or the customer (who then runs the wizard). */
  handOver: { to: 'colleague' | 'customer'; email: string } | null;
  /** Step 5 or 7: an existing organization when one is offered; `not-recognised` puts the order on hold. */
  partnerOrg: 'new' | 'existing';
  customerOrg: 'new' | 'existing' | 'not-recognised';
  /** Step 6's address; shared with another order when racing for it. */
  customerAdminEmail: string;
  /** Steps first sent with a mistyped field (a 422), then right. */
  mistypes: WizardStepName[];
  /** What the admin of an existing customer org does with a consent request. */
  consent: 'approve' | 'decline' | 'ignore';
  /** Step 10c; shared with another order when racing for it. */
  subdomain: string;
  /** A step sent twice at once, with the same Idempotency-Key or none. */
  doubleClick: { step: WizardStepName; withKey: boolean } | null;
  /** A step whose answer is given up on (client timeout) and sent again, with its key or without. */
  retryAfterTimeout: { step: WizardStepName; withKey: boolean } | null;
}

export const WIZARD_STEPS = ['role', 'configurer', 'partner-org', 'customer-admin', 'customer-org', 'confirm', 'partner-password', 'subscription', 'calling', 'meetings', 'provision'] as const;
export type WizardStepName = (typeof WIZARD_STEPS)[number];

export interface PlannedOrder {
  index: number;
  orderId: string;
  /** Seconds from the start of the run when the commerce system posts it. */
  intakeAt: number;
  product: 'A-WX' | 'A-SPK';
  services: Service[];
  /** The start date, 1–3 days before the run's today: its setup email goes at once. */
  startDaysAgo: number;
  locale: 'en' | 'nb';
  contactEmail: string;
  partner: { id: string; name: string };
  customer: { name: string; country: string };
  /** The commerce system re-delivers the same order (a lost answer). */
  redelivered: boolean;
  person: Person;
}

export interface PlannedRepAction {
  /** Seconds from the start of the run. */
  at: number;
  action: RepActionName;
  /** One order, or several at once through the bulk route. */
  orderIndexes: number[];
  /** The rep console's double-click: the request sent twice, with its Idempotency-Key or none. */
  doubleClick: 'with-key' | 'without-key' | null;
  /** change-contact's new address. */
  email?: string;
}

export interface PlannedFault {
  /** Seconds from the start of the run; for an order's fault, when the driver may apply it. */
  at: number;
  kind: FaultKind;
  /** How long it lasts (a server down, an outage, a held lock), in seconds. */
  seconds: number;
  /** The order it is aimed at (workflow reset, the held step-8 lock). */
  orderIndex?: number;
}

export interface Plan {
  seed: number;
  orders: PlannedOrder[];
  repActions: PlannedRepAction[];
  faults: PlannedFault[];
  /** Seconds the plan's actions span. */
  seconds: number;
}

export interface PlanOptions {
  seed: number;
  orders: number;
  faults: readonly FaultKind[];
  /** Minutes the actions are spread over. */
  minutes: number;
}

/** mulberry32: a small 32-bit PRNG; one stream draws the whole plan. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Draw {
  constructor(private readonly next: () => number) {}
  chance(p: number): boolean {
    return this.next() < p;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}

const PARTNERS = ['Fjord Networks AS', 'Nordlys IT', 'Bergen Connect', 'Polar Telecom'];
const CUSTOMERS = ['Acme Shipping', 'Havbruk AS', 'Troll Logistics', 'Vik Energi', 'Lofoten Fisk', 'Oslo Bakeri'];
const PRE_COMMIT: readonly WizardStepName[] = ['role', 'configurer', 'partner-org', 'customer-admin', 'customer-org', 'confirm'];
const MISTYPABLE: readonly WizardStepName[] = ['partner-org', 'customer-admin', 'customer-org', 'partner-password', 'meetings'];

export function drawPlan(options: PlanOptions): Plan {
  const draw = new Draw(mulberry32(options.seed));
  const span = Math.max(30, Math.round(options.minutes * 60));
  // Partners repeat (existing partner orgs); admin addresses and subdomains sometimes repeat (races).
  const partnerCount = Math.max(1, Math.min(PARTNERS.length, Math.ceil(options.orders / 3)));
  const orders: PlannedOrder[] = [];
  for (let index = 0; index < options.orders; index += 1) {
    const p = draw.int(0, partnerCount - 1);
    const domain = `c${index}.s${options.seed}.sim.example`;
    const services: Service[] = draw.pick([['messaging'], ['messaging', 'meetings'], ['messaging', 'meetings', 'calling'], ['meetings']]);
    const earlier = index > 0 ? draw.int(0, index - 1) : 0;
    const racesAdmin = index > 0 && draw.chance(0.15);
    const racesSubdomain = index > 0 && draw.chance(0.15);
    const opens = draw.chance(0.85);
    const handOver = draw.chance(0.2) ? { to: draw.pick(['colleague', 'customer'] as const), email: `handover-${index}@${domain}` } : null;
    const abandons = draw.chance(0.25);
    const givesUp = draw.chance(0.1);
    const doubleClicks = draw.chance(0.3);
    const retries = draw.chance(0.25);
    const person: Person = {
      opensAfter: opens ? draw.int(0, 20) : null,
      abandon: abandons ? { before: draw.pick(PRE_COMMIT.slice(1)), comeBackAfter: draw.int(2, 15) } : null,
      givesUpBefore: givesUp ? draw.pick(WIZARD_STEPS.slice(1)) : null,
      handOver,
      partnerOrg: draw.chance(0.6) ? 'existing' : 'new',
      customerOrg: draw.pick(['new', 'new', 'existing', 'existing', 'not-recognised'] as const),
      customerAdminEmail: racesAdmin ? `it@c${earlier}.s${options.seed}.sim.example` : `it@${domain}`,
      mistypes: MISTYPABLE.filter(() => draw.chance(0.15)),
      consent: draw.pick(['approve', 'approve', 'decline', 'ignore'] as const),
      subdomain: `sim${options.seed}-${racesSubdomain ? earlier : index}`,
      doubleClick: doubleClicks ? { step: draw.pick(WIZARD_STEPS), withKey: draw.chance(0.6) } : null,
      retryAfterTimeout: retries ? { step: draw.pick(WIZARD_STEPS), withKey: draw.chance(0.6) } : null,
    };
    orders.push({
      index,
      orderId: `SIM-${options.seed}-${index}`,
      intakeAt: draw.int(0, Math.floor(span / 3)),
      product: draw.pick(['A-WX', 'A-SPK'] as const),
      services,
      startDaysAgo: draw.int(1, 3),
      locale: draw.pick(['en', 'nb'] as const),
      contactEmail: `contact-${index}@partner${p}.s${options.seed}.sim.example`,
      partner: { id: `SIM-${options.seed}-P${p}`, name: PARTNERS[p]! },
      customer: { name: draw.pick(CUSTOMERS), country: draw.pick(['NO', 'NO', 'SE', 'DK']) },
      redelivered: draw.chance(0.2),
      person,
    });
  }

  const repActions: PlannedRepAction[] = [];
  const actionCount = Math.ceil(options.orders * 0.6);
  for (let i = 0; i < actionCount && options.orders > 0; i += 1) {
    const action = draw.pick(['resend-link', 'resend-link', 'change-contact', 'resume', 'resume', 'approve-consent', 'retry-provisioning', 'cancel'] as const);
    const bulk = draw.chance(0.2);
    const first = draw.int(0, options.orders - 1);
    const orderIndexes = bulk ? [...new Set([first, draw.int(0, options.orders - 1), draw.int(0, options.orders - 1)])].sort((a, b) => a - b) : [first];
    const doubleClick = draw.chance(0.3) ? draw.pick(['with-key', 'without-key'] as const) : null;
    repActions.push({
      at: draw.int(10, span),
      action,
      orderIndexes,
      doubleClick,
      ...(action === 'change-contact' ? { email: `new-contact-${i}@partner.s${options.seed}.sim.example` } : {}),
    });
  }
  repActions.sort((a, b) => a.at - b.at);

  const faults: PlannedFault[] = [];
  for (const kind of options.faults) {
    const times = kind === 'step8-lock' || kind === 'workflow-reset' ? 2 : 1;
    for (let i = 0; i < times; i += 1) {
      faults.push({
        at: draw.int(5, Math.max(6, Math.floor((span * 2) / 3))),
        kind,
        seconds: draw.int(3, 10),
        ...(ORDER_FAULTS.includes(kind) || kind === 'workflow-reset' ? { orderIndex: draw.int(0, Math.max(0, options.orders - 1)) } : {}),
      });
    }
  }
  faults.sort((a, b) => a.at - b.at || a.kind.localeCompare(b.kind));
  return { seed: options.seed, orders, repActions, faults, seconds: span };
}

/** The plan as canonical JSON (keys sorted), the text its hash is taken of. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The first 12 hex digits of the plan's SHA-256: `plan=<hash>` on the last line. */
export function planHash(plan: Plan): string {
  return createHash('sha256').update(canonicalJson(plan)).digest('hex').slice(0, 12);
}

/** `--plan`: one JSON line per order, rep action and fault, then the hash. */
export function describePlan(plan: Plan): string[] {
  return [
    ...plan.orders.map((order) => canonicalJson({ order })),
    ...plan.repActions.map((rep) => canonicalJson({ rep })),
    ...plan.faults.map((fault) => canonicalJson({ fault })),
    `plan=${planHash(plan)}`,
  ];
}

/** `--faults none|all|a,b,c`. */
export function parseFaults(value: string): FaultKind[] {
  if (value === 'none' || value === '') return [];
  if (value === 'all') return [...FAULT_KINDS];
  const kinds = value.split(',').map((kind) => kind.trim());
  const unknown = kinds.filter((kind) => !(FAULT_KINDS as readonly string[]).includes(kind));
  if (unknown.length) throw new Error(`unknown fault kind(s): ${unknown.join(', ')}; known: ${FAULT_KINDS.join(', ')}, all, none`);
  return kinds as FaultKind[];
}
