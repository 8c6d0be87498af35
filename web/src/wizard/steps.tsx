// Steps 3–9 of the wizard (SPEC §3), one page each. Every form sends what the person chose and
// shows the API's answer: 422 field errors next to their inputs, anything else above the form.
import { type FormEvent, type ReactNode, useMemo, useState } from 'react';
import { useIntl } from 'react-intl';
import type { WizardMessageKey } from '../../../i18n/wizard';
import { ISO_COUNTRY_CODES } from '../../../domain/calling';
import type { OrgSummary, StepName, WizardDraft, WizardView } from '../types';
import { Alert, Breakable, Button, Checkbox, ChoiceGroup, SelectField, TextField, useFocusOnMount, usePageTitle } from '../ui';
import { FormErrors, useTexts, useWizardForm } from './i18n';
import type { SubmitStep } from './WizardApp';

const STEP_TITLES: Partial<Record<StepName, WizardMessageKey>> = {
  role: 'wizard.role.title',
  configurer: 'wizard.configurer.title',
  'partner-org': 'wizard.partnerOrg.title',
  'customer-admin': 'wizard.customerAdmin.title',
  'customer-org': 'wizard.customerOrg.title',
  confirm: 'wizard.confirm.title',
  'partner-password': 'wizard.password.title',
};

/** Every country as `Norge (NO)` in the chosen language, sorted by name, for the organization and calling forms. */
export function useCountryOptions(): Array<{ value: string; label: string }> {
  const { country } = useTexts();
  const { locale } = useIntl();
  return useMemo(
    () =>
      [...ISO_COUNTRY_CODES].map((code) => ({ value: code, label: `${country(code)} (${code})` })).sort((a, b) => a.label.localeCompare(b.label, locale)),
    // `country` is a new function each render; the names change only with the language.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [locale],
  );
}

interface StepPageProps {
  step: StepName;
  view: WizardView;
  intro?: ReactNode;
  children: ReactNode;
}

export function StepPage({ step, view, intro, children }: StepPageProps) {
  const { t } = useTexts();
  const titleKey = STEP_TITLES[step];
  const title = titleKey ? t(titleKey) : t('ui.product');
  usePageTitle(t('wizard.stepPageTitle', { title, orderId: view.orderId }));
  const heading = useFocusOnMount<HTMLHeadingElement>();
  return (
    <section className="card step" aria-labelledby="step-title">
      <p className="eyebrow">{t('wizard.eyebrow', { orderId: view.orderId })}</p>
      <h1 id="step-title" ref={heading} tabIndex={-1}>
        {title}
      </h1>
      {intro && <div className="intro">{intro}</div>}
      {children}
    </section>
  );
}

interface StepProps {
  view: WizardView;
  submit: SubmitStep;
}

function StepActions({ busy, label, onStartOver, onBack }: { busy: boolean; label?: string; onStartOver?: (() => void) | undefined; onBack?: (() => void) | undefined }) {
  const { t } = useTexts();
  return (
    <div className="actions">
      <Button type="submit" busy={busy}>
        {label ?? t('wizard.continue')}
      </Button>
      {onBack && (
        <Button variant="secondary" onClick={onBack} disabled={busy}>
          {t('wizard.back')}
        </Button>
      )}
      {onStartOver && (
        <Button variant="ghost" onClick={onStartOver} disabled={busy}>
          {t('wizard.startOver')}
        </Button>
      )}
    </div>
  );
}

interface PreCommitStepProps extends StepProps {
  step: StepName;
  onStartOver: () => void;
  /** The step before this one, kept in this session's draft; undefined on the first step. */
  onBack: (() => void) | undefined;
  /** Every answer given in this session, also those a Back dropped from the draft: the forms start from them. */
  answers: WizardDraft;
}

export function PreCommitStep({ step, ...props }: PreCommitStepProps) {
  switch (step) {
    case 'role':
      return <RoleStep {...props} />;
    case 'configurer':
      return <ConfigurerStep {...props} />;
    case 'partner-org':
      return <PartnerOrgStep {...props} />;
    case 'customer-admin':
      return <CustomerAdminStep {...props} />;
    case 'customer-org':
      return <CustomerOrgStep {...props} />;
    case 'confirm':
      return <ConfirmStep {...props} />;
    default:
      return null;
  }
}

type PreCommitProps = Omit<PreCommitStepProps, 'step'>;

const ROLE_INPUTS = ['role'] as const;

