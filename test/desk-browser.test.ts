// The rep's desk in Chromium (SPEC §7.3, issue 15 item 4): open tasks across orders filtered by
// reason and partner, many orders selected and one action applied with a result per order, the
// CSV export, and the order page's one line on who holds the ball and what happens next. Every
// page is screenshotted into test-results/desk-browser/ and checked with axe-core.
import { mkdir, readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AXE_SOURCE, type CheckedPage, DESKTOP, launchBrowser, PHONE, type TestBrowser } from './support/browser.js';
import { eventually, type Harness, isoDate, makeOrder, REP_TOKEN, startHarness } from './support/harness.js';

const SCREENSHOTS = path.resolve('test-results/desk-browser');

let h: Harness;
let base: string;
let browser: TestBrowser;

beforeAll(async () => {
  h = await startHarness({ ESCALATION_AFTER: '2s', REP_API_TOKENS: `Rita Rep <rita.rep@cisco.example>=${REP_TOKEN}` });
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const address = h.app.server.address();
  if (!address || typeof address === 'string') throw new Error('not listening');
  base = `http://127.0.0.1:${address.port}`;
  await mkdir(SCREENSHOTS, { recursive: true });
  browser = await launchBrowser({ acceptDownloads: true });
});

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

const openPage = (viewport = DESKTOP) => browser.openPage(viewport);
const closePage = (page: CheckedPage) => browser.closePage(page);

/** Screenshot, then axe: no serious or critical violation, and no sideways scrolling. */
async function check(page: Page, name: string) {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  await page.evaluate(AXE_SOURCE);
  const violations = (await page.evaluate(`axe
    .run(document, { resultTypes: ['violations'] })
    .then((result) => result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) })))`)) as Array<{
    impact: string;
  }>;
  expect(
    violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'),
    `axe on ${name}`,
  ).toEqual([]);
  const width = Number(await page.evaluate('document.documentElement.scrollWidth'));
  expect(width, `${name} scrolls sideways`).toBeLessThanOrEqual(page.viewportSize()!.width);
}

const heading = (page: Page, name: string | RegExp) => page.getByRole('heading', { level: 1, name });

async function repSignedIn(page: Page) {
  await page.goto(`${base}/rep`);
  await page.evaluate(`sessionStorage.setItem('rep-token', ${JSON.stringify(REP_TOKEN)})`);
}

const partner = { id: `P-desk-${randomUUID().slice(0, 8)}`, name: 'Nordlys Partner AS' };

/** An order whose setup email went at once and that escalates 2 s later (an open rep task). */
async function escalatedOrder(customer: string): Promise<string> {
  const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC', partner, customer: { name: customer, country: 'NO' } });
  expect((await h.postOrder(order)).statusCode).toBe(201);
  await eventually(async () => {
    const tasks = (await h.repGet(`/api/tasks?q=${order.orderId}`)).json().items as unknown[];
    return tasks.length ? true : undefined;
  });
  return order.orderId;
}

let orders: string[];
beforeAll(async () => {
  orders = await Promise.all(['Fjellvik Shipping', 'Havbris Logistics', 'Solberg Bakeri'].map(escalatedOrder));
});

describe('the desk', () => {
  it('lists open tasks with filters, acts on selected orders with a result per order, and exports CSV', async () => {
    const page = await openPage();
    await repSignedIn(page);
    await page.goto(`${base}/rep/desk?partner=${partner.id}`);
    await heading(page, 'Desk').waitFor();
    const rows = page.locator('table.desk tbody tr');
    await expect.poll(() => rows.count()).toBe(3);
    await expect.poll(async () => (await rows.first().textContent()) ?? '').toMatch(/Escalated.*the link expires/s);
    await check(page, 'desk-01-tasks');

    // The reason filter lives in the URL: on hold shows none of these.
    await page.getByLabel('Task reason').selectOption('on-hold');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/kind=on-hold/);
    await page.getByText('No open tasks match.').waitFor();
    await page.getByLabel('Task reason').selectOption('escalation');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => rows.count()).toBe(3);

    // CSV export of what the filters show.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    const csv = await readFile((await download.path())!, 'utf8');
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe('"order","reason","opened","age_seconds","order_status","partner_id","partner","customer","next_deadline","next","detail"');
    expect(lines.slice(1).map((line) => line.split(',')[0]!.replace(/"/g, '')).sort()).toEqual([...orders].sort());

    // Two orders selected, resend their links: one result each.
    await page.getByLabel(`Select order ${orders[0]}`).check();
    await page.getByLabel(`Select order ${orders[1]}`).check();
    await page.getByLabel('Action').selectOption('resend-link');
    await page.getByLabel('Reason (optional)').fill('Contacts asked for a fresh link');
    await page.getByRole('button', { name: /Resend link · 2 orders/ }).click();
    await page.getByText('2 done, 0 refused.').waitFor();
    await check(page, 'desk-02-bulk-done');

    // Cancel all three with one order cancelled behind the desk's back: that one is refused in its slot.
    expect((await h.app.inject({ method: 'POST', url: `/api/orders/${orders[2]}/actions/cancel`, headers: { authorization: `Bearer ${REP_TOKEN}` }, payload: { reason: 'withdrawn' } })).statusCode).toBe(200);
    await page.getByLabel('Select every order on this page').check();
    await page.getByLabel('Action').selectOption('cancel');
    await page.getByRole('button', { name: /Cancel order · 3 orders/ }).click();
    await page.getByText('Give a reason for cancelling.').waitFor();
    await page.getByLabel('Reason', { exact: true }).fill('Customer withdrew');
    await page.getByRole('button', { name: /Cancel order · 3 orders/ }).click();
    await page.getByText('2 done, 1 refused.').waitFor();
    await expect.poll(async () => page.locator('.bulk-results .refused').textContent()).toContain(orders[2]);
    await check(page, 'desk-03-bulk-partly-refused');
    await closePage(page);
  });

  it('shows the desk on a phone', async () => {
    const order = await escalatedOrder('Phone Fisk AS');
    const page = await openPage(PHONE);
    await repSignedIn(page);
    await page.goto(`${base}/rep/desk?partner=${partner.id}`);
    await page.getByRole('link', { name: order }).waitFor();
    await check(page, 'desk-04-phone');
    await closePage(page);
  });
});

describe('the order page', () => {
  it('says in one line who the order waits on since when and what happens next at what time', async () => {
    const scheduled = makeOrder({ requestedStartDate: isoDate(20), timezone: 'UTC', partner });
    expect((await h.postOrder(scheduled)).statusCode).toBe(201);
    const page = await openPage();
    await repSignedIn(page);
    await page.goto(`${base}/rep/orders/${scheduled.orderId}`);
    const line = page.getByTestId('waiting-line');
    await expect.poll(async () => (await line.textContent()) ?? '').toMatch(
      new RegExp(`Waiting on the service since .*Next: the setup email goes to ${scheduled.provisioningContactEmail.replace(/\./g, '\\.')} on`),
    );
    await check(page, 'desk-05-order-scheduled');

    const escalated = await escalatedOrder('Line Check AS');
    await page.goto(`${base}/rep/orders/${escalated}`);
    await expect.poll(async () => (await line.textContent()) ?? '').toMatch(/Waiting on you, the rep since .*Next: an expiry reminder is emailed on/);
    await check(page, 'desk-06-order-escalated');
    await closePage(page);
  });
});
