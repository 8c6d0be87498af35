// Steps 3–9 of the wizard (SPEC §3), one page each. Every form sends what the person chose and
// shows the API's answer: 422 field errors next to their inputs, anything else above the form.
import { type FormEvent, type ReactNode, useState } from 'react';
import { ISO_COUNTRY_CODES } from '../../../domain/calling';
import type { OrgSummary, StepName, WizardDraft, WizardView } from '../types';
import {
  Alert,
  Breakable,
  Button,
  Checkbox,
  ChoiceGroup,
  countryName,
  fieldMessage,
  FormErrors,
  formatDateTime,
  SelectField,
  serviceLabel,
  TextField,
  useFocusOnMount,
  usePageTitle,
} from '../ui';
import { useForm } from './useForm';
import type { SubmitStep } from './WizardApp';

const STEP_TITLES: Partial<Record<StepName, string>> = {
  role: 'Who are you?',
  configurer: 'Who will configure this order?',
  'partner-org': 'Your partner organization',
  'customer-admin': 'The customer’s administrator',
  'customer-org': 'The customer’s organization',
  confirm: 'Check and confirm',
  'partner-password': 'Set the administrator password',
};

/** Every country as `Norway (NO)`, sorted by name, for the organization and calling forms. */
export const COUNTRY_OPTIONS: Array<{ value: string; label: string }> = [...ISO_COUNTRY_CODES]
  .map((code) => ({ value: code, label: `${countryName(code)} (${code})` }))
  .sort((a, b) => a.label.localeCompare(b.label, 'en'));

interface StepPageProps {
  step: StepName;
  view: WizardView;
  intro?: ReactNode;
  children: ReactNode;
}

