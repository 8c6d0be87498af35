// The small design system both apps share: form fields wired for screen readers (label, hint,
// error, aria-invalid), buttons with a busy state, alerts, badges, a modal dialog and the layout.
import {
  type ButtonHTMLAttributes,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
  Fragment,
  useEffect,
  useId,
  useRef,
} from 'react';
import type { OrderStatus } from './types';

/** An API message next to its field: "is required" reads "Email is required"; full sentences stay. */
export function fieldMessage(label: string, message: string): string {
  return /^[a-z]/.test(message) ? `${label} ${message}.`.replace(/\.\.$/, '.') : message;
}

export function sentence(message: string): string {
  const text = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

export function usePageTitle(title: string) {
  useEffect(() => {
    document.title = title;
  }, [title]);
}

/** Moves focus to the page's heading when a new page or step appears, so screen readers announce it. */
export function useFocusOnMount<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return ref;
}

interface FieldFrameProps {
  id: string;
  label: ReactNode;
  hint?: ReactNode | undefined;
  error?: string | undefined;
  children: ReactNode;
}

function FieldFrame({ id, label, hint, error, children }: FieldFrameProps) {
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`}>
          <span aria-hidden="true">⚠ </span>
          {error}
        </p>
      )}
      {children}
    </div>
  );
}

const describedBy = (id: string, hint: unknown, error: unknown) =>
  [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;

type TextFieldProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'id'> & { label: string; hint?: ReactNode; error?: string | undefined; suffix?: string };

export function TextField({ label, hint, error, suffix, className, ...input }: TextFieldProps) {
  const id = `f-${useId()}`;
  const control = (
    <input
      id={id}
      className={`input ${className ?? ''}`}
      aria-invalid={error ? true : undefined}
      aria-describedby={describedBy(id, hint, error)}
      {...input}
    />
  );
  return (
    <FieldFrame id={id} label={label} hint={hint} error={error}>
      {suffix ? (
        <div className="input-group">
          {control}
          <span className="input-suffix" aria-hidden="true">
            {suffix}
          </span>
        </div>
      ) : (
        control
      )}
    </FieldFrame>
  );
}

type TextAreaProps = Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'id'> & { label: string; hint?: ReactNode; error?: string | undefined };

export function TextArea({ label, hint, error, ...textarea }: TextAreaProps) {
  const id = `f-${useId()}`;
  return (
    <FieldFrame id={id} label={label} hint={hint} error={error}>
      <textarea id={id} className="input" rows={3} aria-invalid={error ? true : undefined} aria-describedby={describedBy(id, hint, error)} {...textarea} />
    </FieldFrame>
  );
}

type SelectFieldProps = Omit<SelectHTMLAttributes<HTMLSelectElement>, 'id'> & {
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
  options: Array<{ value: string; label: string }>;
};

export function SelectField({ label, hint, error, options, ...select }: SelectFieldProps) {
  const id = `f-${useId()}`;
  return (
    <FieldFrame id={id} label={label} hint={hint} error={error}>
      <select id={id} className="input" aria-invalid={error ? true : undefined} aria-describedby={describedBy(id, hint, error)} {...select}>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </FieldFrame>
  );
}

export interface Choice<T extends string> {
  value: T;
  label: ReactNode;
  description?: ReactNode;
}

interface ChoiceGroupProps<T extends string> {
  name: string;
  legend: ReactNode;
  hint?: ReactNode;
  choices: Array<Choice<T>>;
  value: T | undefined;
  onChange: (value: T) => void;
  error?: string | undefined;
}

/** Radio buttons as large cards: easy to hit on a phone, one tab stop, arrow keys move. */
export function ChoiceGroup<T extends string>({ name, legend, hint, choices, value, onChange, error }: ChoiceGroupProps<T>) {
  const id = `f-${useId()}`;
  return (
    <fieldset className={`field choice-group${error ? ' field-invalid' : ''}`} aria-describedby={describedBy(id, hint, error)}>
      <legend>{legend}</legend>
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`}>
          <span aria-hidden="true">⚠ </span>
          {error}
        </p>
      )}
      {choices.map((choice) => (
        <label key={choice.value} className={`choice${value === choice.value ? ' choice-selected' : ''}`}>
          <input
            type="radio"
            name={name}
            value={choice.value}
            checked={value === choice.value}
            onChange={() => onChange(choice.value)}
            aria-invalid={error ? true : undefined}
          />
          <span className="choice-text">
            <span className="choice-label">{choice.label}</span>
            {choice.description && <span className="choice-description">{choice.description}</span>}
          </span>
        </label>
      ))}
    </fieldset>
  );
}

type CheckboxProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'type'> & { label: ReactNode; error?: string | undefined };

export function Checkbox({ label, error, ...input }: CheckboxProps) {
  const id = `f-${useId()}`;
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      {error && (
        <p className="field-error" id={`${id}-error`}>
          <span aria-hidden="true">⚠ </span>
          {error}
        </p>
      )}
      <label className="checkbox" htmlFor={id}>
        <input id={id} type="checkbox" aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : undefined} {...input} />
        <span>{label}</span>
      </label>
    </div>
  );
}

type ButtonProps = ButtonHTMLAttributes<HTMLButtonElement> & { variant?: 'primary' | 'secondary' | 'danger' | 'ghost'; busy?: boolean };

export function Button({ variant = 'primary', busy = false, className, children, disabled, type = 'button', ...rest }: ButtonProps) {
  return (
    <button
      type={type}
      className={`btn btn-${variant} ${className ?? ''}`}
      disabled={disabled || busy}
      aria-busy={busy || undefined}
      {...rest}
    >
      {busy && <span className="spinner" aria-hidden="true" />}
      {children}
    </button>
  );
}

interface AlertProps {
  tone: 'info' | 'success' | 'warning' | 'danger';
  title?: ReactNode;
  children?: ReactNode;
}

/** Errors interrupt (role=alert) and can take focus; everything else is announced politely. */
export function Alert({ tone, title, children }: AlertProps) {
  return (
    <div className={`alert alert-${tone}`} role={tone === 'danger' ? 'alert' : 'status'} tabIndex={tone === 'danger' ? -1 : undefined}>
      {title && <p className="alert-title">{title}</p>}
      {children && <div className="alert-body">{children}</div>}
    </div>
  );
}

/** The form-level errors of a refused request: those not tied to a visible input. */
export function FormErrors({ messages, title = 'Please check the following' }: { messages: string[]; title?: string }) {
  if (!messages.length) return null;
  return (
    <Alert tone="danger" title={title}>
      {messages.length === 1 ? (
        <p>{sentence(messages[0]!)}</p>
      ) : (
        <ul>
          {messages.map((message) => (
            <li key={message}>{sentence(message)}</li>
          ))}
        </ul>
      )}
    </Alert>
  );
}

const STATUS_LABELS: Record<OrderStatus, string> = {
  SCHEDULED: 'Scheduled',
  AWAITING_SETUP: 'Awaiting setup',
  ESCALATED: 'Escalated',
  IN_PROGRESS: 'In progress',
  ON_HOLD: 'On hold',
  AWAITING_CONSENT: 'Awaiting consent',
  ORDER_CONFIGURED: 'Configured',
  SERVICE_SETUP: 'Service setup',
  PROVISIONED: 'Provisioned',
  CANCELLED: 'Cancelled',
  EXPIRED: 'Expired',
};

export const statusLabel = (status: OrderStatus) => STATUS_LABELS[status] ?? status;

export function StatusBadge({ status }: { status: OrderStatus }) {
  return <span className={`badge badge-${status.toLowerCase().replace(/_/g, '-')}`}>{statusLabel(status)}</span>;
}

interface DialogProps {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ReactNode;
}

/** A native modal <dialog>: the browser traps focus, Escape closes it, focus returns to the opener. */
export function Dialog({ open, title, onClose, children }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      onClose={onClose}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      {open && (
        <>
          <h2 id={titleId} className="dialog-title">
            {title}
          </h2>
          {children}
        </>
      )}
    </dialog>
  );
}

