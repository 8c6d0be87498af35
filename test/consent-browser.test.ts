// The consent page (SPEC §7.2) as an organization's admin uses it: Chromium against the real app,
// worker, Temporal and PostgreSQL. The email's "Decline" opens the page with the answer preselected;
// nothing is decided until the button is pressed; a second visit finds the link used. Screenshots
// go to test-results/browser/, axe-core checks each state.
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { organizations, orgUsers } from '../db/schema/index.js';
import { type BrowserStand, checkPage, PHONE, startBrowserStand, type TestBrowser } from './support/browser.js';
import { type Harness, isoDate, makeOrder, REP_TOKEN, tokenOf, waitForEmail, wizardClient } from './support/harness.js';

const SCREENSHOTS = path.resolve('test-results/browser');
let stand: BrowserStand;
let h: Harness;
let base: string;
let browser: TestBrowser;

beforeAll(async () => {
  stand = await startBrowserStand(SCREENSHOTS);
  ({ h, base, browser } = stand);
});
afterAll(() => stand?.close());

/** Screenshot and axe (test/support/browser.ts). */
const check = (page: Page, name: string) => checkPage(page, SCREENSHOTS, name);

/** A new partner's order confirmed into an existing org nobody manages: AWAITING_CONSENT, its admin asked. */
async function awaitingConsent() {
  const domain = `consent-${randomUUID().slice(0, 8)}.example`;
  const [org] = await h.database.db.insert(organizations).values({ kind: 'customer', name: 'Nordlys Fisk AS', country: 'NO' }).returning();
  await h.database.db.insert(orgUsers).values([
    { orgId: org!.id, email: `admin@${domain}`, role: 'admin' },
    { orgId: org!.id, email: `it@${domain}`, role: 'user' },
  ]);
  const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC' });
  expect((await h.postOrder(order)).statusCode).toBe(201);
  const wizard = wizardClient(h, tokenOf(await waitForEmail(h, order.orderId, 'setup')));
  expect((await wizard.start()).statusCode).toBe(201);
  for (const [step, input] of [
    ['role', { role: 'partner' }],
    ['configurer', { choice: 'self' }],
    ['partner-org', { mode: 'new', name: order.partner.name, country: 'NO', address: 'Kaigata 1', adminEmail: `admin@partner-${domain}` }],
    ['customer-admin', { email: `it@${domain}` }],
    ['customer-org', { mode: 'existing', recognised: true, orgId: org!.id }],
    ['confirm', { confirmed: true }],
  ] as const) {
    expect((await wizard.step(step, input)).statusCode).toBe(200);
  }
  return { order, domain, email: await waitForEmail(h, order.orderId, 'consent-request', `admin@${domain}`) };
}

it('shows what is asked, decides only on the button, and refuses the used link', async () => {
  const { order, email } = await awaitingConsent();
  const decline = /(http\S+\/consent\/[A-Za-z0-9_-]{43}\?decision=decline)/.exec(email.text)![1]!;

  const page = await browser.openPage(PHONE);
  await page.goto(decline);
  await page.getByRole('heading', { level: 1, name: 'Your approval is needed' }).waitFor();
  await page.getByText(`${order.partner.name}, a Cisco partner, asks to manage Nordlys Fisk AS`).waitFor();
  expect(await page.getByRole('radio', { name: /Decline/ }).isChecked()).toBe(true);
  await check(page, 'consent-asked');
  // Opening the link decided nothing.
  expect((await h.repGet(`/api/orders/${order.orderId}`)).json().status).toBe('AWAITING_CONSENT');

  await page.getByRole('button', { name: 'Send my answer' }).click();
  await page.getByRole('heading', { level: 1, name: 'Thank you: declined' }).waitFor();
  await check(page, 'consent-declined');
  expect((await h.repGet(`/api/orders/${order.orderId}`)).json().status).toBe('ON_HOLD');

  await page.goto(decline.replace('decline', 'approve'));
  await page.getByRole('heading', { level: 1, name: 'This link does not work' }).waitFor();
  await check(page, 'consent-used');
  await browser.closePage(page);
});

it('says the order is on hold when the approval could not be committed', async () => {
  const { order, domain, email } = await awaitingConsent();
  // Meanwhile the new admin's address moved to another org: the commit after approval is refused.
  const [elsewhere] = await h.database.db.insert(organizations).values({ kind: 'customer', name: 'Annen Kunde AS', country: 'NO' }).returning();
  await h.database.db.update(orgUsers).set({ orgId: elsewhere!.id }).where(eq(orgUsers.email, `it@${domain}`));
  const approve = /(http\S+\/consent\/[A-Za-z0-9_-]{43}\?decision=approve)/.exec(email.text)![1]!;
  const page = await browser.openPage(PHONE);
  await page.goto(approve);
  await page.getByRole('button', { name: 'Send my answer' }).click();
  await page.getByRole('heading', { level: 1, name: 'Thank you: approved' }).waitFor();
  await page.getByText(`Order ${order.orderId} could not be set up in Nordlys Fisk AS just now, so it is on hold`).waitFor();
  expect(await page.getByText('is now set up').count()).toBe(0);
  expect((await h.repGet(`/api/orders/${order.orderId}`)).json().status).toBe('ON_HOLD');
  await browser.closePage(page);
});

it('lets a rep approve in the order page’s action dialog', async () => {
  const { order } = await awaitingConsent();
  const page = await browser.openPage();
  await page.goto(`${base}/rep`);
  await page.evaluate(`sessionStorage.setItem('rep-token', ${JSON.stringify(REP_TOKEN)})`);
  await page.goto(`${base}/rep/orders/${order.orderId}`);
  await page.getByRole('heading', { level: 1, name: `Order ${order.orderId}` }).waitFor();
  await page.getByText('Consent asked of the organization').first().waitFor();
  await page.getByRole('button', { name: 'Approve consent', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Approve for the organization?' });
  await dialog.waitFor();
  await dialog.getByLabel(/Reason/).fill('Their IT manager agreed by phone');
  await check(page, 'consent-rep-dialog');
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await page.getByRole('status').filter({ hasText: 'Done' }).waitFor();
  await page.getByText('A rep approved for the organization. Reason: “Their IT manager agreed by phone”.').waitFor();
  expect((await h.repGet(`/api/orders/${order.orderId}`)).json().status).toBe('ORDER_CONFIGURED');
  await browser.closePage(page);
});