/**
 * Step 3. The role follows from the order: the partner's contact sets it up, unless the partner
 * handed it to the customer. There is nothing to choose, only to check.
 */
function RoleStep({ view, submit, onStartOver, onBack }: PreCommitProps) {
  const { t } = useTexts();
  const form = useWizardForm(ROLE_INPUTS);
  const role = view.delegatedToCustomer ? 'customer' : 'partner';
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void form.run(() => submit('role', { role }));
  };
  return (
    <StepPage
      step="role"
      view={view}
      intro={
        <p>
          {t(view.delegatedToCustomer ? 'wizard.role.introCustomer' : 'wizard.role.introPartner', { partner: view.order.partner.name, customer: view.order.customer.name })}
        </p>
      }
    >
      <form id={form.formId} onChange={form.clearChanged} onSubmit={onSubmit} noValidate>
        <FormErrors messages={form.formErrors} />
        <dl className="summary">
          <dt>{t('wizard.role.setUpFor')}</dt>
          <dd>
            {view.delegatedToCustomer ? t('wizard.role.theCustomer', { customer: view.order.customer.name }) : t('wizard.role.thePartner', { partner: view.order.partner.name })}
          </dd>
          <dt>{view.delegatedToCustomer ? t('wizard.role.soldBy') : t('wizard.role.forCustomer')}</dt>
          <dd>{view.delegatedToCustomer ? view.order.partner.name : view.order.customer.name}</dd>
        </dl>
        <p className="muted">{view.delegatedToCustomer ? t('wizard.role.noteCustomer') : t('wizard.role.notePartner')}</p>
        <StepActions busy={form.busy} onStartOver={onStartOver} onBack={onBack} />
      </form>
    </StepPage>
  );
}

const CONFIGURER_INPUTS = ['choice', 'email'] as const;

function ConfigurerStep({ view, submit, onStartOver, onBack, answers }: PreCommitProps) {
  const { t, field } = useTexts();
  const form = useWizardForm(CONFIGURER_INPUTS);
  const [choice, setChoice] = useState<'self' | 'colleague' | 'customer' | undefined>(answers.configurer);
  const [email, setEmail] = useState('');
  const [confirming, setConfirming] = useState(false);
  const customerRun = view.delegatedToCustomer;
  const handingOver = choice === 'colleague' || choice === 'customer';

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (handingOver && !confirming) {
      if (!email.trim()) return form.setErrors({ email: t('wizard.configurer.emailRequired') });
      setConfirming(true);
      return;
    }
    setConfirming(false);
    void form.run(() => submit('configurer', choice ? { choice, ...(handingOver ? { email } : {}) } : {}));
  };

  return (
    <StepPage step="configurer" view={view} intro={<p>{t('wizard.configurer.intro')}</p>}>
      <form id={form.formId} onChange={form.clearChanged} onSubmit={onSubmit} noValidate>
        <FormErrors messages={form.formErrors} />
        <ChoiceGroup
          name="choice"
          legend={t('wizard.configurer.legend')}
          value={choice}
          onChange={(value) => {
            setChoice(value);
            setConfirming(false);
          }}
          error={form.fieldErrors.choice && field(t('wizard.configurer.choiceLabel'), form.fieldErrors.choice)}
          choices={[
            { value: 'self', label: t('wizard.configurer.self'), description: t('wizard.configurer.selfHint') },
            {
              value: 'colleague',
              label: t('wizard.configurer.colleague'),
              description: customerRun ? t('wizard.configurer.colleagueHintCustomer') : t('wizard.configurer.colleagueHint', { partner: view.order.partner.name }),
            },
            ...(customerRun
              ? []
              : [{ value: 'customer' as const, label: t('wizard.role.theCustomer', { customer: view.order.customer.name }), description: t('wizard.configurer.customerHint') }]),
          ]}
        />
        {handingOver && (
          <TextField
            label={choice === 'customer' ? t('wizard.configurer.customerEmail') : t('wizard.configurer.colleagueEmail')}
            name="email"
            type="email"
            autoComplete="email"
            inputMode="email"
            value={email}
            onChange={(event) => {
              setEmail(event.target.value);
              setConfirming(false);
            }}
            error={form.fieldErrors.email && field(t('wizard.emailAddress'), form.fieldErrors.email)}
          />
        )}
        {confirming ? (
          <div className="confirm-panel" role="group" aria-labelledby="handover-title">
            <h2 id="handover-title" className="h3">
              {t('wizard.configurer.confirmTitle', { email: email.trim() })}
            </h2>
            <p>{t('wizard.configurer.confirmText')}</p>
            <div className="actions">
              <Button type="submit" busy={form.busy}>
                {t('wizard.configurer.confirmYes')}
              </Button>
              <Button variant="secondary" onClick={() => setConfirming(false)} disabled={form.busy}>
                {t('wizard.configurer.confirmNo')}
              </Button>
            </div>
          </div>
        ) : (
          <StepActions busy={form.busy} onStartOver={onStartOver} onBack={onBack} />
        )}
      </form>
    </StepPage>
  );
}

