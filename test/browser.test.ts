// The pages as people use them: Debian's Chromium (driven by playwright-core) against the real
// app listening on a port, with the real worker, Temporal and PostgreSQL behind it. Every page
// visited is screenshotted into test-results/browser/ and checked with axe-core; a Content
// Security Policy violation or an uncaught page error fails the test.
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type BrowserStand, type CheckedPage, checkPage, DESKTOP, PHONE, startBrowserStand, type TestBrowser } from './support/browser.js';
import { organizations } from '../db/schema/index.js';
import { eventually, type Harness, isoDate, makeOrder, outbox, REP_TOKEN, waitForEmail } from './support/harness.js';

const SCREENSHOTS = path.resolve('test-results/browser');

let stand: BrowserStand;
let h: Harness;
let base: string;
let browser: TestBrowser;

beforeAll(async () => {
  stand = await startBrowserStand(SCREENSHOTS, { ESCALATION_AFTER: '2s', TEMPORAL_UI_URL: inject('temporalUiUrl') });
  ({ h, base, browser } = stand);
});

afterAll(() => stand?.close());


const openPage = (viewport = DESKTOP) => browser.openPage(viewport);
const closePage = (page: CheckedPage) => browser.closePage(page);

/** Screenshot and axe (test/support/browser.ts). */
const check = (page: Page, name: string, options: { fullPage?: boolean } = {}) => checkPage(page, SCREENSHOTS, name, options);

const heading = (page: Page, name: string | RegExp) => page.getByRole('heading', { level: 1, name });

async function focusedElement(page: Page) {
  return page.evaluate(`({ tag: document.activeElement?.tagName, name: document.activeElement?.getAttribute('name'), text: document.activeElement?.textContent })`);
}

/** Signs the tab in as a rep the way the sign-in form does (the form itself is tested once). */
async function repSignedIn(page: Page) {
  await page.goto(`${base}/rep`);
  await page.evaluate(`sessionStorage.setItem('rep-token', ${JSON.stringify(REP_TOKEN)})`);
}

