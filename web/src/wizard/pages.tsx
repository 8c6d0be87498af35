// The wizard's pages around the steps: the "Configure now" entry, the hold, the hand-over, the
// running and finished provisioning, and a link that no longer works.
import { useState } from 'react';
import { ApiError } from '../api';
import type { WizardView } from '../types';
import { Alert, Button, countryName, Icon, type IconName, formatDate, formatInZone, serviceLabel, Shell, Spinner, useFocusOnMount, usePageTitle } from '../ui';

function OrderSummary({ view }: { view: WizardView }) {
  return (
    <dl className="summary">
      <dt>Order</dt>
      <dd>{view.orderId}</dd>
      <dt>Product</dt>
      <dd>{view.order.product}</dd>
      <dt>Services</dt>
      <dd>{view.order.services.map(serviceLabel).join(', ')}</dd>
      <dt>Partner</dt>
      <dd>{view.order.partner.name}</dd>
      <dt>Customer</dt>
      <dd>
        {view.order.customer.name}, {countryName(view.order.customer.country)}
      </dd>
      <dt>Start date</dt>
      <dd>{formatDate(view.order.requestedStartDate)}</dd>
    </dl>
  );
}

/** A page with one message: its heading takes focus so a screen reader reads it first. */
export function MessagePage({ title, icon, tone, children }: { title: string; icon: IconName; tone: 'success' | 'warning' | 'danger' | 'info'; children: React.ReactNode }) {
  usePageTitle(title);
  const heading = useFocusOnMount<HTMLHeadingElement>();
  return (
    <Shell product="Order setup">
      <section className={`card message message-${tone}`} aria-labelledby="message-title">
        <span className="message-icon" aria-hidden="true">
          <Icon name={icon} />
        </span>
        <h1 id="message-title" ref={heading} tabIndex={-1}>
          {title}
        </h1>
        {children}
      </section>
    </Shell>
  );
}

export function EntryPage({ view, onStart }: { view: WizardView; onStart: () => Promise<void> }) {
  const resume = Boolean(view.configuration);
  usePageTitle(`Set up order ${view.orderId}`);
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | undefined>();
  const start = async () => {
    setBusy(true);
    setProblem(undefined);
    try {
      await onStart();
    } catch (error) {
      setProblem(error instanceof ApiError ? error.message : 'Something went wrong. Try again.');
      setBusy(false);
    }
  };
  return (
    <Shell product="Order setup">
      <section className="card hero" aria-labelledby="entry-title">
        <p className="eyebrow">Order {view.orderId}</p>
        <h1 id="entry-title" ref={heading} tabIndex={-1}>
          {resume ? 'Continue setting up your Webex services' : 'Set up your Webex services'}
        </h1>
        <p className="lead">
          {view.order.partner.name} ordered Webex {view.order.services.map(serviceLabel).join(', ')} for {view.order.customer.name}. Configure the
          order to create the organizations and start the services.
        </p>
        <OrderSummary view={view} />
        {!resume && (
          <>
            <h2 className="h3">What you will need</h2>
            <ul className="checklist">
              <li>Who administers the customer’s Webex organization (an email address)</li>
              <li>The organizations’ names, countries and addresses</li>
              {view.order.services.includes('meetings') && <li>A name for the customer’s meetings site</li>}
              {view.order.services.includes('calling') && <li>The first calling location and its time zone</li>}
            </ul>
            <Alert tone="info" title="Finish in one go">
              <p>Until you confirm the organizations, nothing is saved: leaving the page or opening the link again starts over.</p>
            </Alert>
          </>
        )}
        {problem && (
          <Alert tone="danger" title="The setup could not start">
            <p>{problem}</p>
          </Alert>
        )}
        <div className="actions">
          <Button className="btn-large" onClick={start} busy={busy}>
            {resume ? 'Continue setup' : 'Configure now'}
          </Button>
        </div>
      </section>
    </Shell>
  );
}

export function HoldPage({ view }: { view: WizardView }) {
  const { rep } = view.order;
  return (
    <MessagePage title="This order is on hold" icon="pause" tone="warning">
      <p className="lead">
        An organization was not recognised, so nothing more happens until {rep.name}, your Cisco account representative, has looked into it with you.
      </p>
      <p>
        {rep.name} will contact you about order {view.orderId}; you can also write to <a href={`mailto:${rep.email}`}>{rep.email}</a>. Once the order is
        resumed, this link works again and the setup starts from the beginning.
      </p>
    </MessagePage>
  );
}

