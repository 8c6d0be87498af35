// The page behind a consent link (SPEC §7.2): the admin of an existing customer organization sees
// what is asked and approves or declines, once, in the order's language (or the one chosen with the
// switch). The email's buttons only preselect the answer (`?decision=`): a link scanner that opens
// the URL decides nothing; only the button here does.
import { type FormEvent, useEffect, useState } from 'react';
import { api, ApiError } from '../api';
import { useLocation } from '../router';
import type { ConsentOutcome, ConsentView } from '../types';
import { Alert, Button, ChoiceGroup, Spinner, useFocusOnMount, usePageTitle } from '../ui';
import { FormErrors, useTexts, WizardIntl, WizardShell } from '../wizard/i18n';
import { MessagePage } from '../wizard/pages';

type Decision = 'approve' | 'decline';

type Screen =
  | { kind: 'loading' }
  | { kind: 'gone' }
  | { kind: 'failed'; error: unknown }
  | { kind: 'ready'; view: ConsentView }
  | { kind: 'answered'; outcome: ConsentOutcome; view: ConsentView };

export function ConsentApp({ token }: { token: string }) {
  const base = `/api/consent/${encodeURIComponent(token)}`;
  const preselected = useLocation().searchParams.get('decision');
  const [screen, setScreen] = useState<Screen>({ kind: 'loading' });

  useEffect(() => {
    const controller = new AbortController();
    api<ConsentView>(base, { signal: controller.signal })
      .then((view) => setScreen({ kind: 'ready', view }))
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        if (error instanceof ApiError && error.status === 410) setScreen({ kind: 'gone' });
        else setScreen({ kind: 'failed', error });
      });
    return () => controller.abort();
  }, [base]);

  const orderLocale = screen.kind === 'ready' || screen.kind === 'answered' ? screen.view.locale : undefined;
  return (
    <WizardIntl orderLocale={orderLocale}>
      <ConsentScreen
        screen={screen}
        base={base}
        initial={preselected === 'approve' || preselected === 'decline' ? preselected : undefined}
        setScreen={setScreen}
      />
    </WizardIntl>
  );
}

function ConsentScreen({ screen, base, initial, setScreen }: { screen: Screen; base: string; initial: Decision | undefined; setScreen: (screen: Screen) => void }) {
  const { t, problemText } = useTexts();
  switch (screen.kind) {
    case 'loading':
      return (
        <WizardShell>
          <Spinner label={t('consent.loading')} />
        </WizardShell>
      );
    case 'gone':
      return (
        <MessagePage title={t('consent.goneTitle')} icon="cross" tone="danger">
          <p className="lead">{t('consent.goneLead')}</p>
        </MessagePage>
      );
    case 'failed':
      return (
        <WizardShell>
          <Alert tone="danger" title={t('consent.failed')}>
            {screen.error instanceof ApiError ? problemText(screen.error.problem) : t('ui.somethingWentWrong')}
          </Alert>
        </WizardShell>
      );
    case 'answered': {
      const org = screen.view.organization.name;
      if (screen.outcome.decision === 'approve' && screen.outcome.orderStatus === 'ON_HOLD') {
        // Approved, but the commit was refused (e.g. the address joined another org meanwhile).
        return (
          <MessagePage title={t('consent.approvedTitle')} icon="check" tone="info">
            <p className="lead">{t('consent.approvedOnHoldLead', { orderId: screen.view.orderId, org })}</p>
          </MessagePage>
        );
      }
      return screen.outcome.decision === 'approve' ? (
        <MessagePage title={t('consent.approvedTitle')} icon="check" tone="success">
          <p className="lead">{t('consent.approvedLead', { orderId: screen.view.orderId, org })}</p>
        </MessagePage>
      ) : (
        <MessagePage title={t('consent.declinedTitle')} icon="cross" tone="info">
          <p className="lead">{t('consent.declinedLead', { org })}</p>
        </MessagePage>
      );
    }
    case 'ready':
      return (
        <ConsentForm
          view={screen.view}
          base={base}
          initial={initial}
          onAnswered={(outcome) => setScreen({ kind: 'answered', outcome, view: screen.view })}
          onGone={() => setScreen({ kind: 'gone' })}
        />
      );
  }
}

function ConsentForm({ view, base, initial, onAnswered, onGone }: { view: ConsentView; base: string; initial: Decision | undefined; onAnswered: (outcome: ConsentOutcome) => void; onGone: () => void }) {
  const { t, services, country, dateTime, problemText } = useTexts();
  usePageTitle(t('consent.title'));
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const [decision, setDecision] = useState<Decision | undefined>(initial);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  const [choiceError, setChoiceError] = useState<string | undefined>();
  const org = view.organization.name;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!decision) return setChoiceError(t('consent.choose'));
    setBusy(true);
    setErrors([]);
    try {
      onAnswered(await api<ConsentOutcome>(base, { method: 'POST', body: { decision } }));
    } catch (error) {
      if (error instanceof ApiError && error.status === 410) return onGone();
      setErrors([error instanceof ApiError ? problemText(error.problem) : t('ui.somethingWentWrong')]);
    } finally {
      setBusy(false);
    }
  };

  return (
    <WizardShell>
      <section className="card" aria-labelledby="consent-title">
        <h1 id="consent-title" ref={heading} tabIndex={-1}>
          {t('consent.title')}
        </h1>
        <p className="lead">
          {view.attachPartner
            ? t('consent.askedPartner', { partner: view.partner.name, org, admin: view.newAdminEmail })
            : t('consent.askedAdmin', { org, admin: view.newAdminEmail })}
        </p>
        <dl className="summary">
          <dt>{t('wizard.summary.order')}</dt>
          <dd>{view.orderId}</dd>
          <dt>{t('wizard.summary.services')}</dt>
          <dd>
            {view.order.product} · {services(view.order.services)}
          </dd>
          <dt>{t('wizard.summary.customer')}</dt>
          <dd>
            {view.order.customer.name}, {country(view.order.customer.country)}
          </dd>
          <dt>{t('consent.answerBy')}</dt>
          <dd>{dateTime(view.expiresAt)}</dd>
        </dl>
        <form onSubmit={(event) => void submit(event)} noValidate>
          <FormErrors messages={errors} />
          <ChoiceGroup
            name="decision"
            legend={t('consent.legend')}
            value={decision}
            onChange={(value) => {
              setDecision(value);
              setChoiceError(undefined);
            }}
            error={choiceError}
            choices={[
              { value: 'approve', label: t('consent.approve'), description: t('consent.approveHint', { org }) },
              { value: 'decline', label: t('consent.decline'), description: t('consent.declineHint') },
            ]}
          />
          <div className="actions">
            <Button type="submit" busy={busy}>
              {t('consent.send')}
            </Button>
          </div>
        </form>
      </section>
    </WizardShell>
  );
}