function OrgCard({ org }: { org: OrgSummary }) {
  const { t, country, dateTime } = useTexts();
  return (
    <dl className="summary org-card">
      <dt>{t('wizard.org.name')}</dt>
      <dd>{org.name}</dd>
      {org.country && (
        <>
          <dt>{t('wizard.org.country')}</dt>
          <dd>{country(org.country)}</dd>
        </>
      )}
      {org.address && (
        <>
          <dt>{t('wizard.org.address')}</dt>
          <dd>{org.address}</dd>
        </>
      )}
      {org.createdAt && (
        <>
          <dt>{t('wizard.org.created')}</dt>
          <dd>{dateTime(org.createdAt)}</dd>
        </>
      )}
      {org.userCount !== undefined && (
        <>
          <dt>{t('wizard.org.users')}</dt>
          <dd>{org.userCount}</dd>
        </>
      )}
    </dl>
  );
}

/**
 * How a listed org is named and described. Another company's org (SPEC §7.2) is shown only as the
 * one the address belongs to, and choosing it means its administrator must approve.
 */
function useOrgWords() {
  const { t, country, dateTime } = useTexts();
  return {
    name: (org: OrgSummary) => (org.belongsTo ? t('wizard.org.belongsTo', { address: org.belongsTo }) : org.name),
    description: (org: OrgSummary) =>
      org.belongsTo || org.country === undefined || org.createdAt === undefined
        ? t('wizard.customerOrg.needsConsent')
        : t('wizard.customerOrg.candidate', { country: country(org.country), users: org.userCount ?? 0, created: dateTime(org.createdAt) }),
  };
}

const ORG_INPUTS = ['mode', 'name', 'country', 'address', 'adminEmail', 'recognised', 'orgId'] as const;

interface OrgFieldsState {
  name: string;
  country: string;
  address: string;
}

function OrgFields({
  value,
  onChange,
  errors,
  legend,
}: {
  value: OrgFieldsState;
  onChange: (value: OrgFieldsState) => void;
  errors: Record<string, string>;
  legend: string;
}) {
  const { t, field } = useTexts();
  const countries = useCountryOptions();
  return (
    <fieldset className="field-group">
      <legend>{legend}</legend>
      <TextField
        label={t('wizard.org.orgName')}
        name="name"
        autoComplete="organization"
        value={value.name}
        onChange={(event) => onChange({ ...value, name: event.target.value })}
        error={errors.name && field(t('wizard.org.orgName'), errors.name)}
      />
      <SelectField
        label={t('wizard.org.country')}
        name="country"
        value={value.country}
        onChange={(event) => onChange({ ...value, country: event.target.value })}
        options={[{ value: '', label: t('wizard.org.chooseCountry') }, ...countries]}
        error={errors.country && field(t('wizard.org.country'), errors.country)}
      />
      <TextField
        label={t('wizard.org.address')}
        name="address"
        autoComplete="street-address"
        hint={t('wizard.org.addressHint')}
        value={value.address}
        onChange={(event) => onChange({ ...value, address: event.target.value })}
        error={errors.address && field(t('wizard.org.address'), errors.address)}
      />
    </fieldset>
  );
}

