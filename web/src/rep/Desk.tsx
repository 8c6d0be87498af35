// The rep's desk: open tasks across orders, oldest first, filtered by reason and partner (kept in
// the URL); select orders and apply one action to all, with a result per order; CSV export.
import { type FormEvent, useState } from 'react';
import { api, ApiError } from '../api';
import { Link, navigate, useLocation } from '../router';
import { type BulkActionResult, type DeskTask, REP_TASK_REASONS, type RepAction, type RepTaskReason, type TaskPage } from '../types';
import { Alert, Button, formatDateTime, SelectField, Spinner, StatusBadge, TextArea, TextField, useFocusOnMount, usePageTitle } from '../ui';
import { ACTION_LABELS } from './OrderPage';
import type { RepSession } from './RepApp';
import { Pagination, useCursorPages } from './paging';
import { useListPage } from './use-list-page';

const PAGE_SIZE = 50;
/** The CSV holds at most this many pages: a desk, not a data export. */
const EXPORT_PAGES = 40;

export const REASON_LABELS: Record<RepTaskReason, string> = {
  escalation: 'Escalated',
  'on-hold': 'On hold',
  'email-bounced': 'Email bounced',
  'email-rejected': 'Email rejected',
  'email-failed': 'Email not sent',
  'provisioning-failed': 'Provisioning failed',
  'provisioning-cancelled': 'Cancelled during provisioning',
  'sessions-capped': 'Too many sessions',
  'setup-abandoned': 'Setup abandoned',
  'setup-stalled': 'Setup stalled',
  'awaiting-consent': 'Awaiting consent',
  expired: 'Expired',
};

/** Actions that take the same input for every order (a new contact is per order). */
const BULK_ACTIONS = ['resend-link', 'resume', 'approve-consent', 'retry-provisioning', 'reschedule', 'cancel'] as const satisfies readonly RepAction[];
type BulkAction = (typeof BULK_ACTIONS)[number];

interface Filters {
  kind: string;
  partner: string;
}

const filtersOf = (url: URL): Filters => ({ kind: url.searchParams.get('kind') ?? '', partner: url.searchParams.get('partner') ?? '' });

function query(filters: Filters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.kind) params.set('kind', filters.kind);
  if (filters.partner.trim()) params.set('partner', filters.partner.trim());
  return params;
}

const deskUrl = (filters: Filters) => `/rep/desk${query(filters).size ? `?${query(filters)}` : ''}`;

/** "3 d 4 h", "2 h 5 min", "40 s": how long a task has waited. */
export function formatAge(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3_600);
  const m = Math.floor((seconds % 3_600) / 60);
  if (d) return `${d} d ${h} h`;
  if (h) return `${h} h ${m} min`;
  return m ? `${m} min` : `${seconds} s`;
}

const csvCell = (value: string | number | null) => {
  const text = value === null ? '' : String(value);
  // Quote every cell; a leading = + - @ would be a formula in a spreadsheet.
  return `"${(/^[=+\-@]/.test(text) ? `'${text}` : text).replace(/"/g, '""')}"`;
};

