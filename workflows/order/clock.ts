// The lifecycle clock: the start moment, escalation, the expiry reminder and expiry; after the
// point of no return, the follow-up of an order that is not provisioned.
import { isTerminal } from '../wizard.js';
import { consentFollowUpDue, followUpConsent } from './consent.js';
import { nowIso, type OrderRun } from './run.js';

const EXPIRY_REMINDER_LEAD_MS = 48 * 3_600_000;
/** After the idle reminder, how long before a rep is asked to follow up. */
const ABANDONED_AFTER_REMINDER_MS = 24 * 3_600_000;

const escalationDue = (run: OrderRun) =>
  run.state.setupEmailSentAt !== undefined && Date.parse(run.state.setupEmailSentAt) + run.settings.escalationAfterMs;
const expiryReminderDue = (run: OrderRun) => run.state.expiresAt !== undefined && Date.parse(run.state.expiresAt) - EXPIRY_REMINDER_LEAD_MS;
/**
 * The expiry reminder waits while an org's consent is awaited ("nobody has configured this order" would be
 * untrue; the consent follow-up speaks), and stays unsent for a resume after a decline.
 */
const expiryReminderPending = (run: OrderRun) => !run.state.reminders.expiry && run.state.status !== 'AWAITING_CONSENT';

/**
 * A wizard session left before step 8: when its holder is reminded and when a rep is told, or
 * undefined when there is nothing to follow up (no session, configured, on hold).
 */
function idleFollowUp(run: OrderRun): { remindAt: number; abandonAt: number } | undefined {
  const { state } = run;
  const idleAfter = run.sessionIdleReminderAfterMs;
  if (!state.session || state.configuration || state.status !== 'IN_PROGRESS' || state.session.abandoned) return undefined;
  const remindAt = Date.parse(state.session.lastActiveAt ?? state.session.startedAt) + idleAfter;
  return { remindAt, abandonAt: remindAt + ABANDONED_AFTER_REMINDER_MS };
}

/**
 * A configured order nobody provisions (SPEC §7.1): when its link holder is reminded and when a rep
 * is told, or undefined when there is nothing to follow up (not configured, provisioning asked for,
 * ended).
 */
function setupFollowUp(run: OrderRun): { remindAt: number; stalledAt: number } | undefined {
  const { state } = run;
  const after = run.setupFollowUpAfter;
  if (!state.configuration || state.provisioning || isTerminal(state)) return undefined;
  const configuredAt = Date.parse(state.configuration.configuredAt);
  return { remindAt: configuredAt + after.reminderMs, stalledAt: configuredAt + after.escalationMs };
}

/** The earliest moment the clock has something to do. */
export function nextDeadline(run: OrderRun): number | undefined {
  const { state } = run;
  const candidates: number[] = [];
  if (state.status === 'SCHEDULED') candidates.push(Date.parse(state.startAt));
  if (!state.configuration && state.expiresAt) {
    if (!state.escalated && state.sessionsStarted === 0 && !state.reminders.escalation) candidates.push(escalationDue(run) as number);
    if (expiryReminderPending(run)) candidates.push(expiryReminderDue(run) as number);
    candidates.push(Date.parse(state.expiresAt));
  }
  const idle = idleFollowUp(run);
  if (idle) candidates.push(state.session!.idleReminderSent ? idle.abandonAt : idle.remindAt);
  const setup = setupFollowUp(run);
  if (setup && !state.setupFollowUp?.reminded) candidates.push(setup.remindAt);
  if (setup && !state.setupFollowUp?.stalled) candidates.push(setup.stalledAt);
  const consent = consentFollowUpDue(run);
  if (consent !== undefined) candidates.push(consent);
  return candidates.length ? Math.min(...candidates) : undefined;
}

