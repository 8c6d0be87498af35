// Orders from the read model, newest first: filters and search live in the URL (so a filtered
// list can be shared and survives reloads); pages follow the API's keyset cursor.
import { type FormEvent, useState } from 'react';
import { Link, navigate, useLocation } from '../router';
import { ORDER_STATUSES, type OrderPage, type OrderView } from '../types';
import { Alert, Button, formatDate, formatDateTime, SelectField, serviceLabel, Spinner, StatusBadge, statusLabel, TextField, useFocusOnMount, usePageTitle } from '../ui';
import type { RepSession } from './RepApp';
import { Pagination, useCursorPages } from './paging';
import { useListPage } from './use-list-page';

const PAGE_SIZE = 20;

interface Filters {
  status: string;
  escalated: string;
  q: string;
}

function filtersOf(url: URL): Filters {
  return { status: url.searchParams.get('status') ?? '', escalated: url.searchParams.get('escalated') ?? '', q: url.searchParams.get('q') ?? '' };
}

function listUrl(filters: Filters): string {
  const params = new URLSearchParams();
  if (filters.status) params.set('status', filters.status);
  if (filters.escalated) params.set('escalated', filters.escalated);
  if (filters.q.trim()) params.set('q', filters.q.trim());
  const query = params.toString();
  return `/rep${query ? `?${query}` : ''}`;
}

export function OrderList({ session }: { session: RepSession }) {
  usePageTitle('Orders – Rep console');
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const location = useLocation();
  const applied = filtersOf(location);
  const appliedKey = listUrl(applied);
  const [draft, setDraft] = useState<Filters>(applied);
  const pages = useCursorPages();
  const [reload, setReload] = useState(0);

  // A new filter starts again from the first page.
  const [shownKey, setShownKey] = useState(appliedKey);
  if (shownKey !== appliedKey) {
    setShownKey(appliedKey);
    setDraft(applied);
    pages.reset();
  }

  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  const filters = filtersOf(new URL(appliedKey, window.location.origin));
  if (filters.status) params.set('status', filters.status);
  if (filters.escalated) params.set('escalated', filters.escalated);
  if (filters.q) params.set('q', filters.q);
  if (pages.cursor) params.set('cursor', pages.cursor);
  const { page, problem } = useListPage<OrderPage>(`/api/orders?${params}`, session, reload, 'The orders could not be loaded.');

  const apply = (event: FormEvent) => {
    event.preventDefault();
    navigate(listUrl(draft));
  };
  const showEscalated = () => navigate(listUrl({ ...applied, escalated: applied.escalated === 'true' ? '' : 'true' }));

  return (
    <>
      <div className="page-head">
        <h1 ref={heading} tabIndex={-1}>
          Orders
        </h1>
        <div className="cluster">
          <Button variant={applied.escalated === 'true' ? 'primary' : 'secondary'} aria-pressed={applied.escalated === 'true'} onClick={showEscalated}>
            <span aria-hidden="true">⚑ </span>Escalated only
          </Button>
          <Button variant="secondary" onClick={() => setReload((n) => n + 1)}>
            Refresh
          </Button>
        </div>
      </div>
      <form className="card filters" role="search" aria-label="Filter orders" onSubmit={apply}>
        <TextField
          label="Search"
          name="q"
          type="search"
          hint="Order id, partner, customer or contact email"
          value={draft.q}
          onChange={(event) => setDraft({ ...draft, q: event.target.value })}
        />
        <SelectField
          label="Status"
          name="status"
          value={draft.status}
          onChange={(event) => setDraft({ ...draft, status: event.target.value })}
          options={[{ value: '', label: 'Any status' }, ...ORDER_STATUSES.map((status) => ({ value: status, label: statusLabel(status) }))]}
        />
        <SelectField
          label="Escalation"
          name="escalated"
          value={draft.escalated}
          onChange={(event) => setDraft({ ...draft, escalated: event.target.value })}
          options={[
            { value: '', label: 'All orders' },
            { value: 'true', label: 'Escalated' },
            { value: 'false', label: 'Not escalated' },
          ]}
        />
        <div className="filters-actions">
          <Button type="submit">Apply</Button>
          {appliedKey !== '/rep' && (
            <Button variant="ghost" onClick={() => navigate('/rep')}>
              Clear
            </Button>
          )}
        </div>
      </form>
      {problem && (
        <Alert tone="danger" title="The orders could not be loaded">
          <p>{problem}</p>
        </Alert>
      )}
      {!page && !problem && <Spinner label="Loading orders…" />}
      {page && (
        <>
          <p className="muted" role="status">
            {page.items.length === 0
              ? 'No orders match.'
              : `Showing ${pages.pagesBefore * PAGE_SIZE + 1}–${pages.pagesBefore * PAGE_SIZE + page.items.length}${page.nextCursor ? '' : ` of ${pages.pagesBefore * PAGE_SIZE + page.items.length}`}`}
          </p>
          {page.items.length > 0 && <OrderTable items={page.items} />}
          <Pagination pages={pages} nextCursor={page.nextCursor} />
        </>
      )}
    </>
  );
}

function OrderTable({ items }: { items: OrderView[] }) {
  return (
    <div className="table-wrap">
      <table className="orders">
        <caption className="visually-hidden">Orders, newest first. Escalated orders are marked.</caption>
        <thead>
          <tr>
            <th scope="col">Order</th>
            <th scope="col">Status</th>
            <th scope="col">Partner → customer</th>
            <th scope="col">Contact</th>
            <th scope="col">Start date</th>
            <th scope="col">Received</th>
          </tr>
        </thead>
        <tbody>
          {items.map((order) => (
            <tr key={order.orderId} className={order.escalated ? 'escalated' : undefined}>
              <th scope="row" data-label="Order">
                <Link href={`/rep/orders/${encodeURIComponent(order.orderId)}`}>{order.orderId}</Link>
                <span className="cell-sub">
                  {order.product} · {order.services.map(serviceLabel).join(', ')}
                </span>
              </th>
              <td data-label="Status">
                <span className="cluster-tight">
                  <StatusBadge status={order.status} />
                  {order.escalated && order.status !== 'ESCALATED' && (
                    <span className="badge badge-flag">
                      <span aria-hidden="true">⚑ </span>Escalated
                    </span>
                  )}
                </span>
              </td>
              <td data-label="Partner → customer">
                <span>
                  {order.partner.name}
                  <span className="cell-sub">→ {order.customer.name}</span>
                </span>
              </td>
              <td data-label="Contact" className="break">
                {order.provisioningContactEmail}
              </td>
              <td data-label="Start date">{formatDate(order.requestedStartDate)}</td>
              <td data-label="Received">{formatDateTime(order.receivedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
