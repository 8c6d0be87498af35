// Step 10: the service setup sections. Each saved section persists (also across sessions); the
// last one provisions the services and starts billing, once, after a confirmation.
import { type FormEvent, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError } from '../api';
import { EXTENSION_LENGTH_MAX, EXTENSION_LENGTH_MIN, LOCATION_NAME_MAX_LENGTH } from '../../../domain/calling';
import type { CallingSettings, SectionName, SubdomainAnswer, WizardView } from '../types';
import { Alert, Button, Dialog, fieldMessage, formatDate, FormErrors, SelectField, serviceLabel, TextField, useFocusOnMount, usePageTitle } from '../ui';
import { COUNTRY_OPTIONS } from './steps';
import { useForm } from './useForm';
import type { SubmitStep } from './WizardApp';

const SECTION_TITLES: Record<SectionName, string> = {
  subscription: 'Subscription',
  calling: 'Calling',
  meetings: 'Meetings site',
};

const LIST = new Intl.ListFormat('en-GB', { type: 'conjunction' });

export type CheckSubdomain = (name: string) => Promise<SubdomainAnswer>;

interface Props {
  view: WizardView;
  submit: SubmitStep;
  checkSubdomain: CheckSubdomain;
  resumed: boolean;
}

export function ServiceSetup({ view, submit, checkSubdomain, resumed }: Props) {
  usePageTitle(`Service setup – Order ${view.orderId}`);
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const sections = view.sections ?? [];
  /** After a save, the section that still needs the person: its heading takes focus once the view shows it. */
  const focusNext = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (!focusNext.current) return;
    document.getElementById(`${focusNext.current}-title`)?.focus();
    focusNext.current = undefined;
  }, [view]);

  const saved = async (step: SectionName, input: Record<string, unknown>) => {
    const next = await submit(step, input);
    const pending = next.sections?.find((section) => !section.saved);
    focusNext.current = pending ? `section-${pending.name}` : 'section-provision';
  };

  return (
    <>
      <section className="card step" aria-labelledby="setup-title">
        <p className="eyebrow">Order {view.orderId}</p>
        <h1 id="setup-title" ref={heading} tabIndex={-1}>
          Set up the services
        </h1>
        <div className="intro">
          <p>
            The organizations are ready: {view.configuration?.customerOrgName}
            {view.configuration?.partnerOrgName ? `, managed by ${view.configuration.partnerOrgName}` : ''}. Complete each section, then provision the
            services. What you save here is kept if you leave and come back.
          </p>
        </div>
        {resumed && (
          <Alert tone="info" title="Welcome back">
            <p>Your organizations were already created, so you continue where you left off.</p>
          </Alert>
        )}
        {view.provisioning?.state === 'failed' && (
          <Alert tone="danger" title="Provisioning did not finish">
            <p>{view.provisioning.message}</p>
          </Alert>
        )}
      </section>
      {sections.map((section) => (
        <SectionCard key={section.name} name={section.name} saved={section.saved} next={view.nextStep === section.name}>
          {section.name === 'subscription' && <SubscriptionSection view={view} saved={section.saved} onSave={(input) => saved('subscription', input)} />}
          {section.name === 'calling' && (
            <CallingSection
              value={(section.value as CallingSettings | undefined) ?? view.callingDefaults}
              saved={section.saved}
              onSave={(input) => saved('calling', input)}
            />
          )}
          {section.name === 'meetings' && (
            <MeetingsSection
              view={view}
              current={section.value?.subdomain as string | undefined}
              checkSubdomain={checkSubdomain}
              onSave={(input) => saved('meetings', input)}
            />
          )}
        </SectionCard>
      ))}
      <ProvisionSection view={view} submit={submit} />
    </>
  );
}

function SectionCard({ name, saved, next, children }: { name: SectionName; saved: boolean; next: boolean; children: React.ReactNode }) {
  return (
    <section className={`card section${next ? ' section-next' : ''}`} aria-labelledby={`section-${name}-title`}>
      <div className="section-head">
        <h2 id={`section-${name}-title`} tabIndex={-1}>
          {SECTION_TITLES[name]}
        </h2>
        <span className={`pill ${saved ? 'pill-done' : 'pill-todo'}`}>{saved ? '✓ Saved' : 'To do'}</span>
      </div>
      {children}
    </section>
  );
}

interface SectionProps {
  onSave: (input: Record<string, unknown>) => Promise<void>;
}

const SUBSCRIPTION_INPUTS = ['reviewed'] as const;

