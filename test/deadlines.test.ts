// SPEC §7.1 and §7.3 through HTTP, the real worker, the Temporal dev server and PostgreSQL, emails
// to the Resend stand-in: a link never outlives its order before the point of no return, has no
// deadline after it, and the clock after it reminds the holder and then asks the rep.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkTokens } from '../db/schema/index.js';
import { hashLinkToken } from '../domain/link-token.js';
import { eventually, repAction, wizardClient } from './support/harness.js';
import {
  configureOrder,
  detailOf,
  eventsOf,
  linkToken,
  type MailWorld,
  orderWithLink,
  startMailWorld,
  waitForDetail,
  waitForMail,
  waitForMailKey,
} from './support/lifecycle.js';

const ORDER_EXPIRES_AFTER_S = 25;
let world: MailWorld;

beforeAll(async () => {
  world = await startMailWorld({
    // Short enough that a configured order outlives its first deadline within the test.
    ORDER_EXPIRES_AFTER: `${ORDER_EXPIRES_AFTER_S}s`,
    SETUP_REMINDER_AFTER: '3s',
    SETUP_ESCALATION_AFTER: '6s',
  });
});
afterAll(async () => {
  await world?.close();
});

interface LiveDetail {
  status: string;
  link: { email: string; expiresAt: string | null } | null;
  nextDeadline: { at: string; what: string } | null;
  tasks: Array<{ kind: string; status: string }>;
  timeline: Array<{ type: string; data: Record<string, unknown> }>;
}
const live = async (orderId: string) => (await detailOf(world.h, orderId)) as unknown as LiveDetail;
/** The order's own deadline, as the setup email's audit event recorded it. */
const orderExpiry = async (orderId: string) => (await live(orderId)).timeline.find((e) => e.type === 'order.setup-email')!.data.expiresAt as string;

/** The instant as the emails write it (emails/templates.ts), in the order's zone. */
const asEmailed = (iso: string, timeZone: string) =>
  new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone, timeZoneName: 'short' }).format(
    new Date(iso),
  );

async function linkRow(token: string) {
  const [row] = await world.h.database.db.select().from(linkTokens).where(eq(linkTokens.tokenHash, hashLinkToken(token)));
  return row!;
}

describe('before the point of no return', () => {
  it('a renewed link expires with the order, never later; its email and the wizard state that deadline', async () => {
    const { order, setup, token } = await orderWithLink(world, { timezone: 'Europe/Oslo' });
    const expiresAt = await orderExpiry(order.orderId);
    expect((await live(order.orderId)).link?.expiresAt).toBe(expiresAt);
    expect((await linkRow(token)).expiresAt?.toISOString()).toBe(expiresAt);
    expect(setup.text).toContain(`This link works until ${asEmailed(expiresAt, 'Europe/Oslo')}`);

    // Some time later a rep resends the link: it runs to the order's end, not "now + ORDER_EXPIRES_AFTER".
    await eventually(async () => (Date.now() > Date.parse(expiresAt) - ORDER_EXPIRES_AFTER_S * 1000 + 1500 ? true : undefined));
    const resent = await repAction(world.h, order.orderId, 'resend-link', { reason: 'contact lost the email' });
    expect(resent.statusCode, resent.body).toBe(200);
    const mail = await waitForMailKey(world.standIn, order.orderId, 'setup/link-2');
    expect(mail.text).toContain(`This link works until ${asEmailed(expiresAt, 'Europe/Oslo')}`);
    const newToken = linkToken(mail);
    expect((await linkRow(newToken)).expiresAt?.toISOString()).toBe(expiresAt);
    expect((await live(order.orderId)).link?.expiresAt).toBe(expiresAt);

    // The wizard shows the same deadline; the old link is gone.
    const view = await wizardClient(world.h, newToken).view();
    expect(view.statusCode, view.body).toBe(200);
    const deadline = view.json().deadline;
    expect(deadline.at).toBe(expiresAt);
    expect(deadline.daysLeft).toBe(Math.floor((Date.parse(expiresAt) - Date.now()) / 86_400_000));
    expect((await wizardClient(world.h, token).view()).statusCode).toBe(404);
  });
});

