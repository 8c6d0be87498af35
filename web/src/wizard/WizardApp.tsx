// The wizard behind one "Configure now" link. The session id lives in memory only: leaving and
// reopening the link starts a new session, which discards the draft before the point of no return
// (SPEC §2) and simply resumes at service setup after it.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError, type Problem } from '../api';
import type { StepName, SubdomainAnswer, WizardDraft, WizardView } from '../types';
import { Alert, Button, Spinner, usePageTitle } from '../ui';
import { useTexts, WizardIntl, WizardShell } from './i18n';
import { ConsentPendingPage, DonePage, EndedPage, EntryPage, HandedOverPage, HoldPage, LinkGonePage, NotYetPage, ProvisioningPage, StalePage } from './pages';
import { Progress, wizardSteps } from './Progress';
import { type CheckSubdomain, ServiceSetup } from './ServiceSetup';
import { PasswordStep, PreCommitStep } from './steps';

type Screen =
  | { kind: 'loading' }
  | { kind: 'gone' }
  | { kind: 'unavailable'; problem: Problem | undefined }
  | { kind: 'ready'; view: WizardView; sessionId: string | null; resumed: boolean }
  | { kind: 'handed-over'; email: string; to: 'customer' | 'colleague' }
  | { kind: 'stale' };

/** A link that no longer works (revoked, expired, unknown) or a session another tab replaced. */
const isPageWide = (error: unknown) =>
  error instanceof ApiError && (error.code === 'link-not-found' || error.status === 410 || error.code === 'stale-session');

export type SubmitStep = (step: StepName, input: Record<string, unknown>) => Promise<WizardView>;

const PROVISIONING_POLL_MS = 1_500;

export function WizardApp({ token }: { token: string }) {
  const base = `/api/wizard/${encodeURIComponent(token)}`;
  const [screen, setScreen] = useState<Screen>({ kind: 'loading' });
  const sessionId = screen.kind === 'ready' ? screen.sessionId : null;

  /** Errors that change the whole page rather than one form: a dead link, another tab's session. */
  const handleGlobal = useCallback((error: unknown): never => {
    if (error instanceof ApiError && isPageWide(error)) {
      setScreen(error.code === 'stale-session' ? { kind: 'stale' } : { kind: 'gone' });
    }
    throw error;
  }, []);

  const start = useCallback(
    async (resumed = false) => {
      try {
        const started = await api<{ sessionId: string; view: WizardView }>(`${base}/sessions`, { method: 'POST' });
        setScreen({ kind: 'ready', view: started.view, sessionId: started.sessionId, resumed });
      } catch (error) {
        handleGlobal(error);
      }
    },
    [base, handleGlobal],
  );

  /** The page for a freshly read view: past the point of no return a new session costs nothing, so resume. */
  const show = useCallback(
    async (view: WizardView) => {
      const resumable = view.configuration && view.nextStep && view.status !== 'ON_HOLD';
      if (!resumable) return setScreen({ kind: 'ready', view, sessionId: null, resumed: false });
      await start(true).catch((error: unknown) => {
        if (!isPageWide(error)) setScreen({ kind: 'ready', view, sessionId: null, resumed: false });
      });
    },
    [start],
  );

  const load = useCallback(
    (signal?: AbortSignal) =>
      api<WizardView>(base, signal ? { signal } : {}).then(
        (view) => (signal?.aborted ? undefined : show(view)),
        (error: unknown) => {
          if (signal?.aborted) return;
          // A malformed token (400) is just another link that does not work.
          if (error instanceof ApiError && [400, 404, 410].includes(error.status)) {
            setScreen({ kind: 'gone' });
          } else {
            setScreen({ kind: 'unavailable', problem: error instanceof ApiError ? error.problem : undefined });
          }
        },
      ),
    [base, show],
  );
  const reload = useCallback(() => {
    setScreen({ kind: 'loading' });
    void load();
  }, [load]);

  // Aborted on unmount (and by StrictMode's second mount in development), so one page starts one session.
  useEffect(() => {
    const controller = new AbortController();
    void load(controller.signal);
    return () => controller.abort();
  }, [load]);

  const submit: SubmitStep = useCallback(
    async (step, input) => {
      try {
        const view = await api<WizardView>(`${base}/steps/${step}`, { method: 'POST', body: { sessionId, ...input } });
        if (step === 'configurer' && input.choice !== 'self') {
          setScreen({ kind: 'handed-over', email: String(input.email), to: input.choice === 'customer' ? 'customer' : 'colleague' });
        } else {
          setScreen((current) => (current.kind === 'ready' ? { ...current, view, resumed: false } : current));
        }
        return view;
      } catch (error) {
        if (error instanceof ApiError && error.code === 'on-hold') reload();
        return handleGlobal(error);
      }
    },
    [base, sessionId, handleGlobal, reload],
  );

  const checkSubdomain: CheckSubdomain = useCallback(
    (name) => api<SubdomainAnswer>(`${base}/subdomains/${encodeURIComponent(name.trim())}`).catch(handleGlobal),
    [base, handleGlobal],
  );

  // While provisioning runs the page follows the order until it is active (or a rep must help).
  const provisioningRuns = screen.kind === 'ready' && screen.view.provisioning?.state === 'running' && screen.view.status !== 'PROVISIONED';
  const pollTimer = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (!provisioningRuns) return;
    pollTimer.current = window.setInterval(async () => {
      try {
        const view = await api<WizardView>(`${base}${sessionId ? `?sessionId=${encodeURIComponent(sessionId)}` : ''}`);
        setScreen((current) => (current.kind === 'ready' ? { ...current, view } : current));
      } catch {
        // A missed poll is retried on the next tick.
      }
    }, PROVISIONING_POLL_MS);
    return () => window.clearInterval(pollTimer.current);
  }, [provisioningRuns, base, sessionId]);

  return (
    // The language: the one chosen in this browser, else the order's once its view is known.
    <WizardIntl orderLocale={screen.kind === 'ready' ? screen.view.order.locale : undefined}>
      <WizardPage screen={screen} reload={reload} start={start} submit={submit} checkSubdomain={checkSubdomain} />
    </WizardIntl>
  );
}

