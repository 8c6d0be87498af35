// The page behind a consent link (SPEC §7.2): the admin of an existing customer organization sees
// what is asked and approves or declines, once. The email's buttons only preselect the answer
// (`?decision=`): a link scanner that opens the URL decides nothing; only the button here does.
import { type FormEvent, useEffect, useState } from 'react';
import { api, ApiError } from '../api';
import { useLocation } from '../router';
import type { ConsentOutcome, ConsentView } from '../types';
import { Alert, Button, ChoiceGroup, countryName, formatDateTime, FormErrors, serviceLabel, Shell, Spinner, useFocusOnMount, usePageTitle } from '../ui';
import { LinkGonePage, MessagePage } from '../wizard/pages';

type Decision = 'approve' | 'decline';

type Screen =
  | { kind: 'loading' }
  | { kind: 'gone'; detail: string }
  | { kind: 'failed'; detail: string }
  | { kind: 'ready'; view: ConsentView }
  | { kind: 'answered'; decision: Decision; view: ConsentView };

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
        if (error instanceof ApiError && error.status === 410) setScreen({ kind: 'gone', detail: error.message });
        else setScreen({ kind: 'failed', detail: error instanceof Error ? error.message : 'The request could not be loaded.' });
      });
    return () => controller.abort();
  }, [base]);

  switch (screen.kind) {
    case 'loading':
      return (
        <Shell product="Organization consent">
          <Spinner label="Loading the request…" />
        </Shell>
      );
    case 'gone':
      return <LinkGonePage detail={screen.detail} />;
    case 'failed':
      return (
        <Shell product="Organization consent">
          <Alert tone="danger" title="The request could not be loaded">
            {screen.detail}
          </Alert>
        </Shell>
      );
    case 'answered':
      return screen.decision === 'approve' ? (
        <MessagePage title="Thank you: approved" icon="check" tone="success">
          <p className="lead">Order {screen.view.orderId} is now set up in {screen.view.organization.name}.</p>
        </MessagePage>
      ) : (
        <MessagePage title="Thank you: declined" icon="cross" tone="info">
          <p className="lead">Nothing changes in {screen.view.organization.name}. The order is on hold, and the partner’s Cisco account representative is told.</p>
        </MessagePage>
      );
    case 'ready':
      return (
        <ConsentForm
          view={screen.view}
          base={base}
          initial={preselected === 'approve' || preselected === 'decline' ? preselected : undefined}
          onAnswered={(decision) => setScreen({ kind: 'answered', decision, view: screen.view })}
          onGone={(detail) => setScreen({ kind: 'gone', detail })}
        />
      );
  }
}

function ConsentForm({ view, base, initial, onAnswered, onGone }: { view: ConsentView; base: string; initial: Decision | undefined; onAnswered: (decision: Decision) => void; onGone: (detail: string) => void }) {
  usePageTitle('Approve or decline – Organization consent');
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const [decision, setDecision] = useState<Decision | undefined>(initial);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  const [choiceError, setChoiceError] = useState<string | undefined>();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!decision) return setChoiceError('Choose whether to approve or decline.');
    setBusy(true);
    setErrors([]);
    try {
      await api<ConsentOutcome>(base, { method: 'POST', body: { decision } });
      onAnswered(decision);
    } catch (error) {
      if (error instanceof ApiError && error.status === 410) return onGone(error.message);
      setErrors([error instanceof Error ? error.message : 'The answer could not be sent. Try again.']);
    } finally {
      setBusy(false);
    }
  };

  const asked = view.attachPartner
    ? `${view.partner.name}, a Cisco partner, asks to manage ${view.organization.name} and to make ${view.newAdminEmail} one of its administrators.`
    : `The customer setting up this order asks to make ${view.newAdminEmail} an administrator of ${view.organization.name}.`;
  return (
    <Shell product="Organization consent">
      <section className="card" aria-labelledby="consent-title">
        <h1 id="consent-title" ref={heading} tabIndex={-1}>
          Your approval is needed
        </h1>
        <p className="lead">{asked}</p>
        <dl className="summary">
          <dt>Order</dt>
          <dd>{view.orderId}</dd>
          <dt>Services</dt>
          <dd>
            {view.order.product} · {view.order.services.map(serviceLabel).join(', ')}
          </dd>
          <dt>Customer</dt>
          <dd>
            {view.order.customer.name}, {countryName(view.order.customer.country)}
          </dd>
          <dt>Answer by</dt>
          <dd>{formatDateTime(view.expiresAt)}</dd>
        </dl>
        <form onSubmit={(event) => void submit(event)} noValidate>
          <FormErrors messages={errors} />
          <ChoiceGroup
            name="decision"
            legend="Your answer"
            value={decision}
            onChange={(value) => {
              setDecision(value);
              setChoiceError(undefined);
            }}
            error={choiceError}
            choices={[
              { value: 'approve', label: 'Approve', description: `The order is set up in ${view.organization.name}.` },
              { value: 'decline', label: 'Decline', description: 'Nothing changes in your organization; the order is put on hold.' },
            ]}
          />
          <div className="actions">
            <Button type="submit" busy={busy}>
              Send my answer
            </Button>
          </div>
        </form>
      </section>
    </Shell>
  );
}