describe('after the point of no return', () => {
  it('the link has no deadline, the holder is reminded and a rep is asked; renewals send the finish-setup text; cancel is refused', async () => {
    const { order, token } = await orderWithLink(world);
    const firstDeadline = await orderExpiry(order.orderId);
    const wizard = wizardClient(world.h, token);
    await configureOrder(wizard, order.partner.name);

    // No deadline any more: in the workflow, the database, the rep's detail and the wizard.
    const configured = await live(order.orderId);
    expect(configured.link).toMatchObject({ email: order.provisioningContactEmail, expiresAt: null });
    expect((await linkRow(token)).expiresAt).toBeNull();
    expect((await wizard.view()).json().deadline).toBeNull();

    // SETUP_REMINDER_AFTER: the holder gets the finish-setup reminder with a working link, once.
    const reminder = await waitForMailKey(world.standIn, order.orderId, 'reminder-setup');
    expect(reminder.to).toEqual([order.provisioningContactEmail]);
    expect(reminder.subject).toContain('are not active yet');
    expect(reminder.text).toContain('Finish the service setup');
    expect(reminder.text).not.toContain('Configure now');
    expect(linkToken(reminder)).toBe(token);

    // SETUP_ESCALATION_AFTER: rep task setup-stalled, and the rep's email.
    const stalled = await waitForDetail(world.h, order.orderId, (d) => d.tasks.some((t) => t.kind === 'setup-stalled' && t.status === 'open'));
    expect(eventsOf(stalled, 'order.setup-reminder')).toHaveLength(1);
    expect(eventsOf(stalled, 'order.setup-stalled')).toHaveLength(1);
    const repMail = await waitForMail(world.standIn, order.orderId, 'rep-setup-stalled', order.rep.email);
    expect(repMail.text).toContain(order.provisioningContactEmail);
    expect((await live(order.orderId)).nextDeadline).toBeNull();

    // Past the order's first deadline the link still works, and the order did not expire.
    await eventually(async () => (Date.now() > Date.parse(firstDeadline) + 1000 ? true : undefined), { timeoutMs: (ORDER_EXPIRES_AFTER_S + 30) * 1000, intervalMs: 500 });
    const late = await wizard.view();
    expect(late.statusCode, late.body).toBe(200);
    expect(late.json().status).toBe('ORDER_CONFIGURED');

    // cancel is refused and changes nothing.
    const cancel = await repAction(world.h, order.orderId, 'cancel', { reason: 'customer changed their mind' });
    expect(cancel.statusCode, cancel.body).toBe(409);
    expect((await live(order.orderId)).status).toBe('ORDER_CONFIGURED');

    // resend-link and change-contact send "finish the service setup", never the first-setup text; the links have no deadline.
    expect((await repAction(world.h, order.orderId, 'resend-link', { reason: 'lost it' })).statusCode).toBe(200);
    const resent = await waitForMailKey(world.standIn, order.orderId, 'finish-setup/link-2');
    expect(resent.subject).toContain('Finish the service setup');
    expect(resent.text).not.toMatch(/Configure now|works until \d/);
    expect(resent.text).toContain('This link has no deadline');
    expect((await linkRow(linkToken(resent))).expiresAt).toBeNull();
    expect((await wizard.view()).statusCode).toBe(404);

    const colleague = `new-${order.provisioningContactEmail}`;
    expect((await repAction(world.h, order.orderId, 'change-contact', { email: colleague, reason: 'contact left' })).statusCode).toBe(200);
    const changed = await waitForMailKey(world.standIn, order.orderId, 'finish-setup/link-3');
    expect(changed.to).toEqual([colleague]);
    expect(mailsOfPurpose(order.orderId, 'setup')).toHaveLength(1);
    const view = await wizardClient(world.h, linkToken(changed)).view();
    expect(view.statusCode, view.body).toBe(200);
    expect(view.json()).toMatchObject({ status: 'ORDER_CONFIGURED', deadline: null });
  }, 180_000);
});

const mailsOfPurpose = (orderId: string, purpose: string) =>
  world.standIn.deliveries().filter((d) => d.idempotencyKey?.startsWith(`${orderId}/${purpose}/`));