interface WizardPageProps {
  screen: Screen;
  reload: () => void;
  start: (resumed?: boolean) => Promise<void>;
  submit: SubmitStep;
  checkSubdomain: CheckSubdomain;
}

function WizardPage({ screen, reload, start, submit, checkSubdomain }: WizardPageProps) {
  switch (screen.kind) {
    case 'loading':
      return <Loading />;
    case 'gone':
      return <LinkGonePage />;
    case 'unavailable':
      return <Unavailable problem={screen.problem} onRetry={reload} />;
    case 'stale':
      return <StalePage onRestart={reload} />;
    case 'handed-over':
      return <HandedOverPage email={screen.email} to={screen.to} />;
    case 'ready':
      return <WizardScreen view={screen.view} sessionActive={screen.sessionId !== null && screen.view.session.active} resumed={screen.resumed} start={start} submit={submit} checkSubdomain={checkSubdomain} />;
  }
}

interface WizardScreenProps {
  view: WizardView;
  sessionActive: boolean;
  resumed: boolean;
  start: (resumed?: boolean) => Promise<void>;
  submit: SubmitStep;
  checkSubdomain: CheckSubdomain;
}

const PRE_COMMIT: readonly StepName[] = ['role', 'configurer', 'partner-org', 'customer-admin', 'customer-org', 'confirm'];

function WizardScreen({ view, sessionActive, resumed, start, submit, checkSubdomain }: WizardScreenProps) {
  const { t } = useTexts();
  // Back, before the point of no return: an earlier step, shown with this session's answers.
  const [backTo, setBackTo] = useState<StepName | null>(null);
  // Every answer of this session, also the later ones a re-answered step drops from the draft: the forms start from them.
  const [answers, setAnswers] = useState<WizardDraft>(view.draft ?? {});
  // A new view (a step was answered): the step it expects is shown, and its draft joins the answers.
  const [shownView, setShownView] = useState(view);
  if (shownView !== view) {
    setShownView(view);
    setBackTo(null);
    if (view.draft) setAnswers((known) => ({ ...known, ...view.draft }));
  }

  if (view.status === 'ON_HOLD') return <HoldPage view={view} />;
  if (view.status === 'AWAITING_CONSENT') return <ConsentPendingPage view={view} />;
  if (view.status === 'PROVISIONED') return <DonePage view={view} />;
  if (view.status === 'CANCELLED' || view.status === 'EXPIRED') return <EndedPage view={view} />;
  if (view.provisioning?.state === 'running') return <ProvisioningPage view={view} />;
  if (view.status === 'SCHEDULED' || !view.nextStep) return <NotYetPage view={view} />;
  if (!sessionActive) return <EntryPage view={view} onStart={() => start(false)} />;

  const step = backTo ?? view.nextStep;
  const steps = wizardSteps(view, t).map((entry) => entry.key);
  const previous = steps.slice(0, steps.indexOf(step)).reverse().find((key): key is StepName => PRE_COMMIT.includes(key as StepName));
  const startOver = () => {
    setAnswers({});
    return start(false);
  };
  return (
    <WizardShell>
      <Progress view={view} current={step} />
      {step === 'partner-password' ? (
        <PasswordStep key={step} view={view} submit={submit} />
      ) : view.configuration ? (
        <ServiceSetup view={view} submit={submit} checkSubdomain={checkSubdomain} resumed={resumed} />
      ) : (
        <PreCommitStep
          key={step}
          step={step}
          view={view}
          submit={submit}
          answers={answers}
          onStartOver={startOver}
          onBack={previous ? () => setBackTo(previous) : undefined}
        />
      )}
    </WizardShell>
  );
}

function Loading() {
  const { t } = useTexts();
  usePageTitle(t('wizard.loading.title'));
  return (
    <WizardShell>
      <Spinner label={t('wizard.loading.spinner')} />
    </WizardShell>
  );
}

function Unavailable({ problem, onRetry }: { problem: Problem | undefined; onRetry: () => void }) {
  const { t, problemText } = useTexts();
  usePageTitle(t('wizard.unavailable.pageTitle'));
  return (
    <WizardShell>
      <h1>{t('wizard.unavailable.title')}</h1>
      <Alert tone="warning" title={t('wizard.unavailable.alert')}>
        <p>{problem ? problemText(problem) : t('ui.somethingWentWrong')}</p>
      </Alert>
      <Button onClick={onRetry}>{t('wizard.unavailable.retry')}</Button>
    </WizardShell>
  );
}