export function StepPage({ step, view, intro, children }: StepPageProps) {
  const title = STEP_TITLES[step] ?? 'Order setup';
  usePageTitle(`${title} – Order ${view.orderId}`);
  const heading = useFocusOnMount<HTMLHeadingElement>();
  return (
    <section className="card step" aria-labelledby="step-title">
      <p className="eyebrow">Order {view.orderId}</p>
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

function StepActions({ busy, label = 'Continue', onStartOver, onBack }: { busy: boolean; label?: string; onStartOver?: (() => void) | undefined; onBack?: (() => void) | undefined }) {
  return (
    <div className="actions">
      <Button type="submit" busy={busy}>
        {label}
      </Button>
      {onBack && (
        <Button variant="secondary" onClick={onBack} disabled={busy}>
          Back
        </Button>
      )}
      {onStartOver && (
        <Button variant="ghost" onClick={onStartOver} disabled={busy}>
          Start over
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
  const form = useForm(ROLE_INPUTS);
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
          {view.delegatedToCustomer
            ? `${view.order.partner.name} has handed the setup of this order to the customer, ${view.order.customer.name}.`
            : `This order for ${view.order.customer.name} was placed by ${view.order.partner.name}.`}
        </p>
      }
    >
      <form id={form.formId} onChange={form.clearChanged} onSubmit={onSubmit} noValidate>
        <FormErrors messages={form.formErrors} />
        <dl className="summary">
          <dt>You set it up for</dt>
          <dd>{view.delegatedToCustomer ? `The customer, ${view.order.customer.name}` : `The partner, ${view.order.partner.name}`}</dd>
          <dt>{view.delegatedToCustomer ? 'Sold by' : 'For the customer'}</dt>
          <dd>{view.delegatedToCustomer ? view.order.partner.name : view.order.customer.name}</dd>
        </dl>
        <p className="muted">
          {view.delegatedToCustomer
            ? 'You create your own organization; the partner gets no admin access to it.'
            : 'Not the right person? On the next page you can hand the setup to a colleague or to the customer.'}
        </p>
        <StepActions busy={form.busy} onStartOver={onStartOver} onBack={onBack} />
      </form>
    </StepPage>
  );
}

const CONFIGURER_INPUTS = ['choice', 'email'] as const;

function ConfigurerStep({ view, submit, onStartOver, onBack, answers }: PreCommitProps) {
  const form = useForm(CONFIGURER_INPUTS);
  const [choice, setChoice] = useState<'self' | 'colleague' | 'customer' | undefined>(answers.configurer);
  const [email, setEmail] = useState('');
  const [confirming, setConfirming] = useState(false);
  const customerRun = view.delegatedToCustomer;
  const handingOver = choice === 'colleague' || choice === 'customer';

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (handingOver && !confirming) {
      if (!email.trim()) return form.setErrors({ email: 'is required' });
      setConfirming(true);
      return;
    }
    setConfirming(false);
    void form.run(() => submit('configurer', choice ? { choice, ...(handingOver ? { email } : {}) } : {}));
  };

  return (
    <StepPage step="configurer" view={view} intro={<p>You can configure the order now, or hand it to someone who will. Handing it over sends them a link of their own.</p>}>
      <form id={form.formId} onChange={form.clearChanged} onSubmit={onSubmit} noValidate>
        <FormErrors messages={form.formErrors} />
        <ChoiceGroup
          name="choice"
          legend="Who configures the order?"
          value={choice}
          onChange={(value) => {
            setChoice(value);
            setConfirming(false);
          }}
          error={form.fieldErrors.choice && fieldMessage('Choice', form.fieldErrors.choice)}
          choices={[
            { value: 'self', label: 'I will, now', description: 'Takes about ten minutes.' },
            { value: 'colleague', label: 'A colleague', description: customerRun ? 'Someone else in your organization.' : `Someone else at ${view.order.partner.name}.` },
            ...(customerRun
              ? []
              : [{ value: 'customer' as const, label: `The customer, ${view.order.customer.name}`, description: 'The customer sets up its own organization; your partner organization gets no admin access to it.' }]),
          ]}
        />
        {handingOver && (
          <TextField
            label={choice === 'customer' ? 'Customer administrator’s email' : 'Colleague’s email'}
            name="email"
            type="email"
            autoComplete="email"
            inputMode="email"
            value={email}
            onChange={(event) => {
              setEmail(event.target.value);
              setConfirming(false);
            }}
            error={form.fieldErrors.email && fieldMessage('Email address', form.fieldErrors.email)}
          />
        )}
        {confirming ? (
          <div className="confirm-panel" role="group" aria-labelledby="handover-title">
            <h2 id="handover-title" className="h3">
              Hand the setup to {email.trim()}?
            </h2>
            <p>We will email them a new link. The link you used stops working, and this page closes the setup for you.</p>
            <div className="actions">
              <Button type="submit" busy={form.busy}>
                Yes, hand it over
              </Button>
              <Button variant="secondary" onClick={() => setConfirming(false)} disabled={form.busy}>
                Go back
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
  return (
    <dl className="summary org-card">
      <dt>Name</dt>
      <dd>{org.name}</dd>
      {org.country && (
        <>
          <dt>Country</dt>
          <dd>{countryName(org.country)}</dd>
        </>
      )}
      {org.address && (
        <>
          <dt>Address</dt>
          <dd>{org.address}</dd>
        </>
      )}
      {org.createdAt && (
        <>
          <dt>Created</dt>
          <dd>{formatDateTime(org.createdAt)}</dd>
        </>
      )}
      {org.userCount !== undefined && (
        <>
          <dt>Users</dt>
          <dd>{org.userCount}</dd>
        </>
      )}
    </dl>
  );
}

/** One line about a listed org: its details, or — for another company's org — only that its administrator must approve. */
function orgDescription(org: OrgSummary): string {
  if (org.belongsTo || org.country === undefined || org.createdAt === undefined) {
    return 'An existing organization your company does not manage: its administrator or your Cisco account representative must approve before the order is set up there.';
  }
  return `${countryName(org.country)} · ${org.userCount ?? 0} user${org.userCount === 1 ? '' : 's'} · created ${formatDateTime(org.createdAt)}`;
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
  return (
    <fieldset className="field-group">
      <legend>{legend}</legend>
      <TextField
        label="Organization name"
        name="name"
        autoComplete="organization"
        value={value.name}
        onChange={(event) => onChange({ ...value, name: event.target.value })}
        error={errors.name && fieldMessage('Organization name', errors.name)}
      />
      <SelectField
        label="Country"
        name="country"
        value={value.country}
        onChange={(event) => onChange({ ...value, country: event.target.value })}
        options={[{ value: '', label: 'Choose a country' }, ...COUNTRY_OPTIONS]}
        error={errors.country && fieldMessage('Country', errors.country)}
      />
      <TextField
        label="Address"
        name="address"
        autoComplete="street-address"
        hint="Street, postcode and city"
        value={value.address}
        onChange={(event) => onChange({ ...value, address: event.target.value })}
        error={errors.address && fieldMessage('Address', errors.address)}
      />
    </fieldset>
  );
}

function PartnerOrgStep({ view, submit, onStartOver, onBack, answers }: PreCommitProps) {
  const form = useForm(ORG_INPUTS);
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
      <StepPage step="partner-org" view={view} intro={<p>{view.order.partner.name} already has a Webex partner organization. Check that it is yours.</p>}>
        <form id={form.formId} onChange={form.clearChanged} onSubmit={onSubmit} noValidate>
          <FormErrors messages={form.formErrors} />
          <OrgCard org={existing} />
          <ChoiceGroup
            name="recognised"
            legend="Do you recognise this organization?"
            value={recognised}
            onChange={setRecognised}
            error={form.fieldErrors.recognised && fieldMessage('Your answer', form.fieldErrors.recognised)}
            choices={[
              { value: 'yes', label: 'Yes, this is our organization' },
              { value: 'no', label: 'No, I don’t recognise it', description: 'The order is put on hold and your Cisco account representative contacts you.' },
            ]}
          />
          <StepActions busy={form.busy} onStartOver={onStartOver} onBack={onBack} />
        </form>
      </StepPage>
    );
  }
  return (
    <StepPage step="partner-org" view={view} intro={<p>This is {view.order.partner.name}’s first Webex order, so a partner organization is created for it when you confirm.</p>}>
      <form id={form.formId} onChange={form.clearChanged} onSubmit={onSubmit} noValidate>
        <FormErrors messages={form.formErrors} />
        <OrgFields legend="New partner organization" value={org} onChange={setOrg} errors={form.fieldErrors} />
        <TextField
          label="Partner administrator’s email"
          name="adminEmail"
          type="email"
          autoComplete="email"
          inputMode="email"
          hint="This person manages the partner organization. A person can belong to one Webex organization only."
          value={adminEmail}
          onChange={(event) => setAdminEmail(event.target.value)}
          error={form.fieldErrors.adminEmail && fieldMessage('Administrator email', form.fieldErrors.adminEmail)}
        />
        <StepActions busy={form.busy} onStartOver={onStartOver} onBack={onBack} />
      </form>
    </StepPage>
  );
}

const ADMIN_INPUTS = ['email'] as const;

function CustomerAdminStep({ view, submit, onStartOver, onBack, answers }: PreCommitProps) {
  const form = useForm(ADMIN_INPUTS);
  const [email, setEmail] = useState(answers.customerAdmin?.email ?? '');
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void form.run(() => submit('customer-admin', { email }));
  };
  return (
    <StepPage
      step="customer-admin"
      view={view}
      intro={<p>This person becomes the administrator of {view.order.customer.name}’s Webex organization and manages its users and services.</p>}
    >
      <form id={form.formId} onChange={form.clearChanged} onSubmit={onSubmit} noValidate>
        <FormErrors messages={form.formErrors} />
        <TextField
          label="Administrator’s email"
          name="email"
          type="email"
          autoComplete="email"
          inputMode="email"
          hint="Use a customer address: a person belongs to one Webex organization only."
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          error={form.fieldErrors.email && fieldMessage('Administrator email', form.fieldErrors.email)}
        />
        <StepActions busy={form.busy} onStartOver={onStartOver} onBack={onBack} />
      </form>
    </StepPage>
  );
}

type OrgChoice = 'new' | 'unrecognised' | `org:${string}`;

function CustomerOrgStep({ view, submit, onStartOver, onBack, answers }: PreCommitProps) {
  const form = useForm(ORG_INPUTS);
  const found = view.customerOrg;
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

  const adminEmail = view.draft?.customerAdmin?.email ?? 'The administrator';
  const noChoice = form.fieldErrors.orgId || form.fieldErrors.mode || form.fieldErrors.recognised;
  const choices = [
    ...candidates.map((candidate) => ({
      value: `org:${candidate.orgId}` as OrgChoice,
      label: adminOrg ? `Yes, ${candidate.name} is the customer’s organization` : `Use ${candidate.name}`,
      description: orgDescription(candidate),
    })),
    ...(adminOrg ? [] : [{ value: 'new' as OrgChoice, label: 'Create a new organization', description: `A new Webex organization for ${view.order.customer.name}.` }]),
    {
      value: 'unrecognised' as OrgChoice,
      label: adminOrg ? 'No, I don’t recognise it' : 'I don’t recognise these organizations',
      description: 'The order is put on hold and your Cisco account representative contacts you.',
    },
  ];

  return (
    <StepPage
      step="customer-org"
      view={view}
      intro={
        adminOrg ? (
          <p>
            {adminEmail} already belongs to the Webex organization <strong>{adminOrg.name}</strong>. The order can only be set up in that organization.
          </p>
        ) : candidates.length ? (
          <p>We found Webex organizations with users on the same email domain as {adminEmail}. Use one of them, or create a new one.</p>
        ) : (
          <p>{view.order.customer.name} has no Webex organization yet: one is created when you confirm.</p>
        )
      }
    >
      <form id={form.formId} onChange={form.clearChanged} onSubmit={onSubmit} noValidate>
        <FormErrors messages={form.formErrors} />
        {candidates.length > 0 && (
          <ChoiceGroup
            name="customer-org"
            legend={adminOrg ? 'Is this the customer’s organization?' : 'Which organization is the customer’s?'}
            value={choice}
            onChange={setChoice}
            error={noChoice && fieldMessage('Your choice', noChoice)}
            choices={choices}
          />
        )}
        {choice === 'new' && <OrgFields legend="New customer organization" value={org} onChange={setOrg} errors={form.fieldErrors} />}
        <StepActions busy={form.busy} onStartOver={onStartOver} onBack={onBack} />
      </form>
    </StepPage>
  );
}

const CONFIRM_INPUTS = ['confirmed'] as const;

/** One organization as it will be: every detail the person gave or the existing one has. */
function OrgDetails({ title, org, admin, note }: { title: string; org: Partial<OrgSummary> & { name: string }; admin?: string | undefined; note: string }) {
  return (
    <section className="org-details" aria-label={title}>
      <h2 className="h3">{title}</h2>
      <p className="muted">{note}</p>
      <dl className="summary">
        <dt>Name</dt>
        <dd>{org.name}</dd>
        {org.country && (
          <>
            <dt>Country</dt>
            <dd>{countryName(org.country)}</dd>
          </>
        )}
        {org.address && (
          <>
            <dt>Address</dt>
            <dd>{org.address}</dd>
          </>
        )}
        {admin && (
          <>
            <dt>Administrator</dt>
            <dd>
              <Breakable text={admin} />
            </dd>
          </>
        )}
        {org.userCount !== undefined && (
          <>
            <dt>Users today</dt>
            <dd>{org.userCount}</dd>
          </>
        )}
      </dl>
    </section>
  );
}

function ConfirmStep({ view, submit, onStartOver, onBack }: PreCommitProps) {
  const form = useForm(CONFIRM_INPUTS);
  const [confirmed, setConfirmed] = useState(false);
  const draft = view.draft ?? {};
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void form.run(() => submit('confirm', { confirmed }));
  };
  const partner = draft.partnerOrg;
  const customer = draft.customerOrg;
  const existingCustomer =
    customer?.mode === 'existing' ? ([view.customerOrg?.adminBelongsTo, ...(view.customerOrg?.candidates ?? [])].find((org) => org?.orgId === customer.orgId) ?? customer) : undefined;
  return (
    <StepPage step="confirm" view={view} intro={<p>Check your choices. Confirming creates or links the organizations and assigns the administrators; this cannot be undone.</p>}>
      <form id={form.formId} onChange={form.clearChanged} onSubmit={onSubmit} noValidate>
        <FormErrors messages={form.formErrors} />
        <dl className="summary">
          <dt>Order</dt>
          <dd>
            {view.order.product} · {view.order.services.map(serviceLabel).join(', ')}
          </dd>
          <dt>Managed by partner</dt>
          <dd>{partner ? `Yes, ${view.order.partner.name} can administer the customer organization` : 'No: the customer administers its own organization'}</dd>
        </dl>
        <div className="org-pair">
          {partner && (
            <OrgDetails
              title="Partner organization"
              note={partner.mode === 'new' ? 'Created when you confirm.' : 'Existing: the order is linked to it.'}
              org={partner.mode === 'new' ? partner : (view.partnerOrg ?? partner)}
              admin={partner.mode === 'new' ? partner.adminEmail : undefined}
            />
          )}
          {customer && (
            <OrgDetails
              title="Customer organization"
              note={customer.mode === 'new' ? 'Created when you confirm.' : 'Existing: the order is set up in it.'}
              org={customer.mode === 'new' ? customer : existingCustomer!}
              admin={draft.customerAdmin?.email}
            />
          )}
        </div>
        <Alert tone="warning" title="This is the point of no return">
          <p>After you confirm, the organizations exist and the order can no longer be cancelled or restarted.</p>
        </Alert>
        <Checkbox
          name="confirmed"
          label="I have checked these details and want to create the organizations"
          checked={confirmed}
          onChange={(event) => setConfirmed(event.target.checked)}
          error={form.fieldErrors.confirmed && 'Tick the box to confirm.'}
        />
        <StepActions busy={form.busy} label="Confirm and create" onStartOver={onStartOver} onBack={onBack} />
      </form>
    </StepPage>
  );
}

const PASSWORD_INPUTS = ['password', 'repeat'] as const;

export function PasswordStep({ view, submit }: StepProps) {
  const form = useForm(PASSWORD_INPUTS);
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [show, setShow] = useState(false);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (password && password !== repeat) return form.setErrors({ repeat: 'The two passwords are different.' });
    void form.run(() => submit('partner-password', { password }));
  };
  return (
    <StepPage
      step="partner-password"
      view={view}
      intro={
        <p>
          The organizations are created. Choose the sign-in password for the administrator of the new partner organization
          {view.configuration?.partnerOrgName ? `, ${view.configuration.partnerOrgName}` : ''}.
        </p>
      }
    >
      <form id={form.formId} onChange={form.clearChanged} onSubmit={onSubmit} noValidate>
        <FormErrors messages={form.formErrors} />
        <TextField
          label="Password"
          name="password"
          type={show ? 'text' : 'password'}
          autoComplete="new-password"
          hint="At least 12 characters. A few unrelated words make a strong one; common passwords and your organization’s name are refused."
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          error={form.fieldErrors.password && fieldMessage('Password', form.fieldErrors.password)}
        />
        <TextField
          label="Repeat the password"
          name="repeat"
          type={show ? 'text' : 'password'}
          autoComplete="new-password"
          value={repeat}
          onChange={(event) => setRepeat(event.target.value)}
          error={form.fieldErrors.repeat}
        />
        <Checkbox label="Show the passwords" checked={show} onChange={(event) => setShow(event.target.checked)} />
        <StepActions busy={form.busy} label="Set password" />
      </form>
    </StepPage>
  );
}
