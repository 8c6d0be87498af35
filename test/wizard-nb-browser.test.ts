// The wizard in Norwegian Bokmål, in Chromium against the real app, worker, Temporal and
// PostgreSQL: an order for a customer in Norway that names no language gets Norwegian emails and
// pages, from the setup email to provisioned, and the language switch changes and keeps the choice.
// Its own browser profile: the switch's choice lives in the browser and must not reach other tests.
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserStand, checkPage, startBrowserStand, type TestBrowser } from './support/browser.js';
import { eventually, type Harness, isoDate, makeOrder, REP_TOKEN, waitForEmail } from './support/harness.js';
import { type Receiver, startReceiver, WEBHOOK_TEST_SECRET } from '../simulator/stand-ins/webhook-receiver.js';

const SCREENSHOTS = path.resolve('test-results/browser-nb');

let stand: BrowserStand;
let h: Harness;
let base: string;
let browser: TestBrowser;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  stand = await startBrowserStand(SCREENSHOTS, { WEBHOOK_ENDPOINTS: receiver.url, WEBHOOK_SECRET: WEBHOOK_TEST_SECRET, WEBHOOK_ALLOW_PRIVATE: 'true' });
  ({ h, base, browser } = stand);
});

afterAll(async () => {
  await stand?.close();
  await receiver?.close();
});

const check = (page: Page, name: string, options: { fullPage?: boolean } = {}) => checkPage(page, SCREENSHOTS, name, options);
const heading = (page: Page, name: string) => page.getByRole('heading', { level: 1, name });
const next = (page: Page, label = 'Fortsett') => page.getByRole('button', { name: label, exact: true }).click();