function SubscriptionSection({ view, saved, onSave }: SectionProps & { view: WizardView; saved: boolean }) {
  const form = useForm(SUBSCRIPTION_INPUTS);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void form.run(() => onSave({ reviewed: true }));
  };
  return (
    <form id={form.formId} onChange={form.clearChanged} onSubmit={onSubmit} noValidate>
      <FormErrors messages={form.formErrors} />
      <p>
        {view.order.product} for {view.order.customer.name}, starting {formatDate(view.order.requestedStartDate)}:
      </p>
      <ul className="service-list">
        {view.order.services.map((service) => (
          <li key={service}>
            <span aria-hidden="true">●</span> {serviceLabel(service)}
          </li>
        ))}
      </ul>
      {saved ? (
        <p className="muted">You confirmed these services.</p>
      ) : (
        <div className="actions">
          <Button type="submit" busy={form.busy}>
            These services are right
          </Button>
        </div>
      )}
    </form>
  );
}

/** Every zone the browser knows, by region and city ("Europe – Oslo"), with the current value kept even if unknown. */
function timeZoneOptions(zones: string[], current: string): Array<{ value: string; label: string }> {
  const all = zones.includes(current) || !current ? zones : [current, ...zones];
  return all.map((zone) => ({ value: zone, label: zone.replaceAll('_', ' ').replace('/', ' – ').replaceAll('/', ' – ') }));
}

const CALLING_INPUTS = ['country', 'locationName', 'timeZone', 'extensionLength'] as const;

function CallingSection({ value, saved, onSave }: SectionProps & { value: CallingSettings | undefined; saved: boolean }) {
  const form = useForm(CALLING_INPUTS);
  const [editing, setEditing] = useState(!saved);
  const [settings, setSettings] = useState<CallingSettings>(
    value ?? { country: '', locationName: 'Main office', timeZone: 'UTC', extensionLength: 4 },
  );
  const timeZones = useMemo(() => (typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : []), []);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void form.run(async () => {
      await onSave({ ...settings });
      setEditing(false);
    });
  };
  if (!editing) {
    return (
      <div>
        <dl className="summary">
          <dt>Location</dt>
          <dd>{settings.locationName}</dd>
          <dt>Country</dt>
          <dd>{COUNTRY_OPTIONS.find((c) => c.value === settings.country)?.label ?? settings.country}</dd>
          <dt>Time zone</dt>
          <dd>{settings.timeZone}</dd>
          <dt>Extensions</dt>
          <dd>{settings.extensionLength} digits</dd>
        </dl>
        <Button variant="secondary" onClick={() => setEditing(true)}>
          Change calling settings
        </Button>
      </div>
    );
  }
  return (
    <form id={form.formId} onChange={form.clearChanged} onSubmit={onSubmit} noValidate>
      <FormErrors messages={form.formErrors} />
      <p>The first calling location. More can be added later in Control Hub.</p>
      <div className="grid-2">
        <TextField
          label="Location name"
          name="locationName"
          maxLength={LOCATION_NAME_MAX_LENGTH}
          value={settings.locationName}
          onChange={(event) => setSettings({ ...settings, locationName: event.target.value })}
          error={form.fieldErrors.locationName && fieldMessage('Location name', form.fieldErrors.locationName)}
        />
        <SelectField
          label="Country"
          name="country"
          value={settings.country}
          onChange={(event) => setSettings({ ...settings, country: event.target.value })}
          options={[{ value: '', label: 'Choose a country' }, ...COUNTRY_OPTIONS]}
          error={form.fieldErrors.country && fieldMessage('Country', form.fieldErrors.country)}
        />
        <SelectField
          label="Time zone"
          name="timeZone"
          hint="Where the location is: its clock for calls and voicemail"
          value={settings.timeZone}
          onChange={(event) => setSettings({ ...settings, timeZone: event.target.value })}
          options={timeZoneOptions(timeZones, settings.timeZone)}
          error={form.fieldErrors.timeZone && fieldMessage('Time zone', form.fieldErrors.timeZone)}
        />
        <SelectField
          label="Extension length"
          name="extensionLength"
          hint="Digits in an internal number"
          value={String(settings.extensionLength)}
          onChange={(event) => setSettings({ ...settings, extensionLength: Number(event.target.value) })}
          options={Array.from({ length: EXTENSION_LENGTH_MAX - EXTENSION_LENGTH_MIN + 1 }, (_, i) => {
            const digits = String(EXTENSION_LENGTH_MIN + i);
            return { value: digits, label: `${digits} digits` };
          })}
          error={form.fieldErrors.extensionLength && fieldMessage('Extension length', form.fieldErrors.extensionLength)}
        />
      </div>
      <div className="actions">
        <Button type="submit" busy={form.busy}>
          Save calling settings
        </Button>
      </div>
    </form>
  );
}