/** One tick of the clock-driven part of the lifecycle; true when it changed something. */
export async function onTimers(run: OrderRun): Promise<boolean> {
  const now = Date.now();
  if (run.state.status === 'SCHEDULED' && now >= Date.parse(run.state.startAt)) {
    await run.exclusive(async () => {
      if (run.state.status !== 'SCHEDULED') return;
      run.state = { ...run.state, status: 'AWAITING_SETUP', setupEmailSentAt: nowIso(), expiresAt: new Date(now + run.settings.orderExpiresAfterMs).toISOString() };
      const contact = run.state.order.provisioningContactEmail;
      run.issueLink('contact', contact, (expiresAt) => run.linkEmail(expiresAt));
      run.record('order.setup-email', 'system', { to: contact, expiresAt: run.state.expiresAt });
    });
    return true;
  }
  const setup = setupFollowUp(run);
  if (setup && !run.state.setupFollowUp?.reminded && now >= setup.remindAt) {
    await run.exclusive(async () => {
      const { state } = run;
      if (!setupFollowUp(run) || state.setupFollowUp?.reminded) return;
      run.state = { ...state, setupFollowUp: { stalled: false, ...state.setupFollowUp, reminded: true } };
      if (!state.link) return;
      run.record('order.setup-reminder', 'system', { to: state.link.email });
      run.jobs.push({
        kind: 'email',
        key: 'reminder-setup',
        to: state.link.email,
        template: { kind: 'finish-setup', order: run.summary(), reminder: true, customerOrganization: state.configuration!.customerOrgName },
        link: state.link,
      });
    });
    return true;
  }
  if (setup && !run.state.setupFollowUp?.stalled && now >= setup.stalledAt) {
    await run.exclusive(async () => {
      const { state } = run;
      if (!setupFollowUp(run) || state.setupFollowUp?.stalled) return;
      run.state = { ...state, setupFollowUp: { reminded: false, ...state.setupFollowUp, stalled: true } };
      run.record('order.setup-stalled', 'system');
      const holder = state.link?.email ?? state.order.provisioningContactEmail;
      run.tellRep(
        'setup-stalled',
        { kind: 'rep-setup-stalled', order: run.summary(), repName: run.repName(), holderEmail: holder, configuredAt: state.configuration!.configuredAt },
        `The order was configured but the service setup was not finished; ${holder} was reminded. Call them, or resend the link to someone else.`,
      );
    });
    return true;
  }
  if (run.state.configuration || !run.state.expiresAt) return false;
  if (now >= Date.parse(run.state.expiresAt)) {
    await run.exclusive(async () => {
      if (run.state.configuration || isTerminal(run.state)) return;
      const waitedForConsent = run.state.consent !== undefined;
      run.state = { ...run.state, status: 'EXPIRED', session: undefined, consent: undefined };
      run.jobs.push({ kind: 'revoke-links', reason: 'the order expired' });
      run.jobs.push({ kind: 'close-tasks', reason: 'the order expired' });
      if (waitedForConsent) run.jobs.push({ kind: 'revoke-consent', reason: 'the order expired' });
      run.record('order.expired', 'system');
      run.tellRep('expired', { kind: 'rep-expired', order: run.summary(), repName: run.repName(), expiredAt: nowIso() }, 'Nobody configured the order before it expired.');
    });
    return true;
  }
  if (!run.state.reminders.escalation && run.state.sessionsStarted === 0 && now >= (escalationDue(run) as number)) {
    await run.exclusive(async () => {
      const { state } = run;
      if (state.sessionsStarted > 0 || state.reminders.escalation || state.status !== 'AWAITING_SETUP') {
        run.state = { ...state, reminders: { ...state.reminders, escalation: true } };
        return;
      }
      run.state = { ...state, status: 'ESCALATED', escalated: true, escalatedAt: nowIso(), reminders: { ...state.reminders, escalation: true } };
      run.record('order.escalated', 'system');
      const { link } = run.state;
      run.tellRep('escalation', { kind: 'rep-escalation', order: run.summary(), repName: run.repName(), contactEmail: link?.email ?? run.state.order.provisioningContactEmail }, 'Nobody has opened the wizard within the escalation window after the setup email.');
      if (link) {
        run.jobs.push({ kind: 'email', key: 'reminder-escalation', to: link.email, template: { kind: 'reminder-escalation', order: run.summary(), expiresAt: run.state.expiresAt! }, link });
      }
    });
    return true;
  }
  const consentDue = consentFollowUpDue(run);
  if (consentDue !== undefined && now >= consentDue) {
    await followUpConsent(run);
    return true;
  }
  const idle = idleFollowUp(run);
  if (idle && !run.state.session!.idleReminderSent && now >= idle.remindAt) {
    await run.exclusive(async () => {
      const { state } = run;
      if (!idleFollowUp(run) || !state.link || state.session!.idleReminderSent) return;
      run.state = { ...state, session: { ...state.session!, idleReminderSent: true } };
      run.record('wizard.idle-reminder', 'system', { to: state.link.email });
      run.jobs.push({ kind: 'email', key: `reminder-idle/${state.session!.id}`, to: state.link.email, template: { kind: 'reminder-idle', order: run.summary(), expiresAt: state.expiresAt! }, link: state.link });
    });
    return true;
  }
  if (idle && run.state.session!.idleReminderSent && now >= idle.abandonAt) {
    await run.exclusive(async () => {
      const { state } = run;
      if (!idleFollowUp(run)) return;
      run.state = { ...state, session: { ...state.session!, abandoned: true } };
      run.record('wizard.abandoned', 'system', { session: state.session!.id });
      const detail = `The wizard was opened and left before step 8; the reminder to ${state.link?.email ?? 'the contact'} brought no answer. Call the contact.`;
      run.jobs.push({ kind: 'open-task', taskKey: `setup-abandoned/${state.session!.id}`, taskKind: 'setup-abandoned', detail });
    });
    return true;
  }
  const reminderAt = expiryReminderDue(run) as number;
  if (expiryReminderPending(run) && now >= reminderAt) {
    await run.exclusive(async () => {
      run.state = { ...run.state, reminders: { ...run.state.reminders, expiry: true } };
      const { state } = run;
      // Only meaningful when the order lives longer than the reminder's lead time.
      if (reminderAt <= Date.parse(state.setupEmailSentAt!) || state.configuration || isTerminal(state) || !state.link) return;
      run.record('order.expiry-reminder', 'system', { to: state.link.email });
      run.jobs.push({ kind: 'email', key: 'reminder-expiry', to: state.link.email, template: { kind: 'reminder-expiry', order: run.summary(), expiresAt: state.expiresAt! }, link: state.link });
    });
    return true;
  }
  return false;
}
