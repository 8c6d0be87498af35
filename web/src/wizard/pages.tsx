// The wizard's pages around the steps: the "Configure now" entry, the hold, the hand-over, the
// running and finished provisioning, and a link that no longer works.
import { useState } from 'react';
import { ApiError } from '../api';
import type { WizardView } from '../types';
import { Alert, Button, Icon, type IconName, Spinner, useFocusOnMount, usePageTitle } from '../ui';
import { useDeadline } from './deadline';
import { useTexts, WizardShell } from './i18n';

function OrderSummary({ view }: { view: WizardView }) {
  const { t, services, country, date } = useTexts();
  const deadline = useDeadline(view);
  return (
    <dl className="summary">
      <dt>{t('wizard.summary.order')}</dt>
      <dd>{view.orderId}</dd>
      <dt>{t('wizard.summary.product')}</dt>
      <dd>{view.order.product}</dd>
      <dt>{t('wizard.summary.services')}</dt>
      <dd>{services(view.order.services)}</dd>
      <dt>{t('wizard.summary.partner')}</dt>
      <dd>{view.order.partner.name}</dd>
      <dt>{t('wizard.summary.customer')}</dt>
      <dd>
        {view.order.customer.name}, {country(view.order.customer.country)}
      </dd>
      <dt>{t('wizard.summary.startDate')}</dt>
      <dd>{date(view.order.requestedStartDate)}</dd>
      {deadline && (
        <>
          <dt>{t('wizard.deadline.label')}</dt>
          <dd>{deadline.value}</dd>
        </>
      )}
    </dl>
  );
}

/** A page with one message: its heading takes focus so a screen reader reads it first. */
export function MessagePage({ title, icon, tone, children }: { title: string; icon: IconName; tone: 'success' | 'warning' | 'danger' | 'info'; children: React.ReactNode }) {
  usePageTitle(title);
  const heading = useFocusOnMount<HTMLHeadingElement>();
  return (
    <WizardShell>
      <section className={`card message message-${tone}`} aria-labelledby="message-title">
        <span className="message-icon" aria-hidden="true">
          <Icon name={icon} />
        </span>
        <h1 id="message-title" ref={heading} tabIndex={-1}>
          {title}
        </h1>
        {children}
      </section>
    </WizardShell>
  );
}

export function EntryPage({ view, onStart }: { view: WizardView; onStart: () => Promise<void> }) {
  const { t, services, problemText } = useTexts();
  const resume = Boolean(view.configuration);
  usePageTitle(t('wizard.entry.pageTitle', { orderId: view.orderId }));
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | undefined>();
  const start = async () => {
    setBusy(true);
    setProblem(undefined);
    try {
      await onStart();
    } catch (error) {
      setProblem(error instanceof ApiError ? problemText(error.problem) : t('ui.somethingWentWrong'));
      setBusy(false);
    }
  };
  return (
    <WizardShell>
      <section className="card hero" aria-labelledby="entry-title">
        <p className="eyebrow">{t('wizard.eyebrow', { orderId: view.orderId })}</p>
        <h1 id="entry-title" ref={heading} tabIndex={-1}>
          {resume ? t('wizard.entry.titleResume') : t('wizard.entry.title')}
        </h1>
        <p className="lead">
          {t('wizard.entry.lead', { partner: view.order.partner.name, services: services(view.order.services), customer: view.order.customer.name })}
        </p>
        <OrderSummary view={view} />
        {!resume && (
          <>
            <h2 className="h3">{t('wizard.entry.needTitle')}</h2>
            <ul className="checklist">
              <li>{t('wizard.entry.needAdmin')}</li>
              <li>{t('wizard.entry.needOrgs')}</li>
              {view.order.services.includes('meetings') && <li>{t('wizard.entry.needSite')}</li>}
              {view.order.services.includes('calling') && <li>{t('wizard.entry.needCalling')}</li>}
            </ul>
            <Alert tone="info" title={t('wizard.entry.oneGoTitle')}>
              <p>{t('wizard.entry.oneGo')}</p>
            </Alert>
          </>
        )}
        {problem && (
          <Alert tone="danger" title={t('wizard.entry.couldNotStart')}>
            <p>{problem}</p>
          </Alert>
        )}
        <div className="actions">
          <Button className="btn-large" onClick={start} busy={busy}>
            {resume ? t('wizard.entry.continue') : t('wizard.entry.configure')}
          </Button>
        </div>
      </section>
    </WizardShell>
  );
}

export function HoldPage({ view }: { view: WizardView }) {
  const { t } = useTexts();
  const { rep } = view.order;
  const [before, after] = t('wizard.hold.contact', { rep: rep.name, orderId: view.orderId, email: '\u0000' }).split('\u0000');
  return (
    <MessagePage title={t('wizard.hold.title')} icon="pause" tone="warning">
      <p className="lead">{t('wizard.hold.lead', { rep: rep.name })}</p>
      <p>
        {before}
        <a href={`mailto:${rep.email}`}>{rep.email}</a>
        {after}
      </p>
    </MessagePage>
  );
}

