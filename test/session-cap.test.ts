// The session cap counts only sessions before the point of no return (issue 23, item 6): after
// step 8 the wizard always opens, so the order can be finished; before it the refusal says why,
// in the holder's language, and a rep can lift the cap.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCALES } from '../domain/locale.js';
import { WIZARD_MESSAGES } from '../i18n/wizard.js';
import { applyStartSession, MAX_SESSIONS_PER_ORDER } from '../workflows/wizard.js';
import { type Harness, isoDate, makeOrder, repAction, startHarness, tokenOf, waitForEmail, wizardClient } from './support/harness.js';
import { eventsOf, waitForDetail } from './support/lifecycle.js';
import { orderInServiceSetup, saveAllSections } from './support/wizard-flow.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('the session cap', () => {
  it('does not count sessions after step 8: 21 more starts, and the order is provisioned', { timeout: 120_000 }, async () => {
    const { order, wizard } = await orderInServiceSetup(h, ['messaging']);
    for (let i = 0; i <= MAX_SESSIONS_PER_ORDER; i += 1) expect((await wizard.start()).statusCode, `start ${i + 1}`).toBe(201);
    await saveAllSections(wizard, ['messaging']);
    expect((await wizard.step('provision', { confirm: true })).statusCode).toBe(200);
    const detail = await waitForDetail(h, order.orderId, (d) => d.status === 'PROVISIONED' && eventsOf(d, 'order.provisioned').length > 0, 30_000);
    expect(detail.tasks.filter((t) => t.kind === 'sessions-capped')).toEqual([]);
  });

  it('before step 8 refuses with its reason, and a rep lifting the cap lets the wizard open again', { timeout: 120_000 }, async () => {
    const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC' });
    expect((await h.postOrder(order)).statusCode).toBe(201);
    const wizard = wizardClient(h, tokenOf(await waitForEmail(h, order.orderId, 'setup')));
    // Nothing to lift yet.
    expect((await repAction(h, order.orderId, 'lift-session-cap', { reason: 'asked by phone' })).json().type).toMatch(/sessions-not-capped$/);
    for (let i = 0; i < MAX_SESSIONS_PER_ORDER; i += 1) expect((await wizard.start()).statusCode).toBe(201);
    const refused = await wizard.start();
    expect(refused.statusCode).toBe(409);
    expect(refused.json().type).toMatch(/too-many-sessions$/);
    await waitForDetail(h, order.orderId, (d) => d.tasks.some((t) => t.kind === 'sessions-capped' && t.status === 'open'));

    expect((await repAction(h, order.orderId, 'lift-session-cap', {})).statusCode).toBe(422);
    const lifted = await repAction(h, order.orderId, 'lift-session-cap', { reason: 'the contact lost the page twice' });
    expect(lifted.statusCode, lifted.body).toBe(200);
    expect((await wizard.start()).statusCode).toBe(201);
    const detail = await waitForDetail(h, order.orderId, (d) => d.tasks.some((t) => t.kind === 'sessions-capped' && t.status === 'closed'));
    expect(eventsOf(detail, 'rep.lift-session-cap')).toHaveLength(1);
  });

  it.each(LOCALES)('its refusal has a message of its own on the %s wizard page', (locale) => {
    const capped = {
      status: 'AWAITING_SETUP',
      link: { issueKey: 'link-1', audience: 'contact', email: 'a@example.com', expiresAt: null },
      sessionsStarted: MAX_SESSIONS_PER_ORDER,
    } as unknown as Parameters<typeof applyStartSession>[0];
    const outcome = applyStartSession(capped, 'link-1', 'session', new Date().toISOString());
    expect(outcome.ok).toBe(false);
    const code = !outcome.ok && outcome.refusal.kind === 'conflict' ? outcome.refusal.code : '';
    // The page words a refusal by `wizard.problem.<code>`, else (in Norwegian) only "Noe gikk galt".
    const messages: Record<string, string> = WIZARD_MESSAGES[locale];
    expect(messages[`wizard.problem.${code}`], code).toBeTruthy();
  });
});
