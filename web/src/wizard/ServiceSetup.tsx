// Step 10: the service setup sections. Each saved section persists (also across sessions); the
// last one provisions the services and starts billing, once, after a confirmation.
import { type FormEvent, useEffect, useMemo, useRef, useState } from 'react';
import { useIntl } from 'react-intl';
import { ApiError } from '../api';
import { DEFAULT_EXTENSION_LENGTH, DEFAULT_LOCATION_NAME, EXTENSION_LENGTH_MAX, EXTENSION_LENGTH_MIN, LOCATION_NAME_MAX_LENGTH } from '../../../domain/calling';
import type { CallingSettings, SectionName, SubdomainAnswer, WizardView } from '../types';
import type { WizardMessageKey } from '../../../i18n/wizard';
import { Alert, Button, Dialog, SelectField, TextField, useFocusOnMount, usePageTitle } from '../ui';
import { FormErrors, useTexts, useWizardForm } from './i18n';
import { useCountryOptions } from './steps';
import type { SubmitStep } from './WizardApp';

const SECTION_TITLES: Record<SectionName, WizardMessageKey> = {
  subscription: 'wizard.setup.subscription',
  calling: 'wizard.setup.calling',
  meetings: 'wizard.setup.meetings',
};

export type CheckSubdomain = (name: string) => Promise<SubdomainAnswer>;

interface Props {
  view: WizardView;
  submit: SubmitStep;
  checkSubdomain: CheckSubdomain;
  resumed: boolean;
}

