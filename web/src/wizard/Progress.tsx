// Where the person is in the wizard: "Step 3 of 8" with a bar, and on wider screens every step.
import type { WizardView } from '../types';
import { deadlineText } from './deadline';

interface StepEntry {
  key: string;
  label: string;
}

/** The steps this order goes through, as far as the choices made so far tell. */
export function wizardSteps(view: WizardView): StepEntry[] {
  const customerRun = view.delegatedToCustomer;
  // Known from the first step: a partner without a Webex organization gets one, and then sets its password.
  const newPartnerOrg = view.configuration ? view.configuration.newPartnerOrg : !customerRun && view.partnerOrg === null;
  return [
    { key: 'role', label: 'Your role' },
    { key: 'configurer', label: 'Who configures' },
    ...(customerRun || (view.configuration && !view.configuration.partnerOrgName) ? [] : [{ key: 'partner-org', label: 'Partner organization' }]),
    { key: 'customer-admin', label: 'Customer administrator' },
    { key: 'customer-org', label: 'Customer organization' },
    { key: 'confirm', label: 'Confirm' },
    ...(newPartnerOrg ? [{ key: 'partner-password', label: 'Partner password' }] : []),
    { key: 'setup', label: 'Service setup' },
  ];
}

const SETUP_STEPS = new Set(['subscription', 'calling', 'meetings', 'provision']);

/** `current`: the step on screen, an earlier one after Back. */
export function Progress({ view, current: shown }: { view: WizardView; current: string | null }) {
  const steps = wizardSteps(view);
  const currentKey = shown && SETUP_STEPS.has(shown) ? 'setup' : shown;
  const current = Math.max(0, steps.findIndex((step) => step.key === currentKey));
  const percent = Math.round(((current + 1) / steps.length) * 100);
  const deadline = deadlineText(view);
  return (
    <nav className="progress" aria-label="Progress">
      <p className="progress-summary">
        Step {current + 1} of {steps.length}: <strong>{steps[current]?.label}</strong>
        {deadline && <span className="progress-deadline"> · This order is {deadline}.</span>}
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
              {index < current && <span className="visually-hidden"> (done)</span>}
            </span>
          </li>
        ))}
      </ol>
    </nav>
  );
}