function PartnerOrgStep({ view, submit, onStartOver, onBack, answers }: PreCommitProps) {
  const { t, field } = useTexts();
  const form = useWizardForm(ORG_INPUTS);
  const existing = view.partnerOrg ?? null;
  const before = answers.partnerOrg;
  const [org, setOrg] = useState<OrgFieldsState>(
    before?.mode === 'new' ? { name: before.name, country: before.country, address: before.address } : { name: view.order.partner.name, country: '', address: '' },
  );
  const [adminEmail, setAdminEmail] = useState(before?.mode === 'new' ? before.adminEmail : '');
  const [recognised, setRecognised] = useState<'yes' | 'no' | undefined>(before?.mode === 'existing' ? 'yes' : undefined);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const input = existing
      ? { mode: 'existing', ...(recognised ? { recognised: recognised === 'yes' } : {}) }
      : { mode: 'new', ...org, adminEmail };
    void form.run(() => submit('partner-org', input));
  };

  if (existing) {
    return (
      <StepPage step="partner-org" view={view} intro={<p>{t('wizard.partnerOrg.introExisting', { partner: view.order.partner.name })}</p>}>
        <form id={form.formId} onChange={form.clearChanged} onSubmit={onSubmit} noValidate>
          <FormErrors messages={form.formErrors} />
          <OrgCard org={existing} />
          <ChoiceGroup
            name="recognised"
            legend={t('wizard.partnerOrg.recogniseLegend')}
            value={recognised}
            onChange={setRecognised}
            error={form.fieldErrors.recognised && field(t('wizard.yourAnswer'), form.fieldErrors.recognised)}
            choices={[
              { value: 'yes', label: t('wizard.partnerOrg.yes') },
              { value: 'no', label: t('wizard.org.notRecognised'), description: t('wizard.org.holdHint') },
            ]}
          />
          <StepActions busy={form.busy} onStartOver={onStartOver} onBack={onBack} />
        </form>
      </StepPage>
    );
  }
  return (
    <StepPage step="partner-org" view={view} intro={<p>{t('wizard.partnerOrg.introNew', { partner: view.order.partner.name })}</p>}>
      <form id={form.formId} onChange={form.clearChanged} onSubmit={onSubmit} noValidate>
        <FormErrors messages={form.formErrors} />
        <OrgFields legend={t('wizard.partnerOrg.newLegend')} value={org} onChange={setOrg} errors={form.fieldErrors} />
        <TextField
          label={t('wizard.partnerOrg.adminEmail')}
          name="adminEmail"
          type="email"
          autoComplete="email"
          inputMode="email"
          hint={t('wizard.partnerOrg.adminEmailHint')}
          value={adminEmail}
          onChange={(event) => setAdminEmail(event.target.value)}
          error={form.fieldErrors.adminEmail && field(t('wizard.adminEmail'), form.fieldErrors.adminEmail)}
        />
        <StepActions busy={form.busy} onStartOver={onStartOver} onBack={onBack} />
      </form>
    </StepPage>
  );
}

const ADMIN_INPUTS = ['email'] as const;

function CustomerAdminStep({ view, submit, onStartOver, onBack, answers }: PreCommitProps) {
  const { t, field } = useTexts();
  const form = useWizardForm(ADMIN_INPUTS);
  const [email, setEmail] = useState(answers.customerAdmin?.email ?? '');
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void form.run(() => submit('customer-admin', { email }));
  };
  return (
    <StepPage
      step="customer-admin"
      view={view}
      intro={<p>{t('wizard.customerAdmin.intro', { customer: view.order.customer.name })}</p>}
    >
      <form id={form.formId} onChange={form.clearChanged} onSubmit={onSubmit} noValidate>
        <FormErrors messages={form.formErrors} />
        <TextField
          label={t('wizard.customerAdmin.email')}
          name="email"
          type="email"
          autoComplete="email"
          inputMode="email"
          hint={t('wizard.customerAdmin.emailHint')}
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          error={form.fieldErrors.email && field(t('wizard.adminEmail'), form.fieldErrors.email)}
        />
        <StepActions busy={form.busy} onStartOver={onStartOver} onBack={onBack} />
      </form>
    </StepPage>
  );
}

type OrgChoice = 'new' | 'unrecognised' | `org:${string}`;