export function tasksCsv(tasks: DeskTask[]): string {
  const header = ['order', 'reason', 'opened', 'age_seconds', 'order_status', 'partner_id', 'partner', 'customer', 'next_deadline', 'next', 'detail'];
  const rows = tasks.map((t) => [t.orderId, t.reason, t.openedAt, t.ageSeconds, t.orderStatus, t.partner.id, t.partner.name, t.customerName, t.nextDeadline?.at ?? null, t.nextDeadline?.what ?? null, t.detail]);
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

export function Desk({ session }: { session: RepSession }) {
  usePageTitle('Desk – Rep console');
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const location = useLocation();
  const applied = filtersOf(location);
  const appliedKey = deskUrl(applied);
  const [draft, setDraft] = useState<Filters>(applied);
  const pages = useCursorPages();
  const [reload, setReload] = useState(0);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [exporting, setExporting] = useState(false);

  const [shownKey, setShownKey] = useState(appliedKey);
  if (shownKey !== appliedKey) {
    setShownKey(appliedKey);
    setDraft(applied);
    pages.reset();
    setSelected(new Set());
  }

  const { token, expired } = session;
  const listParams = query(filtersOf(new URL(appliedKey, window.location.origin)));
  listParams.set('limit', String(PAGE_SIZE));
  if (pages.cursor) listParams.set('cursor', pages.cursor);
  const { page, problem, setProblem } = useListPage<TaskPage>(`/api/tasks?${listParams}`, session, reload, 'The tasks could not be loaded.');

  const apply = (event: FormEvent) => {
    event.preventDefault();
    navigate(deskUrl(draft));
  };

  const orderIds = [...new Set(page?.items.map((t) => t.orderId) ?? [])];
  const toggle = (orderId: string) => {
    const next = new Set(selected);
    if (next.has(orderId)) next.delete(orderId);
    else next.add(orderId);
    setSelected(next);
  };
  const allSelected = orderIds.length > 0 && orderIds.every((id) => selected.has(id));

  const exportCsv = async () => {
    setExporting(true);
    try {
      const all: DeskTask[] = [];
      let next: string | null = null;
      for (let n = 0; n < EXPORT_PAGES; n += 1) {
        const params = query(applied);
        params.set('limit', '100');
        if (next) params.set('cursor', next);
        const answer: TaskPage = await api<TaskPage>(`/api/tasks?${params}`, { token });
        all.push(...answer.items);
        next = answer.nextCursor;
        if (!next) break;
      }
      const url = URL.createObjectURL(new Blob([tasksCsv(all)], { type: 'text/csv;charset=utf-8' }));
      const anchor = document.createElement('a');
      anchor.href = url;
      anchor.download = `rep-tasks-${new Date().toISOString().slice(0, 10)}.csv`;
      anchor.click();
      window.setTimeout(() => URL.revokeObjectURL(url), 1_000);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return expired();
      setProblem(error instanceof Error ? error.message : 'The export failed.');
    } finally {
      setExporting(false);
    }
  };

  return (
    <>
      <div className="page-head">
        <h1 ref={heading} tabIndex={-1}>
          Desk
        </h1>
        <div className="cluster">
          <Button variant="secondary" busy={exporting} onClick={() => void exportCsv()}>
            Export CSV
          </Button>
          <Button variant="secondary" onClick={() => setReload((n) => n + 1)}>
            Refresh
          </Button>
        </div>
      </div>
      <p className="muted">Open tasks across all orders, the longest waiting first.</p>
      <form className="card filters" role="search" aria-label="Filter tasks" onSubmit={apply}>
        <SelectField
          label="Task reason"
          name="kind"
          value={draft.kind}
          onChange={(event) => setDraft({ ...draft, kind: event.target.value })}
          options={[{ value: '', label: 'Any reason' }, ...REP_TASK_REASONS.map((reason) => ({ value: reason, label: REASON_LABELS[reason] }))]}
        />
        <TextField
          label="Partner"
          name="partner"
          type="search"
          hint="Partner id or name"
          value={draft.partner}
          onChange={(event) => setDraft({ ...draft, partner: event.target.value })}
        />
        <div className="filters-actions">
          <Button type="submit">Apply</Button>
          {appliedKey !== '/rep/desk' && (
            <Button variant="ghost" onClick={() => navigate('/rep/desk')}>
              Clear
            </Button>
          )}
        </div>
      </form>
      {problem && (
        <Alert tone="danger" title="The tasks could not be loaded">
          <p>{problem}</p>
        </Alert>
      )}
      {!page && !problem && <Spinner label="Loading tasks…" />}
      {page && (
        <>
          <BulkBar
            orderIds={[...selected]}
            token={token}
            onUnauthorized={expired}
            onDone={() => {
              setSelected(new Set());
              setReload((n) => n + 1);
            }}
          />
          <p className="muted" role="status">
            {page.items.length === 0 ? 'No open tasks match.' : `${page.items.length} task${page.items.length === 1 ? '' : 's'} on this page · ${selected.size} order${selected.size === 1 ? '' : 's'} selected`}
          </p>
          {page.items.length > 0 && (
            <div className="table-wrap">
              <table className="orders desk">
                <caption className="visually-hidden">Open rep tasks, the longest waiting first</caption>
                <thead>
                  <tr>
                    <th scope="col">
                      <input
                        type="checkbox"
                        aria-label="Select every order on this page"
                        checked={allSelected}
                        onChange={() => setSelected(allSelected ? new Set() : new Set(orderIds))}
                      />
                    </th>
                    <th scope="col">Order</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Waiting</th>
                    <th scope="col">Order status</th>
                    <th scope="col">Partner → customer</th>
                    <th scope="col">Next deadline</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((task) => (
                    <tr key={`${task.orderId}/${task.reason}/${task.openedAt}`}>
                      <td data-label="Select">
                        <input type="checkbox" aria-label={`Select order ${task.orderId}`} checked={selected.has(task.orderId)} onChange={() => toggle(task.orderId)} />
                      </td>
                      <th scope="row" data-label="Order">
                        <Link href={`/rep/orders/${encodeURIComponent(task.orderId)}`}>{task.orderId}</Link>
                      </th>
                      <td data-label="Reason">
                        <span>
                          {REASON_LABELS[task.reason]}
                          <span className="cell-sub">{task.detail}</span>
                        </span>
                      </td>
                      <td data-label="Waiting">
                        <span>
                          {formatAge(task.ageSeconds)}
                          <span className="cell-sub">since {formatDateTime(task.openedAt)}</span>
                        </span>
                      </td>
                      <td data-label="Order status">
                        <StatusBadge status={task.orderStatus} />
                      </td>
                      <td data-label="Partner → customer">
                        <span>
                          {task.partner.name}
                          <span className="cell-sub">→ {task.customerName}</span>
                        </span>
                      </td>
                      <td data-label="Next deadline">
                        {task.nextDeadline ? (
                          <span>
                            {formatDateTime(task.nextDeadline.at)}
                            <span className="cell-sub">{task.nextDeadline.what}</span>
                          </span>
                        ) : (
                          <span className="muted">none</span>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <Pagination pages={pages} nextCursor={page.nextCursor} />
        </>
      )}
    </>
  );
}

function BulkBar({ orderIds, token, onUnauthorized, onDone }: { orderIds: string[]; token: string; onUnauthorized: () => void; onDone: () => void }) {
  const [action, setAction] = useState<BulkAction>('resend-link');
  const [reason, setReason] = useState('');
  const [date, setDate] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [results, setResults] = useState<BulkActionResult['results'] | undefined>();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    if (action === 'cancel' && !reason.trim()) return setError('Give a reason for cancelling.');
    if (action === 'reschedule' && !date) return setError('Choose the new start date.');
    setBusy(true);
    try {
      const answer = await api<BulkActionResult>(`/api/orders/actions/${action}`, {
        method: 'POST',
        token,
        body: { orderIds, ...(reason.trim() ? { reason: reason.trim() } : {}), ...(action === 'reschedule' ? { requestedStartDate: date } : {}) },
      });
      setResults(answer.results);
      // The reason was for these orders: the next action starts with a blank one.
      setReason('');
      onDone();
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 401) return onUnauthorized();
      setError(failure instanceof Error ? failure.message : 'The action failed.');
    } finally {
      setBusy(false);
    }
  };

  const failed = results?.filter((r) => !r.ok).length ?? 0;
  return (
    <section className="card bulk" aria-labelledby="bulk-title">
      <h2 id="bulk-title" className="h4">
        Act on the selected orders
      </h2>
      <form className="filters" onSubmit={(event) => void submit(event)} noValidate>
        <SelectField
          label="Action"
          name="action"
          value={action}
          onChange={(event) => setAction(event.target.value as BulkAction)}
          options={BULK_ACTIONS.map((name) => ({ value: name, label: ACTION_LABELS[name] }))}
        />
        {action === 'reschedule' && <TextField label="New start date" name="requestedStartDate" type="date" value={date} onChange={(event) => setDate(event.target.value)} />}
        <TextArea label={action === 'cancel' ? 'Reason' : 'Reason (optional)'} name="reason" maxLength={1000} value={reason} onChange={(event) => setReason(event.target.value)} />
        <div className="filters-actions">
          <Button type="submit" busy={busy} disabled={orderIds.length === 0} variant={action === 'cancel' ? 'danger' : 'primary'}>
            {ACTION_LABELS[action]} · {orderIds.length} order{orderIds.length === 1 ? '' : 's'}
          </Button>
        </div>
      </form>
      {error && (
        <Alert tone="danger" title="Nothing was done">
          <p>{error}</p>
        </Alert>
      )}
      {results && (
        <div role="status" aria-live="polite">
          <p>
            <strong>
              {results.length - failed} done, {failed} refused.
            </strong>
          </p>
          <ul className="bulk-results">
            {results.map((result) => (
              <li key={result.orderId} className={result.ok ? 'ok' : 'refused'}>
                <span aria-hidden="true">{result.ok ? '✓' : '✗'} </span>
                <Link href={`/rep/orders/${encodeURIComponent(result.orderId)}`}>{result.orderId}</Link>:{' '}
                {result.ok ? 'done' : (result.problem.detail ?? result.problem.title)}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