const MEETINGS_INPUTS = ['subdomain'] as const;

function MeetingsSection({ view, current, checkSubdomain, onSave }: SectionProps & { view: WizardView; current: string | undefined; checkSubdomain: CheckSubdomain }) {
  const form = useForm(MEETINGS_INPUTS);
  const [subdomain, setSubdomain] = useState(current ?? '');
  const [checking, setChecking] = useState(false);
  const [availability, setAvailability] = useState<SubdomainAnswer | undefined>();

  const check = async () => {
    setAvailability(undefined);
    if (!subdomain.trim()) return form.setErrors({ subdomain: 'Enter a subdomain.' });
    setChecking(true);
    form.setErrors({});
    try {
      setAvailability(await checkSubdomain(subdomain));
    } catch (error) {
      form.setErrors({}, [error instanceof ApiError ? error.message : 'The check did not work. Try again.']);
    } finally {
      setChecking(false);
    }
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void form.run(async () => {
      try {
        await onSave({ subdomain });
      } catch (error) {
        // A name taken since the check is a conflict about this field: show it there.
        if (error instanceof ApiError && error.code === 'subdomain-taken') {
          throw new ApiError({ ...error.problem, errors: [{ field: '/body/subdomain', message: error.problem.detail ?? 'is taken' }] });
        }
        throw error;
      }
    });
  };

  // The subdomain rules answer in whole sentences (domain/subdomain.ts): shown as they come.
  const fieldError = form.fieldErrors.subdomain ?? (availability && !availability.available ? availability.message : undefined);
  return (
    <form id={form.formId} onChange={form.clearChanged} onSubmit={onSubmit} noValidate>
      <FormErrors messages={form.formErrors} />
      <p>
        The address of {view.order.customer.name}’s meetings site. Lower-case letters, digits and hyphens; 3 to 63 characters.
      </p>
      <TextField
        label="Site subdomain"
        name="subdomain"
        autoComplete="off"
        autoCapitalize="none"
        spellCheck={false}
        suffix=".webex.com"
        value={subdomain}
        onChange={(event) => {
          setSubdomain(event.target.value);
          setAvailability(undefined);
        }}
        error={fieldError}
      />
      <p className="availability" role="status">
        {availability?.available && availability.subdomain !== current && (
          <span className="ok">
            <span aria-hidden="true">✓ </span>
            {availability.subdomain}.webex.com is available.
          </span>
        )}
      </p>
      <div className="actions">
        <Button variant="secondary" onClick={check} busy={checking} disabled={form.busy}>
          Check availability
        </Button>
        <Button type="submit" busy={form.busy} disabled={checking}>
          Save
        </Button>
      </div>
      {current && (
        <p className="muted">
          Saved: the site is at <strong>https://{current}.webex.com</strong>
        </p>
      )}
    </form>
  );
}

const PROVISION_INPUTS = ['confirm'] as const;

function ProvisionSection({ view, submit }: { view: WizardView; submit: SubmitStep }) {
  const form = useForm(PROVISION_INPUTS);
  const [asking, setAsking] = useState(false);
  const missing = (view.sections ?? []).filter((section) => !section.saved);
  const provision = () =>
    void form.run(async () => {
      try {
        await submit('provision', { confirm: true });
      } finally {
        setAsking(false);
      }
    });
  return (
    <section className="card section" aria-labelledby="section-provision-title">
      <div className="section-head">
        <h2 id="section-provision-title" tabIndex={-1}>
          Provision
        </h2>
      </div>
      <form id={form.formId} onChange={form.clearChanged} onSubmit={(event) => event.preventDefault()} noValidate>
        <FormErrors messages={form.formErrors} />
        {missing.length ? (
          <p>
            First save {LIST.format(missing.map((section) => `the ${SECTION_TITLES[section.name].toLowerCase()} section`))} above.
          </p>
        ) : (
          <p>Everything is ready. Provisioning activates the subscription and starts billing.</p>
        )}
        <div className="actions">
          <Button onClick={() => setAsking(true)} disabled={missing.length > 0} busy={form.busy}>
            Provision and start billing
          </Button>
        </div>
      </form>
      <Dialog open={asking} title="Provision and start billing?" onClose={() => setAsking(false)}>
        <p>
          This activates {view.order.services.map(serviceLabel).join(', ')} for {view.order.customer.name} and starts billing. It cannot be undone.
        </p>
        <div className="actions">
          <Button onClick={provision} busy={form.busy}>
            Yes, provision now
          </Button>
          <Button variant="secondary" onClick={() => setAsking(false)} disabled={form.busy}>
            Not yet
          </Button>
        </div>
      </Dialog>
    </section>
  );
}