export function ServiceSetup({ view, submit, checkSubdomain, resumed }: Props) {
  const { t } = useTexts();
  usePageTitle(t('wizard.stepPageTitle', { title: t('wizard.progress.setup'), orderId: view.orderId }));
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
        <p className="eyebrow">{t('wizard.eyebrow', { orderId: view.orderId })}</p>
        <h1 id="setup-title" ref={heading} tabIndex={-1}>
          {t('wizard.setup.title')}
        </h1>
        <div className="intro">
          <p>
            {view.configuration?.partnerOrgName
              ? t('wizard.setup.introManaged', { customerOrg: view.configuration.customerOrgName, partnerOrg: view.configuration.partnerOrgName })
              : t('wizard.setup.intro', { customerOrg: view.configuration?.customerOrgName ?? '' })}
          </p>
        </div>
        {resumed && (
          <Alert tone="info" title={t('wizard.setup.welcomeBack')}>
            <p>{t('wizard.setup.welcomeBackText')}</p>
          </Alert>
        )}
        {view.provisioning?.state === 'failed' && (
          <Alert tone="danger" title={t('wizard.setup.failedTitle')}>
            <p>{t('wizard.setup.failed')}</p>
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
  const { t } = useTexts();
  return (
    <section className={`card section${next ? ' section-next' : ''}`} aria-labelledby={`section-${name}-title`}>
      <div className="section-head">
        <h2 id={`section-${name}-title`} tabIndex={-1}>
          {t(SECTION_TITLES[name])}
        </h2>
        <span className={`pill ${saved ? 'pill-done' : 'pill-todo'}`}>{saved ? `✓ ${t('wizard.setup.saved')}` : t('wizard.setup.toDo')}</span>
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
  const { t, date, service } = useTexts();
  const form = useWizardForm(SUBSCRIPTION_INPUTS);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void form.run(() => onSave({ reviewed: true }));
  };
  return (
    <form id={form.formId} onChange={form.clearChanged} onSubmit={onSubmit} noValidate>
      <FormErrors messages={form.formErrors} />
      <p>{t('wizard.setup.subscriptionIntro', { product: view.order.product, customer: view.order.customer.name, date: date(view.order.requestedStartDate) })}</p>
      <ul className="service-list">
        {view.order.services.map((name) => (
          <li key={name}>
            <span aria-hidden="true">●</span> {service(name)}
          </li>
        ))}
      </ul>
      {saved ? (
        <p className="muted">{t('wizard.setup.servicesConfirmed')}</p>
      ) : (
        <div className="actions">
          <Button type="submit" busy={form.busy}>
            {t('wizard.setup.servicesRight')}
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
  const { t, field } = useTexts();
  const countries = useCountryOptions();
  const form = useWizardForm(CALLING_INPUTS);
  const [editing, setEditing] = useState(!saved);
  const [settings, setSettings] = useState<CallingSettings>(() => {
    const initial = value ?? { country: '', locationName: DEFAULT_LOCATION_NAME, timeZone: 'UTC', extensionLength: DEFAULT_EXTENSION_LENGTH };
    // Before it is saved the API's default location name is English: offer the page language's.
    return !saved && initial.locationName === DEFAULT_LOCATION_NAME ? { ...initial, locationName: t('wizard.calling.defaultLocationName') } : initial;
  });
  const timeZones = useMemo(() => (typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : []), []);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void form.run(async () => {
      // The fields of the step only: a saved section's value also carries when it was saved.
      await onSave(Object.fromEntries(CALLING_INPUTS.map((name) => [name, settings[name]])));
      setEditing(false);
    });
  };
  if (!editing) {
    return (
      <div>
        <dl className="summary">
          <dt>{t('wizard.calling.location')}</dt>
          <dd>{settings.locationName}</dd>
          <dt>{t('wizard.org.country')}</dt>
          <dd>{countries.find((c) => c.value === settings.country)?.label ?? settings.country}</dd>
          <dt>{t('wizard.calling.timeZone')}</dt>
          <dd>{settings.timeZone}</dd>
          <dt>{t('wizard.calling.extensions')}</dt>
          <dd>{t('wizard.calling.digits', { digits: settings.extensionLength })}</dd>
        </dl>
        <Button variant="secondary" onClick={() => setEditing(true)}>
          {t('wizard.calling.change')}
        </Button>
      </div>
    );
  }
  return (
    <form id={form.formId} onChange={form.clearChanged} onSubmit={onSubmit} noValidate>
      <FormErrors messages={form.formErrors} />
      <p>{t('wizard.calling.intro')}</p>
      <div className="grid-2">
        <TextField
          label={t('wizard.calling.locationName')}
          name="locationName"
          maxLength={LOCATION_NAME_MAX_LENGTH}
          value={settings.locationName}
          onChange={(event) => setSettings({ ...settings, locationName: event.target.value })}
          error={form.fieldErrors.locationName && field(t('wizard.calling.locationName'), form.fieldErrors.locationName)}
        />
        <SelectField
          label={t('wizard.org.country')}
          name="country"
          value={settings.country}
          onChange={(event) => setSettings({ ...settings, country: event.target.value })}
          options={[{ value: '', label: t('wizard.org.chooseCountry') }, ...countries]}
          error={form.fieldErrors.country && field(t('wizard.org.country'), form.fieldErrors.country)}
        />
        <SelectField
          label={t('wizard.calling.timeZone')}
          name="timeZone"
          hint={t('wizard.calling.timeZoneHint')}
          value={settings.timeZone}
          onChange={(event) => setSettings({ ...settings, timeZone: event.target.value })}
          options={timeZoneOptions(timeZones, settings.timeZone)}
          error={form.fieldErrors.timeZone && field(t('wizard.calling.timeZone'), form.fieldErrors.timeZone)}
        />
        <SelectField
          label={t('wizard.calling.extensionLength')}
          name="extensionLength"
          hint={t('wizard.calling.extensionLengthHint')}
          value={String(settings.extensionLength)}
          onChange={(event) => setSettings({ ...settings, extensionLength: Number(event.target.value) })}
          options={Array.from({ length: EXTENSION_LENGTH_MAX - EXTENSION_LENGTH_MIN + 1 }, (_, i) => {
            const digits = String(EXTENSION_LENGTH_MIN + i);
            return { value: digits, label: t('wizard.calling.digits', { digits }) };
          })}
          error={form.fieldErrors.extensionLength && field(t('wizard.calling.extensionLength'), form.fieldErrors.extensionLength)}
        />
      </div>
      <div className="actions">
        <Button type="submit" busy={form.busy}>
          {t('wizard.calling.save')}
        </Button>
      </div>
    </form>
  );
}

const MEETINGS_INPUTS = ['subdomain'] as const;

function MeetingsSection({ view, current, checkSubdomain, onSave }: SectionProps & { view: WizardView; current: string | undefined; checkSubdomain: CheckSubdomain }) {
  const { t, fieldText, problemText } = useTexts();
  const form = useWizardForm(MEETINGS_INPUTS);
  const [subdomain, setSubdomain] = useState(current ?? '');
  const [checking, setChecking] = useState(false);
  const [availability, setAvailability] = useState<SubdomainAnswer | undefined>();

  const check = async () => {
    setAvailability(undefined);
    if (!subdomain.trim()) return form.setErrors({ subdomain: t('wizard.meetings.enterSubdomain') });
    setChecking(true);
    form.setErrors({});
    try {
      setAvailability(await checkSubdomain(subdomain));
    } catch (error) {
      form.setErrors({}, [error instanceof ApiError ? problemText(error.problem) : t('wizard.meetings.checkFailed')]);
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
          throw new ApiError({ ...error.problem, errors: [{ field: '/body/subdomain', message: problemText(error.problem) }] });
        }
        throw error;
      }
    });
  };

  // The subdomain rules answer in whole sentences (domain/subdomain.ts), translated by their code.
  const fieldError = form.fieldErrors.subdomain ?? (availability && !availability.available ? fieldText(availability) : undefined);
  return (
    <form id={form.formId} onChange={form.clearChanged} onSubmit={onSubmit} noValidate>
      <FormErrors messages={form.formErrors} />
      <p>{t('wizard.meetings.intro', { customer: view.order.customer.name })}</p>
      <TextField
        label={t('wizard.meetings.subdomain')}
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
            {t('wizard.meetings.available', { site: `${availability.subdomain}.webex.com` })}
          </span>
        )}
      </p>
      <div className="actions">
        <Button variant="secondary" onClick={check} busy={checking} disabled={form.busy}>
          {t('wizard.meetings.check')}
        </Button>
        <Button type="submit" busy={form.busy} disabled={checking}>
          {t('wizard.meetings.save')}
        </Button>
      </div>
      {current && (
        <p className="muted">
          {t('wizard.meetings.savedAt')} <strong>https://{current}.webex.com</strong>
        </p>
      )}
    </form>
  );
}

