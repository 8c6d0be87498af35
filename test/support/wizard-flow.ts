// Walks an order through steps 3–9 over HTTP, so step 10 tests start at the point of no return.
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { Service } from '../../domain/order.js';
import { type Harness, isoDate, makeOrder, tokenOf, waitForEmail, wizardClient } from './harness.js';

export const PARTNER_PASSWORD = 'correct horse battery staple fjord';

export type WizardClient = ReturnType<typeof wizardClient>;

/** Sends a step and insists it was accepted; answers the new view. */
export async function accept(wizard: WizardClient, step: string, input: Record<string, unknown> = {}) {
  const response = await wizard.step(step, input);
  expect(response.statusCode, `${step}: ${response.body}`).toBe(200);
  return response.json();
}

/** A problem answer without its per-request `instance`. */
export function problem(response: LightMyRequestResponse) {
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const { instance: _instance, ...rest } = response.json();
  return rest;
}

/**
 * A new order for `services`, due at once, configured by the partner (new partner org, new
 * customer org, password set): it is in SERVICE_SETUP, its session still open. Returns the link's
 * token too, so a test can open the link again as another visit would.
 */
export async function orderInServiceSetup(h: Harness, services: Service[], overrides: Parameters<typeof makeOrder>[0] = {}) {
  const order = makeOrder({ requestedStartDate: isoDate(-1), services, ...overrides });
  expect((await h.postOrder(order)).statusCode).toBe(201);
  const token = tokenOf(await waitForEmail(h, order.orderId, 'setup'));
  const wizard = wizardClient(h, token);
  expect((await wizard.start()).statusCode).toBe(201);

  const domain = `cust-${randomUUID().slice(0, 8)}.example`;
  const steps: Array<[string, Record<string, unknown>]> = [
    ['role', { role: 'partner' }],
    ['configurer', { choice: 'self' }],
    ['partner-org', { mode: 'new', name: order.partner.name, country: 'NO', address: 'Kaigata 1, Bergen', adminEmail: `admin@partner-${domain}` }],
    ['customer-admin', { email: `it@${domain}` }],
    ['customer-org', { mode: 'new', name: order.customer.name, country: order.customer.country, address: 'Strandkaien 2' }],
    ['confirm', { confirmed: true }],
    ['partner-password', { password: PARTNER_PASSWORD }],
  ];
  let view: Record<string, unknown> = {};
  for (const [step, input] of steps) view = await accept(wizard, step, input);
  expect(view).toMatchObject({ status: 'SERVICE_SETUP' });
  return { order, token, wizard, view };
}

/** Saves every section the order needs (the calling form as the wizard prefills it). */
export async function saveAllSections(wizard: WizardClient, services: Service[], subdomain?: string) {
  expect((await wizard.step('subscription', { reviewed: true })).statusCode).toBe(200);
  if (services.includes('calling')) {
    const defaults = (await wizard.view()).json().callingDefaults;
    const calling = await wizard.step('calling', defaults);
    expect(calling.statusCode, calling.body).toBe(200);
  }
  if (services.includes('meetings')) {
    const meetings = await wizard.step('meetings', { subdomain: subdomain ?? freshSubdomain() });
    expect(meetings.statusCode, meetings.body).toBe(200);
  }
}

/** A subdomain nobody in the shared test database has used. */
export const freshSubdomain = (prefix = 'site') => `${prefix}-${randomUUID().slice(0, 8)}`;