/** Opens the dev outbox on the order's emails to `to` and follows the newest wizard link. */
async function openLinkFromOutbox(page: Page, name: string, orderId: string, to: string) {
  await page.goto(`${base}/dev/outbox?orderId=${encodeURIComponent(orderId)}&to=${encodeURIComponent(to)}`);
  await check(page, name);
  await page.locator('a[href*="/wizard/"]').first().click();
  await page.waitForURL(/\/wizard\//);
  return page.url();
}

/** An order whose start date has passed, so its "Configure now" email goes at once. */
async function placeOrder(overrides: Parameters<typeof makeOrder>[0] = {}) {
  const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC', ...overrides });
  expect((await h.postOrder(order)).statusCode).toBe(201);
  await waitForEmail(h, order.orderId, 'setup');
  return order;
}

async function clickContinue(page: Page, label = 'Continue') {
  await page.getByRole('button', { name: label, exact: true }).click();
}

/** The "Configure now" entry, then steps 3 and 4 as the partner who configures it. */
async function startAsPartner(page: Page) {
  await heading(page, 'Set up your Webex services').waitFor();
  await page.getByRole('button', { name: 'Configure now' }).click();
  await heading(page, 'Who are you?').waitFor();
  await clickContinue(page);
  await heading(page, 'Who will configure this order?').waitFor();
  await page.getByLabel('I will, now').check();
  await clickContinue(page);
}

async function newCustomerOrg(page: Page, adminEmail: string) {
  await heading(page, 'The customer’s administrator').waitFor();
  await page.getByLabel('Administrator’s email').fill(adminEmail);
  await clickContinue(page);
  await heading(page, 'The customer’s organization').waitFor();
  await page.getByLabel('Address').fill('Strandkaien 2, 5013 Bergen');
  await clickContinue(page);
}

async function confirmOrganizations(page: Page, name: string) {
  await heading(page, 'Check and confirm').waitFor();
  await check(page, name);
  await page.getByLabel(/I have checked these details/).check();
  await clickContinue(page, 'Confirm and create');
}

/** Step 10 for messaging + meetings: review, subdomain, provision; ends on the provisioned page. */
async function finishServiceSetup(page: Page, prefix: string) {
  await heading(page, 'Set up the services').waitFor();
  await page.getByRole('button', { name: 'These services are right' }).click();
  await page.getByRole('region', { name: /Subscription/ }).getByText('✓ Saved').waitFor();
  await page.getByLabel('Site subdomain').fill(`site-${Math.random().toString(36).slice(2, 9)}`);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('region', { name: /Meetings site/ }).getByText('✓ Saved').waitFor();
  await provision(page, prefix);
}

async function provision(page: Page, prefix: string) {
  await page.getByRole('button', { name: 'Provision and start billing' }).click();
  const dialog = page.getByRole('dialog', { name: 'Provision and start billing?' });
  await dialog.waitFor();
  await check(page, `${prefix}-provision-dialog`, { fullPage: false });
  await dialog.getByRole('button', { name: 'Yes, provision now' }).click();
  await heading(page, 'Your services are provisioned').waitFor({ timeout: 30_000 });
  await check(page, `${prefix}-provisioned`);
}

async function signInAsRep(page: Page, prefix: string) {
  await page.goto(`${base}/rep`);
  await heading(page, 'Sign in').waitFor();
  await check(page, `${prefix}-rep-sign-in`);
  await page.getByLabel('Rep token').fill('not-a-rep-token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('This token is not valid.').waitFor();
  expect(await focusedElement(page)).toMatchObject({ tag: 'INPUT', name: 'token' });
  await page.getByLabel('Rep token').fill(REP_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await heading(page, 'Orders').waitFor();
}

async function openOrderInConsole(page: Page, orderId: string) {
  await page.getByRole('searchbox', { name: 'Search' }).fill(orderId);
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForURL(new RegExp(`q=${orderId}`));
  await page.getByRole('link', { name: orderId }).click();
  await heading(page, `Order ${orderId}`).waitFor();
}

/** A rep action through its confirmation dialog, with a reason for the timeline. */
async function repAct(page: Page, prefix: string, button: string, title: string, reason: string) {
  await page.getByRole('button', { name: button, exact: true }).click();
  const dialog = page.getByRole('dialog', { name: title });
  await dialog.waitFor();
  await dialog.getByLabel(/Reason/).fill(reason);
  await check(page, `${prefix}-rep-dialog`, { fullPage: false });
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await page.getByRole('status').filter({ hasText: 'Done' }).waitFor();
}

// The flows are independent orders in their own tabs: run side by side, they wait on Temporal together.
describe.concurrent('the wizard and the rep console in Chromium', { timeout: 150_000 }, () => {
  it('takes a first order from the setup email through every step to provisioned', async () => {
    const order = await placeOrder({ services: ['messaging', 'meetings', 'calling'], timezone: 'Europe/Oslo' });
    const page = await openPage();
    const link = await openLinkFromOutbox(page, 'full-01-outbox', order.orderId, order.provisioningContactEmail);

    await heading(page, 'Set up your Webex services').waitFor();
    // SPEC §7.3: the wizard shows the order's deadline in the order's zone.
    await page.getByText(/^Open until \d+ \w+ \d{4}, \d\d:\d\d Oslo time, 29 days left$/).waitFor();
    await check(page, 'full-02-entry');
    await page.getByRole('button', { name: 'Configure now' }).click();

    // Step 3, by keyboard: focus starts on the heading; the role follows from the order, so there is nothing to choose.
    // A first order of this partner: the step count includes the password step from the start and stays 8.
    await heading(page, 'Who are you?').waitFor();
    expect(await focusedElement(page)).toMatchObject({ tag: 'H1', text: 'Who are you?' });
    const progress = page.getByRole('navigation', { name: 'Progress' });
    expect(await progress.textContent()).toContain('Step 1 of 8');
    expect(await progress.textContent()).toMatch(/This order is open until .+ Oslo time, 29 days left\./);
    expect(await page.getByRole('radio').count()).toBe(0);
    await page.getByText(`The partner, ${order.partner.name}`, { exact: true }).waitFor();
    await check(page, 'full-03-role');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await heading(page, 'Who will configure this order?').waitFor();
    expect(await progress.textContent()).toContain('Step 2 of 8');
    await check(page, 'full-04-configurer');
    await page.getByLabel('I will, now').check();
    await clickContinue(page);

    // Leaving before the point of no return starts over: the draft is gone.
    await heading(page, 'Your partner organization').waitFor();
    await page.goto(link);
    await heading(page, 'Set up your Webex services').waitFor();
    await startAsPartner(page);

    // Step 5, first order of this partner: a new partner org. The API's 422 lands on the inputs.
    await heading(page, 'Your partner organization').waitFor();
    expect(await progress.textContent()).toContain('Step 3 of 8');
    await page.getByLabel('Partner administrator’s email').fill('not-an-email');
    await clickContinue(page);
    await page.getByText('Country is required.').waitFor();
    expect(await page.getByLabel('Address').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByText('Administrator email must be an email address such as name@company.com.').isVisible()).toBe(true);
    expect(await focusedElement(page)).toMatchObject({ tag: 'SELECT', name: 'country' });
    await check(page, 'full-05-partner-org-errors');
    // Each error goes as soon as its field is filled.
    await page.getByLabel('Country').selectOption('NO');
    expect(await page.getByText('Country is required.').count()).toBe(0);
    await page.getByLabel('Address').fill('Kaigata 1, 5016 Bergen');
    expect(await page.getByLabel('Address').getAttribute('aria-invalid')).not.toBe('true');
    const partnerAdmin = `admin@partner-${order.orderId.toLowerCase()}.example`;
    await page.getByLabel('Partner administrator’s email').fill(partnerAdmin);
    await clickContinue(page);

    await heading(page, 'The customer’s administrator').waitFor();
    expect(await progress.textContent()).toContain('Step 4 of 8');
    await check(page, 'full-06-customer-admin');
    // The partner's new administrator cannot run the customer's organization: said as a person would.
    await page.getByLabel('Administrator’s email').fill(partnerAdmin);
    await clickContinue(page);
    await page.getByText('You chose this address as the administrator of the new partner organization. Use an address at the customer.').waitFor();
    const customerAdmin = `it@${order.orderId.toLowerCase()}.example`;
    await page.getByLabel('Administrator’s email').fill(customerAdmin);
    await clickContinue(page);
    await heading(page, 'The customer’s organization').waitFor();
    await page.getByLabel('Address').fill('Strandkaien 2, 5013 Bergen');
    await check(page, 'full-07-customer-org');
    await clickContinue(page);

    // Back, before the point of no return, keeps this session's answers.
    await heading(page, 'Check and confirm').waitFor();
    await page.getByRole('button', { name: 'Back', exact: true }).click();
    await heading(page, 'The customer’s organization').waitFor();
    expect(await page.getByLabel('Address').inputValue()).toBe('Strandkaien 2, 5013 Bergen');
    await page.getByRole('button', { name: 'Back', exact: true }).click();
    await heading(page, 'The customer’s administrator').waitFor();
    expect(await page.getByLabel('Administrator’s email').inputValue()).toBe(customerAdmin);
    await clickContinue(page);
    await heading(page, 'The customer’s organization').waitFor();
    expect(await page.getByLabel('Address').inputValue()).toBe('Strandkaien 2, 5013 Bergen');
    await clickContinue(page);
    // The confirmation shows both organizations in full.
    await heading(page, 'Check and confirm').waitFor();
    expect(await progress.textContent()).toContain('Step 6 of 8');
    const partnerCard = page.getByRole('region', { name: 'Partner organization' });
    const customerCard = page.getByRole('region', { name: 'Customer organization' });
    for (const text of [order.partner.name, 'Norway', 'Kaigata 1, 5016 Bergen', partnerAdmin]) await partnerCard.getByText(text, { exact: true }).waitFor();
    for (const text of [order.customer.name, 'Strandkaien 2, 5013 Bergen', customerAdmin]) await customerCard.getByText(text, { exact: true }).waitFor();
    await confirmOrganizations(page, 'full-08-confirm');

    // Step 9: the password policy answers inline.
    await heading(page, 'Set the administrator password').waitFor();
    expect(await progress.textContent()).toContain('Step 7 of 8');
    await page.getByLabel('Password', { exact: true }).fill('password123');
    await page.getByLabel('Repeat the password').fill('password123');
    await clickContinue(page, 'Set password');
    await page.locator('.field-error').first().waitFor();
    await check(page, 'full-09-password-error');
    await page.getByLabel('Password', { exact: true }).fill('silver lantern harbour mist 42');
    await page.getByLabel('Repeat the password').fill('silver lantern harbour mist 42');
    await clickContinue(page, 'Set password');

    // After the point of no return, reopening the link resumes at service setup.
    await heading(page, 'Set up the services').waitFor();
    await page.goto(link);
    await heading(page, 'Set up the services').waitFor();
    await page.getByText('Welcome back').waitFor();
    await check(page, 'full-10-service-setup');

    await page.getByRole('button', { name: 'These services are right' }).click();
    await page.getByRole('region', { name: /Subscription/ }).getByText('✓ Saved').waitFor();
    const calling = page.getByRole('region', { name: /Calling/ });
    expect(await calling.getByLabel('Country').inputValue()).toBe(order.customer.country);
    await calling.getByLabel('Location name').fill('Bergen HQ');
    await calling.getByLabel('Time zone').selectOption('Europe/Oslo');
    await calling.getByRole('button', { name: 'Save calling settings' }).click();
    await calling.getByText('✓ Saved').waitFor();

    // The subdomain: check first (a reserved name is refused inline), then save a free one.
    const meetings = page.getByRole('region', { name: /Meetings site/ });
    await meetings.getByLabel('Site subdomain').fill('webex');
    await meetings.getByRole('button', { name: 'Check availability' }).click();
    await meetings.getByText('webex is reserved; choose another name.').waitFor();
    const subdomain = `acme-${Math.random().toString(36).slice(2, 9)}`;
    await meetings.getByLabel('Site subdomain').fill(subdomain);
    await meetings.getByRole('button', { name: 'Check availability' }).click();
    await meetings.getByText(`${subdomain}.webex.com is available.`).waitFor();
    await check(page, 'full-11-subdomain-available');
    await meetings.getByRole('button', { name: 'Save', exact: true }).click();
    await meetings.getByText('✓ Saved').waitFor();
    expect(await meetings.getByText('is available').count()).toBe(0);
    await page.getByText('First save').waitFor({ state: 'detached' });
    await provision(page, 'full-12');
    // The final page: the site's address, and the billing time in the order's zone.
    await page.getByRole('link', { name: `https://${subdomain}.webex.com` }).waitFor();
    expect(await page.getByText(/Oslo time/).count()).toBeGreaterThan(0);

    const detail = (await h.repGet(`/api/orders/${order.orderId}`)).json();
    expect(detail.status).toBe('PROVISIONED');
    await closePage(page);
  });

  it('hands the setup to the customer, who finishes it on a phone', async () => {
    const order = await placeOrder({ services: ['messaging', 'meetings'] });
    const customerEmail = `admin@customer-${order.orderId.toLowerCase()}.example`;
    const page = await openPage(PHONE);
    const partnerLink = await openLinkFromOutbox(page, 'delegation-01-outbox-phone', order.orderId, order.provisioningContactEmail);

    await heading(page, 'Set up your Webex services').waitFor();
    await check(page, 'delegation-02-entry-phone');
    await page.getByRole('button', { name: 'Configure now' }).click();
    await heading(page, 'Who are you?').waitFor();
    await clickContinue(page);
    await heading(page, 'Who will configure this order?').waitFor();
    await page.getByLabel(/The customer,/).check();
    await page.getByLabel('Customer administrator’s email').fill(customerEmail);
    await clickContinue(page);
    await page.getByRole('heading', { name: `Hand the setup to ${customerEmail}?` }).waitFor();
    await check(page, 'delegation-03-confirm-handover-phone');
    await page.getByRole('button', { name: 'Yes, hand it over' }).click();
    await heading(page, 'The setup is handed over').waitFor();
    await check(page, 'delegation-04-handed-over-phone');

    // The partner's link no longer works.
    await page.goto(partnerLink);
    await heading(page, 'This link does not work').waitFor();
    await check(page, 'delegation-05-link-gone-phone');

    await waitForEmail(h, order.orderId, 'delegated', customerEmail);
    await openLinkFromOutbox(page, 'delegation-06-outbox-customer', order.orderId, customerEmail);
    await heading(page, 'Set up your Webex services').waitFor();
    await page.getByRole('button', { name: 'Configure now' }).click();
    await heading(page, 'Who are you?').waitFor();
    await page.getByText(`The customer, ${order.customer.name}`, { exact: true }).waitFor();
    // The customer's run has no partner organization and no partner password: 6 steps, from the first.
    expect(await page.getByRole('navigation', { name: 'Progress' }).textContent()).toContain('Step 1 of 6');
    await check(page, 'delegation-07-role-phone');
    await clickContinue(page);
    await heading(page, 'Who will configure this order?').waitFor();
    expect(await page.getByLabel(/The customer,/).count()).toBe(0);
    await page.getByLabel('I will, now').check();
    await clickContinue(page);
    await newCustomerOrg(page, `it@customer-${order.orderId.toLowerCase()}.example`);
    await confirmOrganizations(page, 'delegation-08-confirm-phone');
    await finishServiceSetup(page, 'delegation-09');
    await closePage(page);
  });

  it('puts an unrecognised organization on hold; a rep resumes it and the contact finishes', async () => {
    const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC' });
    await h.database.db
      .insert(organizations)
      .values({ kind: 'partner', name: 'Fjord Networks Old Org', country: 'NO', address: 'Kaigata 1, Bergen', partnerId: order.partner.id });
    expect((await h.postOrder(order)).statusCode).toBe(201);
    await waitForEmail(h, order.orderId, 'setup');

    const contact = await openPage();
    const link = await openLinkFromOutbox(contact, 'hold-01-outbox', order.orderId, order.provisioningContactEmail);
    await startAsPartner(contact);
    await heading(contact, 'Your partner organization').waitFor();
    await contact.getByText('Fjord Networks Old Org').waitFor();
    await check(contact, 'hold-02-existing-partner-org');
    await contact.getByLabel('No, I don’t recognise it').check();
    await clickContinue(contact);
    await heading(contact, 'This order is on hold').waitFor();
    await contact.getByText(`${order.rep.name}, your Cisco account representative`).waitFor();
    await contact.getByRole('link', { name: order.rep.email }).waitFor();
    await check(contact, 'hold-03-on-hold');

    const rep = await openPage();
    await repSignedIn(rep);
    await rep.goto(`${base}/rep`);
    await heading(rep, 'Orders').waitFor();
    await openOrderInConsole(rep, order.orderId);
    await rep.locator('.page-head').getByText('On hold').waitFor();
    await rep.getByText('Put on hold', { exact: true }).waitFor();
    await check(rep, 'hold-05-rep-order-on-hold');
    await repAct(rep, 'hold-06', 'Resume', 'Resume this order?', 'Partner confirmed the old org is theirs');
    await rep.locator('.page-head').getByText('Awaiting setup').waitFor();
    await rep.getByText('Rep resumed the order', { exact: true }).waitFor();
    await rep.getByText('Reason: “Partner confirmed the old org is theirs”.').waitFor();
    await rep.getByText(/Setup email sent to .*; the link works until .* UTC\./).waitFor();
    await check(rep, 'hold-07-rep-resumed');
    await closePage(rep);

    // The resume revoked the old link and emailed a fresh one, which starts over.
    await waitForEmail(h, order.orderId, 'resumed');
    await contact.goto(link);
    await heading(contact, 'This link does not work').waitFor();
    await openLinkFromOutbox(contact, 'hold-08-fresh-link', order.orderId, order.provisioningContactEmail);
    await startAsPartner(contact);
    await heading(contact, 'Your partner organization').waitFor();
    await contact.getByLabel('Yes, this is our organization').check();
    await clickContinue(contact);
    await newCustomerOrg(contact, `it@hold-${order.orderId.toLowerCase()}.example`);
    await confirmOrganizations(contact, 'hold-08-confirm');
    await finishServiceSetup(contact, 'hold-09');
    await closePage(contact);
  });

  it('lets a rep find an escalated order and resend its link', async () => {
    // A long address wraps at its dots on a phone instead of widening the page.
    const order = await placeOrder({ provisioningContactEmail: `provisioning.contact.with.a.long.name-${Math.random().toString(36).slice(2, 8)}@networks.department.fjord-partner.example` });
    const firstLink = (await outbox(h, order.orderId)).find((email) => email.purpose === 'setup')!;
    // Escalated in the read model the list is built from, not only in the workflow.
    await eventually(async () => ((await h.repGet(`/api/orders?escalated=true&q=${order.orderId}`)).json().items.length ? true : undefined));

    const rep = await openPage();
    await repSignedIn(rep);
    await rep.goto(`${base}/rep`);
    await heading(rep, 'Orders').waitFor();
    await rep.getByRole('button', { name: 'Escalated only' }).click();
    await rep.waitForURL(/escalated=true/);
    await rep.getByRole('searchbox', { name: 'Search' }).fill(order.orderId);
    await rep.getByRole('button', { name: 'Apply' }).click();
    await rep.waitForURL(new RegExp(`escalated=true&q=${order.orderId}`));
    const row = rep.getByRole('row', { name: new RegExp(order.orderId) });
    await row.waitFor();
    expect(await row.getAttribute('class')).toContain('escalated');
    await check(rep, 'escalation-01-rep-list-escalated');
    await row.getByRole('link', { name: order.orderId }).click();
    await heading(rep, `Order ${order.orderId}`).waitFor();
    await rep.getByText('Escalated: nobody has started the setup').waitFor();
    const temporalLink = rep.getByRole('link', { name: /Open in Temporal Web UI/ });
    expect(await temporalLink.getAttribute('href')).toBe(`${inject('temporalUiUrl')}/namespaces/default/workflows/order-${order.orderId}`);
    await check(rep, 'escalation-02-rep-order');

    await repAct(rep, 'escalation-03', 'Resend link', 'Resend the setup link?', 'Contact asked for a fresh link');
    await rep.getByText(`A new setup link is on its way to ${order.provisioningContactEmail}; the earlier links no longer work.`).waitFor();
    await rep.getByText('Rep resent the link', { exact: true }).waitFor();
    await check(rep, 'escalation-04-rep-link-resent');
    await rep.setViewportSize(PHONE);
    await check(rep, 'escalation-05-rep-order-phone');
    await closePage(rep);

    // A new setup email went out; the first link no longer works, the new one does.
    const resent = await eventually(async () => (await outbox(h, order.orderId)).find((e) => e.purpose === 'setup' && e.id !== firstLink.id));
    const contact = await openPage();
    await contact.goto(/https?:\/\/\S+\/wizard\/[\w-]+/.exec(firstLink.text)![0]);
    await heading(contact, 'This link does not work').waitFor();
    await contact.goto(/https?:\/\/\S+\/wizard\/[\w-]+/.exec(resent.text)![0]);
    await heading(contact, 'Set up your Webex services').waitFor();
    await closePage(contact);
  });

  it('filters the rep list by status and search, page by page', async () => {
    const partnerName = `Paging Partner ${Math.random().toString(36).slice(2, 8)}`;
    const orders = Array.from({ length: 21 }, () => makeOrder({ partner: { id: `P-${Math.random().toString(36).slice(2, 10)}`, name: partnerName } }));
    for (const order of orders) expect((await h.postOrder(order)).statusCode).toBe(201);
    await eventually(async () => ((await h.repGet(`/api/orders?q=${encodeURIComponent(partnerName)}&limit=100`)).json().items.length === 21 ? true : undefined));

    const rep = await openPage();
    await repSignedIn(rep);
    await rep.goto(`${base}/rep?status=SCHEDULED&q=${encodeURIComponent(partnerName)}`);
    await rep.getByText('Showing 1–20').waitFor();
    expect(await rep.getByLabel('Status').inputValue()).toBe('SCHEDULED');
    expect(await rep.locator('tbody tr').count()).toBe(20);
    await check(rep, 'list-01-page-1');
    await rep.getByRole('button', { name: 'Next →' }).click();
    await rep.getByText('Showing 21–21 of 21').waitFor();
    expect(await rep.locator('tbody tr').count()).toBe(1);
    await rep.getByRole('button', { name: '← Previous' }).click();
    await rep.getByText('Showing 1–20').waitFor();

    await rep.getByLabel('Status').selectOption('PROVISIONED');
    await rep.getByRole('button', { name: 'Apply' }).click();
    await rep.getByText('No orders match.').waitFor();

    // At phone width the table becomes cards.
    await rep.setViewportSize(PHONE);
    await rep.goto(`${base}/rep?q=${encodeURIComponent(partnerName)}`);
    await rep.getByText('Showing 1–20').waitFor();
    await check(rep, 'list-02-phone', { fullPage: false });
    await closePage(rep);
  });
});

describe('rep sign-in', { timeout: 60_000 }, () => {
  it('is asked once per browser session: a new tab is signed in, signing out ends every tab', async () => {
    // A browser of its own: the shared one's tabs are signed in and would answer for this one.
    const browser = await chromium.launch({ executablePath: inject('chromiumPath'), headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      const session = await browser.newContext({ viewport: DESKTOP });
      const first = await session.newPage();
      await signInAsRep(first, 'signin-01');
      const second = await session.newPage();
      await second.goto(`${base}/rep`);
      await heading(second, 'Orders').waitFor();
      await second.getByRole('button', { name: 'Sign out' }).click();
      await heading(second, 'Sign in').waitFor();
      await heading(first, 'Sign in').waitFor();
      await first.getByText('You signed out in another tab.').waitFor();

      // Another browser session is asked again.
      await signInAsRep(first, 'signin-02');
      const elsewhere = await (await browser.newContext({ viewport: DESKTOP })).newPage();
      await elsewhere.goto(`${base}/rep`);
      await heading(elsewhere, 'Sign in').waitFor();
    } finally {
      await browser.close();
    }
  });
});