function CustomerOrgStep({ view, submit, onStartOver, onBack, answers }: PreCommitProps) {
  const { t, field } = useTexts();
  const form = useWizardForm(ORG_INPUTS);
  const found = view.customerOrg;
  const orgWords = useOrgWords();
  const adminOrg = found?.adminBelongsTo ?? null;
  const candidates = adminOrg ? [adminOrg] : (found?.candidates ?? []);
  const before = answers.customerOrg;
  const earlier: OrgChoice | undefined =
    before?.mode === 'new' && !adminOrg ? 'new' : before?.mode === 'existing' && candidates.some((c) => c.orgId === before.orgId) ? `org:${before.orgId}` : undefined;
  const [choice, setChoice] = useState<OrgChoice | undefined>(earlier ?? (candidates.length ? undefined : 'new'));
  const [org, setOrg] = useState<OrgFieldsState>(
    before?.mode === 'new'
      ? { name: before.name, country: before.country, address: before.address }
      : { name: found?.defaults.name ?? view.order.customer.name, country: found?.defaults.country ?? view.order.customer.country, address: '' },
  );

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const input =
      choice === 'new'
        ? { mode: 'new', ...org }
        : choice === 'unrecognised'
          ? { mode: 'existing', recognised: false }
          : choice
            ? { mode: 'existing', recognised: true, orgId: choice.slice('org:'.length) }
            : {};
    void form.run(() => submit('customer-org', input));
  };

  const adminEmail = view.draft?.customerAdmin?.email ?? t('wizard.customerOrg.theAdministrator');
  const noChoice = form.fieldErrors.orgId || form.fieldErrors.mode || form.fieldErrors.recognised;
  const choices = [
    ...candidates.map((candidate) => ({
      value: `org:${candidate.orgId}` as OrgChoice,
      label: adminOrg ? t('wizard.customerOrg.yesThis', { org: orgWords.name(candidate) }) : t('wizard.customerOrg.use', { org: orgWords.name(candidate) }),
      description: orgWords.description(candidate),
    })),
    ...(adminOrg
      ? []
      : [{ value: 'new' as OrgChoice, label: t('wizard.customerOrg.createNew'), description: t('wizard.customerOrg.createNewHint', { customer: view.order.customer.name }) }]),
    {
      value: 'unrecognised' as OrgChoice,
      label: adminOrg ? t('wizard.org.notRecognised') : t('wizard.customerOrg.noneRecognised'),
      description: t('wizard.org.holdHint'),
    },
  ];

  return (
    <StepPage
      step="customer-org"
      view={view}
      intro={
        adminOrg ? (
          <p>
            {adminOrg.belongsTo
              ? t('wizard.customerOrg.introAdminOrgUnmanaged', { admin: adminEmail })
              : t('wizard.customerOrg.introAdminOrg', { admin: adminEmail, org: adminOrg.name })}
          </p>
        ) : candidates.length ? (
          <p>{t('wizard.customerOrg.introCandidates', { admin: adminEmail })}</p>
        ) : (
          <p>{t('wizard.customerOrg.introNone', { customer: view.order.customer.name })}</p>
        )
      }
    >
      <form id={form.formId} onChange={form.clearChanged} onSubmit={onSubmit} noValidate>
        <FormErrors messages={form.formErrors} />
        {candidates.length > 0 && (
          <ChoiceGroup
            name="customer-org"
            legend={adminOrg ? t('wizard.customerOrg.legendAdminOrg') : t('wizard.customerOrg.legend')}
            value={choice}
            onChange={setChoice}
            error={noChoice && field(t('wizard.yourChoice'), noChoice)}
            choices={choices}
          />
        )}
        {choice === 'new' && <OrgFields legend={t('wizard.customerOrg.newLegend')} value={org} onChange={setOrg} errors={form.fieldErrors} />}
        <StepActions busy={form.busy} onStartOver={onStartOver} onBack={onBack} />
      </form>
    </StepPage>
  );
}

const CONFIRM_INPUTS = ['confirmed'] as const;

/** One organization as it will be: every detail the person gave or the existing one has. */
function OrgDetails({ title, org, admin, note }: { title: string; org: Partial<OrgSummary> & { name: string }; admin?: string | undefined; note: string }) {
  const { t, country } = useTexts();
  return (
    <section className="org-details" aria-label={title}>
      <h2 className="h3">{title}</h2>
      <p className="muted">{note}</p>
      <dl className="summary">
        <dt>{t('wizard.org.name')}</dt>
        <dd>{org.name}</dd>
        {org.country && (
          <>
            <dt>{t('wizard.org.country')}</dt>
            <dd>{country(org.country)}</dd>
          </>
        )}
        {org.address && (
          <>
            <dt>{t('wizard.org.address')}</dt>
            <dd>{org.address}</dd>
          </>
        )}
        {admin && (
          <>
            <dt>{t('wizard.org.administrator')}</dt>
            <dd>
              <Breakable text={admin} />
            </dd>
          </>
        )}
        {org.userCount !== undefined && (
          <>
            <dt>{t('wizard.org.usersToday')}</dt>
            <dd>{org.userCount}</dd>
          </>
        )}
      </dl>
    </section>
  );
}

