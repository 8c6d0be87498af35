// Where the person is in the wizard: "Step 3 of 8" with a bar, and on wider screens every step.
import type { WizardView } from '../types';
import { useDeadline } from './deadline';
import { type Translate, useTexts } from './i18n';

interface StepEntry {
  key: string;
  label: string;
}

/** The steps this order goes through, as far as the choices made so far tell. */
export function wizardSteps(view: WizardView, t: Translate): StepEntry[] {
  const customerRun = view.delegatedToCustomer;
  // Known from the first step: a partner without a Webex organization gets one, and then sets its password.
  const newPartnerOrg = view.configuration ? view.configuration.newPartnerOrg : !customerRun && view.partnerOrg === null;
  return [
    { key: 'role', label: t('wizard.progress.role') },
    { key: 'configurer', label: t('wizard.progress.configurer') },
    ...(customerRun || (view.configuration && !view.configuration.partnerOrgName) ? [] : [{ key: 'partner-org', label: t('wizard.progress.partnerOrg') }]),
    { key: 'customer-admin', label: t('wizard.progress.customerAdmin') },
    { key: 'customer-org', label: t('wizard.progress.customerOrg') },
    { key: 'confirm', label: t('wizard.progress.confirm') },
    ...(newPartnerOrg ? [{ key: 'partner-password', label: t('wizard.progress.partnerPassword') }] : []),
    { key: 'setup', label: t('wizard.progress.setup') },
  ];
}

const SETUP_STEPS = new Set(['subscription', 'calling', 'meetings', 'provision']);

/** `current`: the step on screen, an earlier one after Back. */
export function Progress({ view, current: shown }: { view: WizardView; current: string | null }) {
  const { t } = useTexts();
  const steps = wizardSteps(view, t);
  const currentKey = shown && SETUP_STEPS.has(shown) ? 'setup' : shown;
  const current = Math.max(0, steps.findIndex((step) => step.key === currentKey));
  const percent = Math.round(((current + 1) / steps.length) * 100);
  const deadline = useDeadline(view);
  return (
    <nav className="progress" aria-label={t('wizard.progress.label')}>
      <p className="progress-summary">
        {t('wizard.progress.summary', { step: current + 1, steps: steps.length })} <strong>{steps[current]?.label}</strong>
        {deadline && <span className="progress-deadline"> · {deadline.sentence}</span>}
      </p>
      <div className="progress-bar" aria-hidden="true">
        <span style={{ width: `${percent}%` }} />
      </div>
      <ol className="progress-steps">
        {steps.map((step, index) => (
          <li
            key={step.key}
            className={index < current ? 'done' : index === current ? 'current' : undefined}
            aria-current={index === current ? 'step' : undefined}
          >
            <span className="progress-dot" aria-hidden="true">
              {index < current ? '✓' : index + 1}
            </span>
            <span className="progress-label">
              {step.label}
              {index < current && <span className="visually-hidden"> {t('wizard.progress.done')}</span>}
            </span>
          </li>
        ))}
      </ol>
    </nav>
  );
}
