// Who holds the ball and what the clock does next (domain/desk.ts): the rules the order detail and
// the order page's one line are made from, case by case.
import { describe, expect, it } from 'vitest';
import { nextDeadline, type OrderFacts, readModelDeadline, waitingOn } from '../domain/desk.js';

const base: OrderFacts = {
  status: 'AWAITING_SETUP',
  startAt: '2026-11-01T09:00:00.000Z',
  receivedAt: '2026-10-30T12:00:00.000Z',
  contactEmail: 'contact@partner.example',
  setupEmailSentAt: '2026-11-01T09:00:00.000Z',
  expiresAt: '2026-12-01T09:00:00.000Z',
  escalated: false,
  sessionsStarted: 0,
  reminders: { escalation: false, expiry: false },
  link: { audience: 'contact', email: 'contact@partner.example' },
  openTasks: [],
  lastEventAt: '2026-11-01T09:00:01.000Z',
};
const DAY = 86_400_000;
const settings = { escalationAfterMs: DAY, setupReminderAfterMs: 3 * DAY, setupEscalationAfterMs: 7 * DAY };

describe('an order awaiting an organization’s consent (SPEC §7.2)', () => {
  const consent = { adminEmail: 'admin@stranger.example', requestedAt: '2026-11-03T12:00:00.000Z', escalated: false };
  const awaiting: OrderFacts = { ...base, status: 'AWAITING_CONSENT', sessionsStarted: 1, consent };

  it('waits on the org’s admin since the request, or on the rep when there is none or a task is open', () => {
    expect(waitingOn(awaiting)).toEqual({ party: 'customer-admin', email: 'admin@stranger.example', since: consent.requestedAt });
    expect(waitingOn({ ...awaiting, consent: { ...consent, adminEmail: null } })).toEqual({ party: 'rep', since: consent.requestedAt });
    expect(waitingOn({ ...awaiting, openTasks: [{ openedAt: '2026-11-04T12:00:00.000Z' }] })).toEqual({ party: 'rep', since: '2026-11-04T12:00:00.000Z' });
  });

  it('next: the follow-up a day after the request, then the expiry (no expiry reminder to the link holder)', () => {
    expect(nextDeadline(awaiting, settings, new Date('2026-11-03T13:00:00.000Z'))).toEqual({
      at: '2026-11-04T12:00:00.000Z',
      what: 'the organization’s administrator is reminded and the rep is asked to approve',
    });
    expect(nextDeadline({ ...awaiting, consent: { ...consent, escalated: true } }, settings, new Date('2026-11-28T00:00:00.000Z'))).toEqual({
      at: base.expiresAt,
      what: 'the order expires',
    });
  });
});

describe('waitingOn', () => {
  it('names whoever must act next', () => {
    expect(waitingOn({ ...base, status: 'SCHEDULED', link: undefined })).toEqual({ party: 'system', since: base.receivedAt });
    expect(waitingOn(base)).toEqual({ party: 'contact', email: 'contact@partner.example', since: base.lastEventAt });
    expect(waitingOn({ ...base, link: { audience: 'colleague', email: 'c@partner.example' } })).toMatchObject({ party: 'colleague', email: 'c@partner.example' });
    expect(waitingOn({ ...base, status: 'ON_HOLD' })).toEqual({ party: 'rep', since: base.lastEventAt });
    expect(waitingOn({ ...base, status: 'SERVICE_SETUP', link: undefined, configuration: { adminEmail: 'admin@customer.example' } })).toMatchObject({
      party: 'customer-admin',
      email: 'admin@customer.example',
    });
    expect(waitingOn({ ...base, status: 'SERVICE_SETUP', provisioning: { requestedAt: '2026-11-02T10:00:00.000Z' } })).toEqual({
      party: 'system',
      since: '2026-11-02T10:00:00.000Z',
    });
  });

  it('puts the ball with the rep from the oldest open task on, and with nobody once the order has ended', () => {
    const openTasks = [{ openedAt: '2026-11-02T09:00:00.000Z' }, { openedAt: '2026-11-03T09:00:00.000Z' }];
    expect(waitingOn({ ...base, status: 'ESCALATED', escalated: true, openTasks })).toEqual({ party: 'rep', since: '2026-11-02T09:00:00.000Z' });
    for (const status of ['PROVISIONED', 'CANCELLED', 'EXPIRED'] as const) expect(waitingOn({ ...base, status, openTasks })).toBeNull();
  });
});

describe('nextDeadline', () => {
  it('is the earliest of escalation, expiry reminder and expiry still ahead', () => {
    expect(nextDeadline(base, settings, new Date('2026-11-01T10:00:00.000Z'))).toEqual({ at: '2026-11-02T09:00:00.000Z', what: 'the order is escalated to the rep' });
    // Past the escalation moment (or once a session started) the expiry reminder is next, then expiry.
    expect(nextDeadline(base, settings, new Date('2026-11-05T00:00:00.000Z'))).toEqual({ at: '2026-11-29T09:00:00.000Z', what: 'an expiry reminder is emailed' });
    expect(nextDeadline({ ...base, sessionsStarted: 1 }, settings, new Date('2026-11-01T10:00:00.000Z'))?.what).toBe('an expiry reminder is emailed');
    expect(nextDeadline({ ...base, reminders: { escalation: true, expiry: true } }, settings, new Date('2026-11-05T00:00:00.000Z'))).toEqual({
      at: base.expiresAt,
      what: 'the order expires',
    });
    expect(nextDeadline(base, settings, new Date('2026-12-02T00:00:00.000Z'))).toBeNull();
  });

  it('is the setup email for a scheduled order, and nothing after configuration or the end', () => {
    expect(nextDeadline({ ...base, status: 'SCHEDULED' }, settings, new Date('2026-10-31T00:00:00.000Z'))).toEqual({
      at: base.startAt,
      what: 'the setup email goes to contact@partner.example',
    });
    expect(nextDeadline({ ...base, status: 'SERVICE_SETUP', configuration: { adminEmail: 'a@b.example' } }, settings, new Date('2026-11-01T10:00:00.000Z'))).toBeNull();
    expect(nextDeadline({ ...base, status: 'CANCELLED' }, settings, new Date('2026-11-01T10:00:00.000Z'))).toBeNull();
  });
});

describe('readModelDeadline', () => {
  const now = new Date('2026-11-05T00:00:00.000Z');
  it('knows the first email and the live link’s end', () => {
    expect(readModelDeadline({ status: 'SCHEDULED', startAt: new Date(base.startAt), linkExpiresAt: null }, now)).toEqual({ at: base.startAt, what: 'the setup email goes' });
    expect(readModelDeadline({ status: 'ESCALATED', startAt: new Date(base.startAt), linkExpiresAt: new Date(base.expiresAt!) }, now)).toEqual({
      at: base.expiresAt,
      what: 'the link expires',
    });
    expect(readModelDeadline({ status: 'ESCALATED', startAt: new Date(base.startAt), linkExpiresAt: new Date('2026-11-04T00:00:00.000Z') }, now)).toBeNull();
    expect(readModelDeadline({ status: 'EXPIRED', startAt: new Date(base.startAt), linkExpiresAt: new Date(base.expiresAt!) }, now)).toBeNull();
  });
});