function ConfirmStep({ view, submit, onStartOver, onBack }: PreCommitProps) {
  const { t, services } = useTexts();
  const form = useWizardForm(CONFIRM_INPUTS);
  const [confirmed, setConfirmed] = useState(false);
  const draft = view.draft ?? {};
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void form.run(() => submit('confirm', { confirmed }));
  };
  const partner = draft.partnerOrg;
  const customer = draft.customerOrg;
  const orgWords = useOrgWords();
  const listedCustomer = customer?.mode === 'existing' ? [view.customerOrg?.adminBelongsTo, ...(view.customerOrg?.candidates ?? [])].find((org) => org?.orgId === customer.orgId) : undefined;
  const existingCustomer = listedCustomer ? { ...listedCustomer, name: orgWords.name(listedCustomer) } : customer;
  return (
    <StepPage step="confirm" view={view} intro={<p>{t('wizard.confirm.intro')}</p>}>
      <form id={form.formId} onChange={form.clearChanged} onSubmit={onSubmit} noValidate>
        <FormErrors messages={form.formErrors} />
        <dl className="summary">
          <dt>{t('wizard.summary.order')}</dt>
          <dd>
            {view.order.product} · {services(view.order.services)}
          </dd>
          <dt>{t('wizard.confirm.managed')}</dt>
          <dd>{partner ? t('wizard.confirm.managedYes', { partner: view.order.partner.name }) : t('wizard.confirm.managedNo')}</dd>
        </dl>
        <div className="org-pair">
          {partner && (
            <OrgDetails
              title={t('wizard.progress.partnerOrg')}
              note={partner.mode === 'new' ? t('wizard.confirm.createdOnConfirm') : t('wizard.confirm.existingPartner')}
              org={partner.mode === 'new' ? partner : (view.partnerOrg ?? partner)}
              admin={partner.mode === 'new' ? partner.adminEmail : undefined}
            />
          )}
          {customer && (
            <OrgDetails
              title={t('wizard.progress.customerOrg')}
              note={
                customer.mode === 'new'
                  ? t('wizard.confirm.createdOnConfirm')
                  : listedCustomer?.belongsTo
                    ? t('wizard.confirm.existingCustomerConsent')
                    : t('wizard.confirm.existingCustomer')
              }
              org={customer.mode === 'new' ? customer : existingCustomer!}
              admin={draft.customerAdmin?.email}
            />
          )}
        </div>
        <Alert tone="warning" title={t('wizard.confirm.noReturnTitle')}>
          <p>{t('wizard.confirm.noReturn')}</p>
        </Alert>
        <Checkbox
          name="confirmed"
          label={t('wizard.confirm.checkbox')}
          checked={confirmed}
          onChange={(event) => setConfirmed(event.target.checked)}
          error={form.fieldErrors.confirmed && t('wizard.confirm.tick')}
        />
        <StepActions busy={form.busy} label={t('wizard.confirm.submit')} onStartOver={onStartOver} onBack={onBack} />
      </form>
    </StepPage>
  );
}

const PASSWORD_INPUTS = ['password', 'repeat'] as const;

export function PasswordStep({ view, submit }: StepProps) {
  const { t, field } = useTexts();
  const form = useWizardForm(PASSWORD_INPUTS);
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [show, setShow] = useState(false);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (password && password !== repeat) return form.setErrors({ repeat: t('wizard.password.different') });
    void form.run(() => submit('partner-password', { password }));
  };
  return (
    <StepPage
      step="partner-password"
      view={view}
      intro={
        <p>
          {view.configuration?.partnerOrgName
            ? t('wizard.password.introNamed', { org: view.configuration.partnerOrgName })
            : t('wizard.password.intro')}
        </p>
      }
    >
      <form id={form.formId} onChange={form.clearChanged} onSubmit={onSubmit} noValidate>
        <FormErrors messages={form.formErrors} />
        <TextField
          label={t('wizard.password.password')}
          name="password"
          type={show ? 'text' : 'password'}
          autoComplete="new-password"
          hint={t('wizard.password.hint')}
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          error={form.fieldErrors.password && field(t('wizard.password.password'), form.fieldErrors.password)}
        />
        <TextField
          label={t('wizard.password.repeat')}
          name="repeat"
          type={show ? 'text' : 'password'}
          autoComplete="new-password"
          value={repeat}
          onChange={(event) => setRepeat(event.target.value)}
          error={form.fieldErrors.repeat}
        />
        <Checkbox label={t('wizard.password.show')} checked={show} onChange={(event) => setShow(event.target.checked)} />
        <StepActions busy={form.busy} label={t('wizard.password.submit')} />
      </form>
    </StepPage>
  );
}
