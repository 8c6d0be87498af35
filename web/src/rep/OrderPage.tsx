// One order for a rep: its live status (refreshed while the page is open), what to do about it,
// its open tasks, its audit timeline and a link to its workflow in the Temporal Web UI.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../api';
import { Link } from '../router';
import type { OrderDetail, OrderStatus, RepAction, TimelineEvent } from '../types';
import { Alert, Button, countryName, formatDate, formatDateTime, serviceLabel, Spinner, StatusBadge, useFocusOnMount, usePageTitle } from '../ui';
import { ActionDialog } from './ActionDialog';
import type { RepSession } from './RepApp';
import { WaitingLine } from './WaitingLine';

const LIVE_REFRESH_MS = 3_000;

const ENDED: OrderStatus[] = ['PROVISIONED', 'CANCELLED', 'EXPIRED'];
const CONFIGURED: OrderStatus[] = ['ORDER_CONFIGURED', 'SERVICE_SETUP', ...ENDED];

/** The actions the workflow would accept in this status (it still has the last word). */
export function availableActions(status: OrderStatus): RepAction[] {
  if (ENDED.includes(status)) return [];
  return [
    ...(status === 'ON_HOLD' ? (['resume'] as const) : []),
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

  const actions = detail ? availableActions(detail.status) : [];
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
                The setup email went to {detail.provisioningContactEmail} and the wizard was not opened in time. Resend the link, or change the contact if
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
                      variant={name === 'cancel' ? 'danger' : name === 'resume' ? 'primary' : 'secondary'}
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
                <dd className="break">{detail.provisioningContactEmail}</dd>
                <dt>Start date</dt>
                <dd>
                  {formatDate(detail.requestedStartDate)} <span className="muted">({detail.timezone})</span>
                </dd>
                <dt>Setup email</dt>
                <dd>{formatDateTime(detail.startAt)}</dd>
                <dt>Rep</dt>
                <dd>
                  {detail.rep.name} <span className="muted">({detail.rep.email})</span>
                </dd>
                <dt>Received</dt>
                <dd>{formatDateTime(detail.receivedAt)}</dd>
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
          <section className="card" aria-labelledby="timeline-title">
            <h2 id="timeline-title">Timeline</h2>
            <ol className="timeline" reversed>
              {[...detail.timeline].reverse().map((event) => (
                <TimelineItem key={event.seq} event={event} />
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
  'order.setup-email': '“Configure now” email sent',
  'order.escalated': 'Escalated to the rep',
  'order.expiry-reminder': 'Expiry reminder sent',
  'order.on-hold': 'Put on hold',
  'order.configured': 'Organizations created (point of no return)',
  'order.service-setup': 'Service setup started',
  'order.provisioned': 'Provisioned; billing started',
  'order.expired': 'Expired',
  'wizard.session-started': 'Wizard opened',
  'wizard.delegated': 'Setup handed over',
  'wizard.confirm-refused': 'Confirmation refused',
  'email.rejected': 'Email rejected',
  'rep.resend-link': 'Rep resent the link',
  'rep.change-contact': 'Rep changed the contact',
  'rep.reschedule': 'Rep moved the start date',
  'rep.cancel': 'Rep cancelled the order',
  'rep.resume': 'Rep resumed the order',
};

function humanize(text: string): string {
  const words = text.replace(/^wizard\./, 'step ').replace(/[.-]/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function describeData(data: Record<string, unknown>): string {
  return Object.entries(data)
    .filter(([, value]) => value !== undefined && value !== null && typeof value !== 'object')
    .map(([key, value]) => `${key}: ${String(value)}`)
    .join(' · ');
}

function TimelineItem({ event }: { event: TimelineEvent }) {
  const details = describeData(event.data);
  return (
    <li>
      <div className="timeline-head">
        <span className="timeline-title">{EVENT_LABELS[event.type] ?? humanize(event.type)}</span>
        <StatusBadge status={event.status} />
      </div>
      <p className="muted">
        <time dateTime={event.occurredAt}>{formatDateTime(event.occurredAt)}</time> · by {event.actor}
      </p>
      {details && <p className="timeline-data break">{details}</p>}
    </li>
  );
}