export function ConsentPendingPage({ view }: { view: WizardView }) {
  const { t } = useTexts();
  const { rep } = view.order;
  const [before, after] = t('wizard.consentPending.contact', { email: '\u0000' }).split('\u0000');
  return (
    <MessagePage title={t('wizard.consentPending.title')} icon="pause" tone="info">
      <p className="lead">{t('wizard.consentPending.lead', { rep: rep.name, orderId: view.orderId })}</p>
      <p>
        {before}
        <a href={`mailto:${rep.email}`}>{rep.email}</a>
        {after}
      </p>
    </MessagePage>
  );
}

export function HandedOverPage({ email, to }: { email: string; to: 'customer' | 'colleague' }) {
  const { t } = useTexts();
  const [before, after] = t('wizard.handedOver.lead', { email: '\u0000', to }).split('\u0000');
  return (
    <MessagePage title={t('wizard.handedOver.title')} icon="mail" tone="success">
      <p className="lead">
        {before}
        <strong>{email}</strong>
        {after}
      </p>
      <p>{t('wizard.handedOver.linkDead')}</p>
    </MessagePage>
  );
}

export function ProvisioningPage({ view }: { view: WizardView }) {
  const { t, services } = useTexts();
  return (
    <MessagePage title={t('wizard.provisioning.title')} icon="gear" tone="info">
      <Spinner label={t('wizard.provisioning.activating', { services: services(view.order.services), customer: view.order.customer.name })} />
      <p>{t('wizard.provisioning.wait')}</p>
    </MessagePage>
  );
}

export function DonePage({ view }: { view: WizardView }) {
  const { t, services, inZone } = useTexts();
  const billing = view.provisioning?.billingStartedAt;
  const subdomain = view.sections?.find((section) => section.name === 'meetings')?.value?.subdomain;
  const site = typeof subdomain === 'string' ? `https://${subdomain}.webex.com` : undefined;
  return (
    <MessagePage title={t('wizard.done.title')} icon="check" tone="success">
      <p className="lead">{billing ? t('wizard.done.leadSince', { since: inZone(billing, view.order.timezone) }) : t('wizard.done.lead')}</p>
      <dl className="summary">
        <dt>{t('wizard.summary.order')}</dt>
        <dd>{view.orderId}</dd>
        <dt>{t('wizard.summary.services')}</dt>
        <dd>{services(view.order.services)}</dd>
        {site && (
          <>
            <dt>{t('wizard.done.site')}</dt>
            <dd>
              <a href={site}>{site}</a>
            </dd>
          </>
        )}
        {billing && (
          <>
            <dt>{t('wizard.done.billingStarted')}</dt>
            <dd>{inZone(billing, view.order.timezone)}</dd>
          </>
        )}
        {view.configuration && (
          <>
            <dt>{t('wizard.done.customerOrg')}</dt>
            <dd>{view.configuration.customerOrgName}</dd>
            <dt>{t('wizard.done.admin')}</dt>
            <dd>{view.configuration.adminEmail}</dd>
            {view.configuration.partnerOrgName && (
              <>
                <dt>{t('wizard.done.managedBy')}</dt>
                <dd>{view.configuration.partnerOrgName}</dd>
              </>
            )}
          </>
        )}
      </dl>
      <p>{t('wizard.done.next')}</p>
    </MessagePage>
  );
}

export function EndedPage({ view }: { view: WizardView }) {
  const { t } = useTexts();
  const cancelled = view.status === 'CANCELLED';
  return (
    <MessagePage title={cancelled ? t('wizard.ended.cancelledTitle') : t('wizard.ended.expiredTitle')} icon="cross" tone="danger">
      <p className="lead">{cancelled ? t('wizard.ended.cancelled') : t('wizard.ended.expired')}</p>
    </MessagePage>
  );
}

export function NotYetPage({ view }: { view: WizardView }) {
  const { t } = useTexts();
  return (
    <MessagePage title={t('wizard.notYet.title')} icon="info" tone="info">
      <p className="lead">{t('wizard.notYet.lead', { orderId: view.orderId })}</p>
    </MessagePage>
  );
}

/** Unknown, revoked and expired links are alike (the API says no more), so the page needs no detail. */
export function LinkGonePage() {
  const { t } = useTexts();
  return (
    <MessagePage title={t('wizard.gone.title')} icon="cross" tone="danger">
      <p className="lead">{t('wizard.gone.lead')}</p>
      <p>{t('wizard.gone.why')}</p>
    </MessagePage>
  );
}

export function StalePage({ onRestart }: { onRestart: () => void }) {
  const { t } = useTexts();
  return (
    <MessagePage title={t('wizard.stale.title')} icon="restart" tone="warning">
      <p className="lead">{t('wizard.stale.lead')}</p>
      <p>{t('wizard.stale.choice')}</p>
      <div className="actions">
        <Button onClick={onRestart}>{t('wizard.stale.restart')}</Button>
      </div>
    </MessagePage>
  );
}
