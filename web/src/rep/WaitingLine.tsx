// One line on the order page: who holds the ball since when, and what the order's clock does next.
import type { OrderDetail } from '../types';
import { formatDateTime } from '../ui';

const PARTY: Record<NonNullable<OrderDetail['waitingOn']>['party'], string> = {
  contact: 'the provisioning contact',
  colleague: 'the colleague the link was passed to',
  customer: 'the customer',
  'customer-admin': 'the customer admin',
  rep: 'you, the rep',
  system: 'the service',
};

export function WaitingLine({ detail }: { detail: OrderDetail }) {
  const { waitingOn, nextDeadline } = detail;
  if (!waitingOn && !nextDeadline) return null;
  return (
    <p className="waiting-line" data-testid="waiting-line">
      {waitingOn && (
        <>
          Waiting on <strong>{PARTY[waitingOn.party]}</strong>
          {waitingOn.email && ` (${waitingOn.email})`} since {formatDateTime(waitingOn.since)}.
        </>
      )}{' '}
      {nextDeadline ? (
        <>
          Next: {nextDeadline.what} on <strong>{formatDateTime(nextDeadline.at)}</strong>.
        </>
      ) : (
        'Nothing is scheduled to happen on its own.'
      )}
    </p>
  );
}