describe('the wizard in Norwegian', { timeout: 150_000 }, () => {
  it('walks a Norwegian order from the setup email to provisioned, and the switch changes the language for good', async () => {
    const order = makeOrder({ locale: undefined, requestedStartDate: isoDate(-1), timezone: 'Europe/Oslo', services: ['messaging', 'meetings', 'calling'] });
    expect(order.customer.country).toBe('NO');
    expect((await h.postOrder(order)).statusCode).toBe(201);
    const email = await waitForEmail(h, order.orderId, 'setup');
    expect(email.subject).toBe(`Konfigurer Webex-bestilling ${order.orderId} for ${order.customer.name}`);

    const page = await browser.openPage();
    await page.goto(`${base}/dev/outbox?orderId=${encodeURIComponent(order.orderId)}`);
    // The outbox names each email's language and what became of it.
    const kept = page.locator('article.email').first();
    await kept.getByText('Norwegian Bokmål (nb)').waitFor();
    await kept.getByText('Kept here (not sent)').waitFor();
    await check(page, 'nb-00-outbox');
    await page.locator('a[href*="/wizard/"]').first().click();
    await page.waitForURL(/\/wizard\//);

    await heading(page, 'Sett opp Webex-tjenestene').waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('nb');
    await page.getByText('Startdato').waitFor();
    expect(await page.getByRole('button', { name: 'Norsk' }).getAttribute('aria-pressed')).toBe('true');
    await check(page, 'nb-01-entry');
    await page.getByRole('button', { name: 'Konfigurer nå' }).click();

    await heading(page, 'Hvem er du?').waitFor();
    const progress = page.getByRole('navigation', { name: 'Fremdrift' });
    expect(await progress.textContent()).toContain('Trinn 1 av 8');
    await page.getByText(`Forhandleren, ${order.partner.name}`, { exact: true }).waitFor();
    await check(page, 'nb-02-role');
    await next(page);

    await heading(page, 'Hvem skal konfigurere bestillingen?').waitFor();
    await page.getByLabel('Jeg gjør det nå').check();
    await check(page, 'nb-03-configurer');
    await next(page);

    await heading(page, 'Forhandlerorganisasjonen din').waitFor();
    // The API's refusals, worded in Norwegian next to their fields.
    await next(page);
    await page.getByText('Land må fylles ut.').waitFor();
    await page.getByText('Administratorens e-post må fylles ut.').waitFor();
    await check(page, 'nb-04-partner-org-errors');
    await page.getByLabel('Land', { exact: true }).selectOption('NO');
    expect(await page.getByLabel('Land', { exact: true }).locator('option:checked').textContent()).toBe('Norge (NO)');
    await page.getByLabel('Adresse', { exact: true }).fill('Kaigata 1, 5016 Bergen');
    await page.getByLabel('E-postadressen til forhandlerens administrator').fill(`admin@partner-${order.orderId.toLowerCase()}.example`);
    await check(page, 'nb-04-partner-org');
    await next(page);

    await heading(page, 'Kundens administrator').waitFor();
    await page.getByLabel('Administratorens e-postadresse').fill(`it@${order.orderId.toLowerCase()}.example`);
    await check(page, 'nb-05-customer-admin');
    await next(page);

    await heading(page, 'Kundens organisasjon').waitFor();
    await page.getByLabel('Adresse', { exact: true }).fill('Strandkaien 2, 5013 Bergen');
    await check(page, 'nb-06-customer-org');
    await next(page);

    await heading(page, 'Se over og bekreft').waitFor();
    await page.getByText('Herfra er det ingen vei tilbake').waitFor();
    await check(page, 'nb-07-confirm');
    await page.getByLabel(/Jeg har sjekket opplysningene/).check();
    await next(page, 'Bekreft og opprett');

    await heading(page, 'Velg passord for administratoren').waitFor();
    expect(await progress.textContent()).toContain('Trinn 7 av 8');
    await page.getByLabel('Passord', { exact: true }).fill('sølv lykt havn tåke 42');
    await page.getByLabel('Gjenta passordet').fill('noe annet');
    await next(page, 'Lagre passordet');
    await page.getByText('Passordene er ikke like.').waitFor();
    await check(page, 'nb-08-password-error');
    await page.getByLabel('Gjenta passordet').fill('sølv lykt havn tåke 42');
    await next(page, 'Lagre passordet');

    await heading(page, 'Sett opp tjenestene').waitFor();
    await page.getByRole('button', { name: 'Tjenestene stemmer' }).click();
    await page.getByRole('region', { name: /Abonnement/ }).getByText('✓ Lagret').waitFor();
    // The location's suggested name is Norwegian too, not the API's English default.
    const calling = page.getByRole('region', { name: /Telefoni/ });
    expect(await calling.getByLabel('Navn på lokasjonen').inputValue()).toBe('Hovedkontor');
    await calling.getByRole('button', { name: 'Lagre telefoniinnstillingene' }).click();
    await calling.getByText('✓ Lagret').waitFor();
    const meetings = page.getByRole('region', { name: /Møteside/ });
    const subdomain = `nb-${Math.random().toString(36).slice(2, 9)}`;
    await meetings.getByLabel('Underdomene for møtesiden').fill('webex');
    await meetings.getByRole('button', { name: 'Sjekk om det er ledig' }).click();
    await meetings.getByText('webex er reservert. Velg et annet navn.').waitFor();
    await meetings.getByLabel('Underdomene for møtesiden').fill(subdomain);
    await meetings.getByRole('button', { name: 'Sjekk om det er ledig' }).click();
    await meetings.getByText(`${subdomain}.webex.com er ledig.`).waitFor();
    await check(page, 'nb-09-service-setup');
    await meetings.getByRole('button', { name: 'Lagre', exact: true }).click();
    await meetings.getByText('✓ Lagret').waitFor();

    await page.getByRole('button', { name: 'Aktiver og start fakturering' }).click();
    const dialog = page.getByRole('dialog', { name: 'Aktivere og starte fakturering?' });
    await dialog.waitFor();
    await check(page, 'nb-10-provision-dialog', { fullPage: false });
    await dialog.getByRole('button', { name: 'Ja, aktiver nå' }).click();
    await heading(page, 'Tjenestene er aktivert').waitFor({ timeout: 30_000 });
    // The billing start in Norwegian and the order's zone: "29. nov. 2026, 23:10 (Oslo-tid)".
    await page.getByText(/Abonnementet er aktivt, og faktureringen startet \d{1,2}\. \p{L}+\.? \d{4}, \d{2}:\d{2} \(Oslo-tid\)\./u).waitFor();
    await check(page, 'nb-11-provisioned');

    // The switch: English at once, still English after a reload (kept in the browser), then back.
    await page.getByRole('button', { name: 'English' }).click();
    await heading(page, 'Your services are provisioned').waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await page.reload();
    await heading(page, 'Your services are provisioned').waitFor();
    await page.getByRole('button', { name: 'Norsk' }).click();
    await heading(page, 'Tjenestene er aktivert').waitFor();

    // The rep console stays English and shows each email's language and status, and each webhook's outcome.
    await eventually(async () => (receiver.accepted.some((r) => r.event.data.orderId === order.orderId && r.event.data.status === 'PROVISIONED') ? true : undefined));
    await page.goto(`${base}/rep`);
    await page.evaluate(`sessionStorage.setItem('rep-token', ${JSON.stringify(REP_TOKEN)})`);
    await page.goto(`${base}/rep/orders/${encodeURIComponent(order.orderId)}`);
    await page.getByRole('heading', { level: 1, name: `Order ${order.orderId}` }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    const emails = page.getByRole('region', { name: /^Emails/ });
    const setupRow = emails.getByRole('row', { name: /^Setup/ });
    await setupRow.getByText('Norwegian Bokmål').waitFor();
    await setupRow.getByText('Sent').waitFor();
    const webhooks = page.getByRole('region', { name: /^Webhooks/ });
    await webhooks.getByRole('row', { name: /order\.status_changed #1 / }).getByText('Delivered').waitFor();
    await check(page, 'nb-12-rep-order');
    await browser.closePage(page);
  });
});