const PROVISION_INPUTS = ['confirm'] as const;

function ProvisionSection({ view, submit }: { view: WizardView; submit: SubmitStep }) {
  const { t, services } = useTexts();
  const intl = useIntl();
  const form = useWizardForm(PROVISION_INPUTS);
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
          {t('wizard.provision.title')}
        </h2>
      </div>
      <form id={form.formId} onChange={form.clearChanged} onSubmit={(event) => event.preventDefault()} noValidate>
        <FormErrors messages={form.formErrors} />
        {missing.length ? (
          <p>
            {t('wizard.provision.missing', {
              sections: intl.formatList(
                missing.map((section) => t('wizard.provision.section', { section: t(SECTION_TITLES[section.name]).toLowerCase() })),
                { type: 'conjunction' },
              ),
            })}
          </p>
        ) : (
          <p>{t('wizard.provision.ready')}</p>
        )}
        <div className="actions">
          <Button onClick={() => setAsking(true)} disabled={missing.length > 0} busy={form.busy}>
            {t('wizard.provision.button')}
          </Button>
        </div>
      </form>
      <Dialog open={asking} title={t('wizard.provision.dialogTitle')} onClose={() => setAsking(false)}>
        <p>{t('wizard.provision.dialog', { services: services(view.order.services), customer: view.order.customer.name })}</p>
        <div className="actions">
          <Button onClick={provision} busy={form.busy}>
            {t('wizard.provision.yes')}
          </Button>
          <Button variant="secondary" onClick={() => setAsking(false)} disabled={form.busy}>
            {t('wizard.provision.notYet')}
          </Button>
        </div>
      </Dialog>
    </section>
  );
}