export function ConsentPendingPage({ view }: { view: WizardView }) {
  const { rep } = view.order;
  return (
    <MessagePage title="Waiting for the organization’s approval" icon="pause" tone="info">
      <p className="lead">
        The customer organization you chose already exists, so its administrator or {rep.name}, your Cisco account representative, must approve before
        order {view.orderId} is set up there.
      </p>
      <p>
        Nothing more is needed from you now: you get an email when it is decided. Questions: <a href={`mailto:${rep.email}`}>{rep.email}</a>.
      </p>
    </MessagePage>
  );
}

export function HandedOverPage({ email, to }: { email: string; to: 'customer' | 'colleague' }) {
  return (
    <MessagePage title="The setup is handed over" icon="mail" tone="success">
      <p className="lead">
        We sent a link to <strong>{email}</strong>. {to === 'customer' ? 'The customer' : 'Your colleague'} sets up the order from there.
      </p>
      <p>The link you used no longer works. You can close this page.</p>
    </MessagePage>
  );
}

export function ProvisioningPage({ view }: { view: WizardView }) {
  return (
    <MessagePage title="Provisioning your services" icon="gear" tone="info">
      <Spinner label={`Activating ${view.order.services.map(serviceLabel).join(', ')} for ${view.order.customer.name}…`} />
      <p>This usually takes a few seconds. You can keep this page open or come back later.</p>
    </MessagePage>
  );
}

export function DonePage({ view }: { view: WizardView }) {
  const billing = view.provisioning?.billingStartedAt;
  const subdomain = view.sections?.find((section) => section.name === 'meetings')?.value?.subdomain;
  const site = typeof subdomain === 'string' ? `https://${subdomain}.webex.com` : undefined;
  return (
    <MessagePage title="Your services are provisioned" icon="check" tone="success">
      <p className="lead">
        The subscription is active and billing has started{billing ? ` on ${formatInZone(billing, view.order.timezone)}` : ''}.
      </p>
      <dl className="summary">
        <dt>Order</dt>
        <dd>{view.orderId}</dd>
        <dt>Services</dt>
        <dd>{view.order.services.map(serviceLabel).join(', ')}</dd>
        {site && (
          <>
            <dt>Meetings site</dt>
            <dd>
              <a href={site}>{site}</a>
            </dd>
          </>
        )}
        {billing && (
          <>
            <dt>Billing started</dt>
            <dd>{formatInZone(billing, view.order.timezone)}</dd>
          </>
        )}
        {view.configuration && (
          <>
            <dt>Customer organization</dt>
            <dd>{view.configuration.customerOrgName}</dd>
            <dt>Administrator</dt>
            <dd>{view.configuration.adminEmail}</dd>
            {view.configuration.partnerOrgName && (
              <>
                <dt>Managed by</dt>
                <dd>{view.configuration.partnerOrgName}</dd>
              </>
            )}
          </>
        )}
      </dl>
      <p>The administrator can now sign in to Control Hub and add users. You can close this page.</p>
    </MessagePage>
  );
}

export function EndedPage({ view }: { view: WizardView }) {
  const cancelled = view.status === 'CANCELLED';
  return (
    <MessagePage title={cancelled ? 'This order was cancelled' : 'This order has expired'} icon="cross" tone="danger">
      <p className="lead">
        {cancelled
          ? 'Your Cisco account representative cancelled this order, so there is nothing to set up.'
          : 'The order was not configured in time. Ask your partner or Cisco account representative to order again.'}
      </p>
    </MessagePage>
  );
}

export function NotYetPage({ view }: { view: WizardView }) {
  return (
    <MessagePage title="Nothing to do here right now" icon="info" tone="info">
      <p className="lead">Order {view.orderId} does not need anything from you at the moment.</p>
      {view.message && <p>{view.message}</p>}
    </MessagePage>
  );
}

export function LinkGonePage({ detail }: { detail: string }) {
  return (
    <MessagePage title="This link does not work" icon="cross" tone="danger">
      <p className="lead">{detail}</p>
      <p>Links stop working when a newer one is sent, when the setup is handed to someone else, and when the order ends.</p>
    </MessagePage>
  );
}

export function StalePage({ onRestart }: { onRestart: () => void }) {
  return (
    <MessagePage title="The setup was opened somewhere else" icon="restart" tone="warning">
      <p className="lead">Someone opened this link in another window, which started the setup again there.</p>
      <p>Continue in that window, or start again here (that discards the other window’s choices).</p>
      <div className="actions">
        <Button onClick={onRestart}>Start again here</Button>
      </div>
    </MessagePage>
  );
}
