// One order for a rep: its live status (refreshed while the page is open), what to do about it,
// its open tasks, its audit timeline and a link to its workflow in the Temporal Web UI.
import { type ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../api';
import { Link } from '../router';
import type { OrderDetail, OrderStatus, RepAction, TimelineEvent } from '../types';
import { Alert, Breakable, Button, countryName, formatDate, formatDateTime, formatInZone, serviceLabel, Spinner, StatusBadge, useFocusOnMount, usePageTitle } from '../ui';
import { ActionDialog, linkHolder } from './ActionDialog';
import type { RepSession } from './RepApp';
import { WaitingLine } from './WaitingLine';

const LIVE_REFRESH_MS = 3_000;

const ENDED: OrderStatus[] = ['PROVISIONED', 'CANCELLED', 'EXPIRED'];
const CONFIGURED: OrderStatus[] = ['ORDER_CONFIGURED', 'SERVICE_SETUP', ...ENDED];

/** The actions the workflow would accept in this status (it still has the last word). */
export function availableActions(status: OrderStatus, provisioningFailed = false, sessionsCapped = false): RepAction[] {
  if (ENDED.includes(status)) return [];
  return [
    ...(provisioningFailed ? (['retry-provisioning'] as const) : []),
    ...(sessionsCapped ? (['lift-session-cap'] as const) : []),
    ...(status === 'ON_HOLD' ? (['resume'] as const) : []),
    ...(status === 'AWAITING_CONSENT' ? (['approve-consent'] as const) : []),
    ...(status !== 'SCHEDULED' ? (['resend-link'] as const) : []),
    'change-contact' as const,
    ...(status === 'SCHEDULED' ? (['reschedule'] as const) : []),
    ...(CONFIGURED.includes(status) ? [] : (['cancel'] as const)),
  ];
}

export const ACTION_LABELS: Record<RepAction, string> = {
  resume: 'Resume',
  'resend-link': 'Resend link',
  'change-contact': 'Change contact',
  reschedule: 'Reschedule',
  cancel: 'Cancel order',
  'approve-consent': 'Approve consent',
  'retry-provisioning': 'Retry provisioning',
  'lift-session-cap': 'Lift session cap',
};

export function OrderPage({ orderId, session }: { orderId: string; session: RepSession }) {
  usePageTitle(`Order ${orderId} – Rep console`);
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const [detail, setDetail] = useState<OrderDetail | undefined>();
  const [problem, setProblem] = useState<{ status: number; message: string } | undefined>();
  const [updatedAt, setUpdatedAt] = useState<Date | undefined>();
  const [action, setAction] = useState<RepAction | undefined>();
  const [done, setDone] = useState<string | undefined>();
  const { token, expired } = session;
  const opener = useRef<HTMLElement | null>(null);

  const refresh = useCallback(
    () =>
      api<OrderDetail>(`/api/orders/${encodeURIComponent(orderId)}`, { token }).then(
        (answer) => {
          setDetail(answer);
          setProblem(undefined);
          setUpdatedAt(new Date());
        },
        (error: unknown) => {
          if (error instanceof ApiError && error.status === 401) return expired();
          setProblem({ status: error instanceof ApiError ? error.status : 0, message: error instanceof Error ? error.message : 'Could not load the order.' });
        },
      ),
    [orderId, token, expired],
  );

  // Live status: poll while the tab is visible and the order can still change.
  const ended = detail ? ENDED.includes(detail.status) : false;
  useEffect(() => {
    void refresh();
    if (ended) return;
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') void refresh();
    }, LIVE_REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [refresh, ended]);

  if (problem && !detail) {
    return (
      <>
        <h1 ref={heading} tabIndex={-1}>
          Order {orderId}
        </h1>
        <Alert tone="danger" title={problem.status === 404 ? 'There is no such order' : 'The order could not be loaded'}>
          <p>{problem.message}</p>
        </Alert>
        <p>
          <Link href="/rep">← Back to the orders</Link>
        </p>
      </>
    );
  }

  const sessionsCapped = detail?.tasks.some((task) => task.kind === 'sessions-capped' && task.status === 'open') ?? false;
  const actions = detail ? availableActions(detail.status, detail.provisioning?.state === 'failed', sessionsCapped) : [];
  const openTasks = detail?.tasks.filter((task) => task.status === 'open') ?? [];
  return (
    <>
      <p className="breadcrumb">
        <Link href="/rep">← Orders</Link>
      </p>
      <div className="page-head">
        <h1 ref={heading} tabIndex={-1}>
          Order {orderId}
        </h1>
        {detail && (
          <div className="cluster" aria-live="polite">
            <StatusBadge status={detail.status} />
            {detail.escalated && detail.status !== 'ESCALATED' && (
              <span className="badge badge-flag">
                <span aria-hidden="true">⚑ </span>Escalated
              </span>
            )}
          </div>
        )}
      </div>
      {!detail && <Spinner label="Loading the order…" />}
      {detail && (
        <>
          <p className="live-line muted">
            <span className={`live-dot${detail.live ? ' on' : ''}`} aria-hidden="true" />
            {detail.live ? 'Live from the workflow' : 'From the read model (the workflow did not answer)'}
            {updatedAt && ` · updated ${updatedAt.toLocaleTimeString('en-GB')}`}
            {problem && ' · the last refresh failed'}
          </p>
          <WaitingLine detail={detail} />
          {done && (
            <Alert tone="success" title="Done">
              <p>{done}</p>
            </Alert>
          )}
          {detail.escalated && (
            <Alert tone="warning" title="Escalated: nobody has started the setup">
              <p>
                The setup email went to <Breakable text={linkHolder(detail)} /> and the wizard was not opened in time. Resend the link, or change the contact if
                that address is wrong.
              </p>
            </Alert>
          )}
          <div className="detail-grid">
            <section className="card" aria-labelledby="actions-title">
              <h2 id="actions-title">Actions</h2>
              {actions.length ? (
                <div className="action-buttons">
                  {actions.map((name) => (
                    <Button
                      key={name}
                      variant={name === 'cancel' ? 'danger' : name === 'resume' || name === 'approve-consent' || name === 'retry-provisioning' ? 'primary' : 'secondary'}
                      onClick={(event) => {
                        opener.current = event.currentTarget;
                        setDone(undefined);
                        setAction(name);
                      }}
                    >
                      {ACTION_LABELS[name]}
                    </Button>
                  ))}
                </div>
              ) : (
                <p className="muted">The order has ended; there is nothing left to do.</p>
              )}
              <h3 className="h4">Workflow</h3>
              <p className="break">
                <code>{detail.workflow.workflowId}</code>
              </p>
              {detail.workflow.temporalUiUrl ? (
                <p>
                  <a href={detail.workflow.temporalUiUrl} target="_blank" rel="noopener noreferrer">
                    Open in Temporal Web UI<span className="visually-hidden"> (opens in a new tab)</span> ↗
                  </a>
                </p>
              ) : (
                <p className="muted">No Temporal Web UI is configured for this service.</p>
              )}
            </section>
            <section className="card" aria-labelledby="order-title">
              <h2 id="order-title">Details</h2>
              <dl className="summary">
                <dt>Product</dt>
                <dd>
                  {detail.product} · {detail.services.map(serviceLabel).join(', ')}
                </dd>
                <dt>Partner</dt>
                <dd>
                  {detail.partner.name} <span className="muted">({detail.partner.id})</span>
                </dd>
                <dt>Customer</dt>
                <dd>
                  {detail.customer.name}, {countryName(detail.customer.country)}
                </dd>
                <dt>Contact</dt>
                <dd>
                  <Breakable text={linkHolder(detail)} />
                  {detail.link && detail.link.audience !== 'contact' && (
                    <span className="muted">
                      {' '}
                      ({AUDIENCES[detail.link.audience]}, took over from <Breakable text={detail.provisioningContactEmail} />)
                    </span>
                  )}
                </dd>
                {detail.link && (
                  <>
                    <dt>Link works until</dt>
                    <dd>{detail.link.expiresAt ? formatInZone(detail.link.expiresAt, detail.timezone) : 'the services are active (no deadline after the point of no return)'}</dd>
                  </>
                )}
                <dt>Start date</dt>
                <dd>
                  {formatDate(detail.requestedStartDate)} <span className="muted">({detail.timezone})</span>
                </dd>
                <dt>Setup email</dt>
                <dd>{detail.setupEmailSentAt ? `Sent ${formatInZone(detail.setupEmailSentAt, detail.timezone)}` : `Goes ${formatInZone(detail.startAt, detail.timezone)}`}</dd>
                <dt>Rep</dt>
                <dd>
                  {detail.rep.name} <span className="muted">(<Breakable text={detail.rep.email} />)</span>
                </dd>
                <dt>Received</dt>
                <dd>{formatInZone(detail.receivedAt, detail.timezone)}</dd>
                <dt>Language</dt>
                <dd>{LANGUAGES[detail.locale]}</dd>
              </dl>
            </section>
          </div>
          <section className="card" aria-labelledby="tasks-title">
            <h2 id="tasks-title">
              Tasks <span className="count">{openTasks.length} open</span>
            </h2>
            {detail.tasks.length === 0 ? (
              <p className="muted">No tasks for this order.</p>
            ) : (
              <ul className="tasks">
                {detail.tasks.map((task) => (
                  <li key={`${task.kind}-${task.openedAt}`} className={task.status === 'open' ? 'task-open' : 'task-closed'}>
                    <span className={`pill ${task.status === 'open' ? 'pill-todo' : 'pill-done'}`}>{task.status === 'open' ? 'Open' : 'Closed'}</span>
                    <div>
                      <p className="task-title">{humanize(task.kind)}</p>
                      <p>{task.detail}</p>
                      <p className="muted">
                        Opened {formatDateTime(task.openedAt)}
                        {task.closedAt && ` · closed ${formatDateTime(task.closedAt)}${task.closedReason ? `: ${task.closedReason}` : ''}`}
                      </p>
                    </div>
                  </li>
                ))}
              </ul>
            )}
          </section>
          <EmailsCard emails={detail.emails} />
          <WebhooksCard webhooks={detail.webhooks} />
          <section className="card" aria-labelledby="timeline-title">
            <h2 id="timeline-title">Timeline</h2>
            <ol className="timeline" reversed>
              {[...detail.timeline].reverse().map((event) => (
                <TimelineItem key={`${event.seq}-${event.supersededAt ?? ''}`} event={event} zone={detail.timezone} />
              ))}
            </ol>
          </section>
          <ActionDialog
            action={action}
            order={detail}
            token={token}
            onClose={() => {
              setAction(undefined);
              opener.current?.focus();
            }}
            onDone={(message) => {
              setAction(undefined);
              setDone(message);
              void refresh();
            }}
            onUnauthorized={expired}
          />
        </>
      )}
    </>
  );
}

const EVENT_LABELS: Record<string, string> = {
  'order.received': 'Order received',
  'order.setup-email': 'Setup email sent',
  'order.escalated': 'Escalated to the rep',
  'order.expiry-reminder': 'Expiry reminder sent',
  'order.on-hold': 'Put on hold',
  'order.configured': 'Organizations created (point of no return)',
  'order.service-setup': 'Service setup started',
  'order.provisioned': 'Provisioned; billing started',
  'order.expired': 'Expired',
  'provisioning.requested': 'Provisioning requested',
  'provisioning.failed': 'Provisioning failed',
  'wizard.session-started': 'Wizard opened',
  'wizard.delegated': 'Setup handed over',
  'wizard.confirm-refused': 'Confirmation refused',
  'email.rejected': 'Email rejected',
  'rep.resend-link': 'Rep resent the link',
  'rep.change-contact': 'Rep changed the contact',
  'rep.reschedule': 'Rep moved the start date',
  'rep.cancel': 'Rep cancelled the order',
  'rep.resume': 'Rep resumed the order',
  'order.awaiting-consent': 'Consent asked of the organization',
  'consent.escalated': 'Consent still awaited',
  'consent.approved': 'Consent given',
  'consent.declined': 'Consent declined',
};

const STEP_LABELS: Record<string, string> = {
  role: 'Role confirmed',
  configurer: 'Configurer chosen',
  'partner-org': 'Partner organization chosen',
  'customer-admin': 'Customer administrator chosen',
  'customer-org': 'Customer organization chosen',
  confirm: 'Confirmed',
  'partner-password': 'Partner administrator password set',
  subscription: 'Subscription reviewed',
  calling: 'Calling settings saved',
  meetings: 'Meetings site saved',
  provision: 'Provisioning confirmed',
};

const LANGUAGES: Record<OrderDetail['locale'], string> = { nb: 'Norwegian Bokmål', en: 'English' };

/** A card holding one table: its title with a count, a line instead of the table when it is empty. */
function TableCard(props: { id: string; title: string; count: number; empty: string; caption: string; columns: string[]; children: ReactNode }) {
  return (
    <section className="card" aria-labelledby={props.id}>
      <h2 id={props.id}>
        {props.title} <span className="count">{props.count}</span>
      </h2>
      {props.count === 0 ? (
        <p className="muted">{props.empty}</p>
      ) : (
        <div className="table-wrap">
          <table className="orders">
            <caption className="visually-hidden">{props.caption}</caption>
            <thead>
              <tr>
                {props.columns.map((column) => (
                  <th key={column} scope="col">
                    {column}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>{props.children}</tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** What became of each email: Resend's events move `sent` on to delivered, bounced or complained. */
function EmailsCard({ emails }: { emails: OrderDetail['emails'] }) {
  return (
    <TableCard
      id="emails-title"
      title="Emails"
      count={emails.length}
      empty="No emails yet."
      caption="The order’s emails, oldest first, with their delivery status."
      columns={['Email', 'To', 'Language', 'Status', 'When']}
    >
      {emails.map((email, index) => (
        <tr key={`${email.purpose}-${email.to}-${index}`}>
          <th scope="row" data-label="Email">
            {humanize(email.purpose)}
          </th>
          <td data-label="To" className="break">
            {email.to}
          </td>
          <td data-label="Language">{email.locale ? LANGUAGES[email.locale] : '—'}</td>
          <td data-label="Status">
            <span className={`pill email-${email.status}`}>{humanize(email.status)}</span>
          </td>
          <td data-label="When">{formatDateTime(email.at)}</td>
        </tr>
      ))}
    </TableCard>
  );
}

/** One row per status change and endpoint: its last outcome and how many attempts it took. */
function WebhooksCard({ webhooks }: { webhooks: OrderDetail['webhooks'] }) {
  return (
    <TableCard
      id="webhooks-title"
      title="Webhooks"
      count={webhooks.length}
      empty="No webhook deliveries (none configured, or none due yet)."
      caption="Status webhooks of this order, in seq order, with their delivery outcome."
      columns={['Event', 'Outcome', 'Attempts', 'Last attempt']}
    >
      {webhooks.map((webhook, index) => (
        <tr key={`${webhook.event}-${index}`}>
          <th scope="row" data-label="Event" className="break">
            {webhook.event}
          </th>
          <td data-label="Outcome">
            <span className={`pill webhook-${webhook.status}`}>{humanize(webhook.status)}</span>
          </td>
          <td data-label="Attempts">{webhook.attempts}</td>
          <td data-label="Last attempt">{webhook.lastAttemptAt ? formatDateTime(webhook.lastAttemptAt) : '—'}</td>
        </tr>
      ))}
    </TableCard>
  );
}

const AUDIENCES: Record<string, string> = { contact: 'the contact', colleague: 'a colleague', customer: 'the customer', 'org-admin': 'the organization’s administrator' };

function humanize(text: string): string {
  const words = text.replace(/[.-]/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Who did it, as a person would say it; a rep's token id stays available on hover. */
function actorText(actor: string): string {
  if (actor === 'system') return 'automatically';
  if (actor === 'commerce') return 'from the commerce system';
  if (actor.startsWith('rep:')) return 'by a rep';
  return `by ${AUDIENCES[actor] ?? actor}`;
}

const text = (value: unknown) => (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined);

/** What happened, in a sentence, with every moment in the order's own time zone. */
export function eventSentence(event: TimelineEvent, zone: string): ReactNode {
  const d = event.data;
  const at = (key: string) => (text(d[key]) ? formatInZone(String(d[key]), zone) : undefined);
  const reason = text(d.reason) ? ` Reason: “${text(d.reason)}”.` : '';
  switch (event.type) {
    case 'order.received':
      return `The setup email is planned for ${at('startAt') ?? 'the start date'}.`;
    case 'order.setup-email':
      return (
        <>
          Setup email sent to <Breakable text={text(d.to) ?? 'the contact'} />
          {at('expiresAt') ? `; the link works until ${at('expiresAt')}.` : '.'}
        </>
      );
    case 'order.expiry-reminder':
      return (
        <>
          Reminder sent to <Breakable text={text(d.to) ?? 'the link holder'} /> that the order expires soon.
        </>
      );
    case 'order.escalated':
      return 'Nobody started the setup in time; a rep task is open.';
    case 'order.on-hold':
      if (d.reason === 'consent-declined') return 'The existing customer organization declined; the order waits for a rep.';
      if (text(d.reason)) return `The organizations could not be set up after consent (${text(d.reason)}); the order waits for a rep.`;
      return `The ${d.step === 'partner-org' ? 'partner' : 'customer'} organization was not recognised; the order waits for a rep.`;
    case 'order.awaiting-consent':
      return d.asked === 'rep' ? (
        'The chosen customer organization exists and the partner does not manage it; it has no administrator to ask, so a rep must approve.'
      ) : (
        <>
          The chosen customer organization exists and the partner does not manage it: its administrator <Breakable text={text(d.asked) ?? ''} /> was asked to approve.
        </>
      );
    case 'consent.escalated':
      return 'No answer within the escalation window: the administrator was reminded and a rep task is open.';
    case 'consent.approved':
      return event.actor === 'org-admin' ? 'The organization’s administrator approved.' : `A rep approved for the organization.${reason}`;
    case 'consent.declined':
      return 'The organization’s administrator declined.';
    case 'order.configured':
      return d.newPartnerOrg === true ? 'A new partner organization and the customer organization are set up.' : 'The customer organization is set up.';
    case 'order.provisioned':
      return at('billingStartedAt') ? `Billing started ${at('billingStartedAt')}.` : 'Billing started.';
    case 'provisioning.failed':
      return `${text(d.message) ?? 'A provisioning step failed.'} A rep task is open; nothing was billed.`;
    case 'order.expired':
      return 'Nobody configured the order in time; every link stopped working.';
    case 'wizard.session-started':
      return text(d.session) && d.session !== 1 ? `Session ${text(d.session)}: the earlier session’s unconfirmed choices were discarded.` : 'The first session started.';
    case 'wizard.delegated':
      return (
        <>
          A new link went to <Breakable text={text(d.to) ?? ''} /> ({AUDIENCES[text(d.audience) ?? ''] ?? text(d.audience)}); the earlier link stopped working.
        </>
      );
    case 'wizard.confirm-refused':
      return `The organizations could not be created: ${text(d.reason) ?? 'see the task'}.`;
    case 'email.rejected':
      return (
        <>
          The {text(d.purpose) ?? ''} email to <Breakable text={text(d.to) ?? ''} /> was refused by the email provider.
        </>
      );
    case 'rep.resend-link':
      return `A new setup link went out; earlier links stopped working.${reason}`;
    case 'rep.change-contact':
      return (
        <>
          The contact is now <Breakable text={text(d.email) ?? ''} />.{reason}
        </>
      );
    case 'rep.reschedule':
      return `New start date ${text(d.requestedStartDate) ? formatDate(String(d.requestedStartDate)) : ''}; the setup email goes ${at('startAt') ?? 'then'}.${reason}`;
    case 'rep.cancel':
    case 'rep.resume':
      return reason.trim() || undefined;
    case 'wizard.role':
      return `Works for the ${d.role === 'customer' ? 'customer' : 'partner'}.`;
    case 'wizard.configurer':
      return 'Configures the order personally.';
    case 'wizard.partner-org':
      return d.mode === 'new' ? (
        <>
          New partner organization “{text(d.name)}”, administrator <Breakable text={text(d.adminEmail) ?? ''} />.
        </>
      ) : (
        'Recognised the existing partner organization.'
      );
    case 'wizard.customer-admin':
      return (
        <>
          Customer administrator <Breakable text={text(d.email) ?? ''} />.
        </>
      );
    case 'wizard.customer-org':
      return d.mode === 'new' ? `New customer organization “${text(d.name)}”.` : 'Chose an existing customer organization.';
    case 'wizard.confirm':
      return 'Confirmed the organizations.';
    case 'wizard.subscription':
      return 'Reviewed the services.';
    case 'wizard.calling':
      return `Location “${text(d.locationName)}”, time zone ${text(d.timeZone)}, ${text(d.extensionLength)}-digit extensions.`;
    case 'wizard.meetings':
      return `Meetings site https://${text(d.subdomain)}.webex.com.`;
    case 'wizard.provision':
      return 'Asked to provision the services and start billing.';
    default:
      return event.type.startsWith('wizard.') ? stepDetails(d) : undefined;
  }
}

/** A wizard step's answers (never a password: the workflow does not record one). */
function stepDetails(d: Record<string, unknown>): ReactNode {
  const parts = Object.entries(d)
    .filter(([, value]) => text(value) !== undefined)
    .map(([key, value]) => `${key.replace(/([A-Z])/g, ' $1').toLowerCase()} ${text(value)}`);
  return parts.length ? <Breakable text={`${parts.join(', ')}.`.replace(/^./, (c) => c.toUpperCase())} /> : undefined;
}

function TimelineItem({ event, zone }: { event: TimelineEvent; zone: string }) {
  const title = EVENT_LABELS[event.type] ?? (event.type.startsWith('wizard.') ? (STEP_LABELS[event.type.slice('wizard.'.length)] ?? humanize(event.type)) : humanize(event.type));
  const sentence = eventSentence(event, zone);
  return (
    <li>
      <div className="timeline-head">
        <span className="timeline-title">{event.supersededAt ? <s>{title}</s> : title}</span>
        <StatusBadge status={event.status} />
      </div>
      {event.supersededAt && <p className="muted">Undone by a reset of the order’s workflow; it no longer counts.</p>}
      <p className="muted">
        <time dateTime={event.occurredAt}>{formatInZone(event.occurredAt, zone)}</time>{' '}
        <span title={event.actor.startsWith('rep:') ? event.actor.slice('rep:'.length) : undefined}>{actorText(event.actor)}</span>
      </p>
      {sentence && <p className="timeline-text">{sentence}</p>}
    </li>
  );
}