export function Spinner({ label }: { label: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner spinner-large" aria-hidden="true" />
      {label}
    </p>
  );
}

interface ShellProps {
  product: string;
  /** The skip link's text; the wizard passes its own language's. */
  skipLabel?: string;
  children: ReactNode;
  aside?: ReactNode;
  wide?: boolean;
}

/** Header, skip link and the one <main> landmark every page has. */
export function Shell({ product, skipLabel = 'Skip to content', children, aside, wide = false }: ShellProps) {
  return (
    <>
      <a className="skip-link" href="#main">
        {skipLabel}
      </a>
      <header className="topbar">
        <div className={`topbar-inner${wide ? ' wide' : ''}`}>
          <span className="brand">
            <span className="brand-mark" aria-hidden="true">
              ◆
            </span>
            Webex <span className="brand-product">{product}</span>
          </span>
          {aside}
        </div>
      </header>
      <main id="main" className={`page${wide ? ' wide' : ''}`} tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

export const formatDateTime = (iso: string) =>
  new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });

/** An address that wraps after "@" and before each "." (where a reader expects it), not mid-word. */
export function Breakable({ text }: { text: string }) {
  const parts = text.split(/(?<=@)|(?=\.)/);
  return (
    <span className="break">
      {parts.map((part, index) => (
        <Fragment key={index}>
          {index > 0 && <wbr />}
          {part}
        </Fragment>
      ))}
    </span>
  );
}

/** "Oslo time" for Europe/Oslo, "UTC" for UTC: how a person names a zone. */
export function zoneLabel(timeZone: string): string {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return 'UTC';
  return `${(timeZone.split('/').pop() ?? timeZone).replaceAll('_', ' ')} time`;
}

/** A moment as the clock in `timeZone` shows it, the zone named: "29 Dec 2026, 19:23 Oslo time". */
export function formatInZone(iso: string, timeZone: string): string {
  let local: string;
  try {
    local = new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone });
  } catch {
    return `${formatDateTime(iso)} (your time)`;
  }
  return `${local} ${zoneLabel(timeZone)}`;
}

export const formatDate = (isoDate: string) =>
  new Date(`${isoDate}T12:00:00Z`).toLocaleDateString('en-GB', { dateStyle: 'long', timeZone: 'UTC' });

const SERVICE_LABELS: Record<string, string> = { messaging: 'Messaging', meetings: 'Meetings', calling: 'Calling' };
export const serviceLabel = (service: string) => SERVICE_LABELS[service] ?? service;

export function countryName(code: string): string {
  try {
    return new Intl.DisplayNames(['en'], { type: 'region' }).of(code) ?? code;
  } catch {
    return code;
  }
}

const ICON_PATHS = {
  check: 'M5 12.5l4.5 4.5L19 7.5',
  pause: 'M9 6v12M15 6v12',
  mail: 'M4 6h16v12H4zM4 7l8 6 8-6',
  gear: 'M12 8.5a3.5 3.5 0 1 0 0 7 3.5 3.5 0 0 0 0-7zM12 3v2.5M12 18.5V21M3 12h2.5M18.5 12H21M5.6 5.6l1.8 1.8M16.6 16.6l1.8 1.8M5.6 18.4l1.8-1.8M16.6 7.4l1.8-1.8',
  info: 'M12 11v6M12 7.5v.5',
  cross: 'M7 7l10 10M17 7L7 17',
  restart: 'M5 12a7 7 0 1 0 2.1-5M5 4v4h4',
} as const;

export type IconName = keyof typeof ICON_PATHS;

/** Line icons drawn as SVG: no icon font, and no glyph a system font may lack. */
export function Icon({ name }: { name: IconName }) {
  return (
    <svg viewBox="0 0 24 24" width="1em" height="1em" fill="none" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true" focusable="false">
      <path d={ICON_PATHS[name]} />
    </svg>
  );
}
