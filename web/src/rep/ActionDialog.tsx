// A rep action behind a confirmation: what it will do, the fields it needs, and a reason for the
// audit timeline. The workflow decides whether it is allowed; its refusal is shown in the dialog.
import { type FormEvent, useEffect, useState } from 'react';
import { api, ApiError } from '../api';
import type { OrderDetail, RepAction } from '../types';
import { Button, Dialog, fieldMessage, FormErrors, TextArea, TextField } from '../ui';
import { useForm } from '../wizard/useForm';

const ACTION_INPUTS = ['reason', 'email', 'requestedStartDate', 'partnerOrgId', 'customerOrgId'] as const;

const TITLES: Record<RepAction, string> = {
  resume: 'Resume this order?',
  'resend-link': 'Resend the setup link?',
  'change-contact': 'Change the provisioning contact?',
  reschedule: 'Move the start date?',
  cancel: 'Cancel this order?',
  'approve-consent': 'Approve for the organization?',
  'retry-provisioning': 'Run provisioning again?',
  'lift-session-cap': 'Let the wizard be opened again?',
};

function explanation(action: RepAction, order: OrderDetail): string {
  switch (action) {
    case 'resume':
      return `The hold ends and ${linkHolder(order)} gets a fresh link by email with your reason; earlier links stop working. If you name the right organization, the wizard proposes it instead.`;
    case 'resend-link':
      return `A new “Configure now” email goes to ${linkHolder(order)}. Every earlier link stops working, and a setup in progress is discarded.`;
    case 'change-contact':
      return order.status === 'SCHEDULED'
        ? 'The setup email will go to the new contact on the start date.'
        : 'The new contact gets a new “Configure now” email; every earlier link stops working.';
    case 'reschedule':
      return `The setup email goes on the new date at the usual time in ${order.timezone}.`;
    case 'cancel':
      return 'The order ends and every link stops working. This cannot be undone; the commerce system must order again.';
    case 'approve-consent':
      return 'Only when the existing customer organization has agreed: the order is set up in it (the point of no return), and its consent link stops working.';
    case 'retry-provisioning':
      return `Provisioning runs again with the saved service setup. What already exists is reused and billing starts once; ${linkHolder(order)} is emailed when the services are active.`;
    case 'lift-session-cap':
      return `The wizard refuses to open because it was started too many times. ${linkHolder(order)} may start it again, up to as many times more; talk to them first.`;
  }
}

interface Props {
  action: RepAction | undefined;
  order: OrderDetail;
  token: string;
  onClose: () => void;
  onDone: (message: string) => void;
  onUnauthorized: () => void;
}

export function ActionDialog({ action, order, token, onClose, onDone, onUnauthorized }: Props) {
  return (
    <Dialog open={action !== undefined} title={action ? TITLES[action] : ''} onClose={onClose}>
      {action && <ActionForm key={action} action={action} order={order} token={token} onClose={onClose} onDone={onDone} onUnauthorized={onUnauthorized} />}
    </Dialog>
  );
}

function ActionForm({ action, order, token, onClose, onDone, onUnauthorized }: Props & { action: RepAction }) {
  const form = useForm(ACTION_INPUTS);
  const [reason, setReason] = useState('');
  const [email, setEmail] = useState('');
  const [date, setDate] = useState(order.requestedStartDate);
  const [partnerOrgId, setPartnerOrgId] = useState('');
  const [customerOrgId, setCustomerOrgId] = useState('');

  // The first field to fill takes focus when the dialog opens.
  useEffect(() => {
    document.querySelector<HTMLElement>('dialog[open] input, dialog[open] textarea')?.focus();
  }, []);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void form.run(async () => {
      try {
        const body = {
          ...(reason.trim() ? { reason: reason.trim() } : {}),
          ...(action === 'change-contact' ? { email: email.trim() } : {}),
          ...(action === 'reschedule' ? { requestedStartDate: date } : {}),
          ...(action === 'resume' && partnerOrgId.trim() ? { partnerOrgId: partnerOrgId.trim() } : {}),
          ...(action === 'resume' && customerOrgId.trim() ? { customerOrgId: customerOrgId.trim() } : {}),
        };
        const answer = await api<{ status: string; provisioningContactEmail: string }>(
          `/api/orders/${encodeURIComponent(order.orderId)}/actions/${action}`,
          { method: 'POST', token, body },
        );
        onDone(doneMessage(action, answer.provisioningContactEmail, linkHolder(order)));
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) onUnauthorized();
        throw error;
      }
    });
  };

  return (
    <form id={form.formId} onChange={form.clearChanged} onSubmit={submit} noValidate>
      <p>{explanation(action, order)}</p>
      <FormErrors messages={form.formErrors} />
      {action === 'change-contact' && (
        <TextField
          label="New contact email"
          name="email"
          type="email"
          autoComplete="off"
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          error={form.fieldErrors.email && fieldMessage('Email', form.fieldErrors.email)}
        />
      )}
      {action === 'reschedule' && (
        <TextField
          label="New start date"
          name="requestedStartDate"
          type="date"
          value={date}
          onChange={(event) => setDate(event.target.value)}
          error={form.fieldErrors.requestedStartDate && fieldMessage('Start date', form.fieldErrors.requestedStartDate)}
        />
      )}
      {action === 'resume' && (
        <>
          <TextField
            label="Right partner organization id (optional)"
            name="partnerOrgId"
            autoComplete="off"
            value={partnerOrgId}
            onChange={(event) => setPartnerOrgId(event.target.value)}
            error={form.fieldErrors.partnerOrgId && fieldMessage('Partner organization id', form.fieldErrors.partnerOrgId)}
          />
          <TextField
            label="Right customer organization id (optional)"
            name="customerOrgId"
            autoComplete="off"
            value={customerOrgId}
            onChange={(event) => setCustomerOrgId(event.target.value)}
            error={form.fieldErrors.customerOrgId && fieldMessage('Customer organization id', form.fieldErrors.customerOrgId)}
          />
        </>
      )}
      <TextArea
        label={action === 'cancel' || action === 'resume' || action === 'lift-session-cap' ? 'Reason' : 'Reason (optional)'}
        name="reason"
        hint="Kept in the order’s timeline."
        maxLength={1000}
        value={reason}
        onChange={(event) => setReason(event.target.value)}
        error={form.fieldErrors.reason && fieldMessage('Reason', form.fieldErrors.reason)}
      />
      <div className="actions">
        <Button type="submit" variant={action === 'cancel' ? 'danger' : 'primary'} busy={form.busy}>
          {action === 'cancel' ? 'Cancel the order' : 'Confirm'}
        </Button>
        <Button variant="secondary" onClick={onClose} disabled={form.busy}>
          {action === 'cancel' ? 'Keep the order' : 'Back'}
        </Button>
      </div>
    </form>
  );
}

/** Whoever holds the wizard link now: after a hand-over, the colleague or customer, not the original contact. */
export function linkHolder(order: OrderDetail): string {
  return order.link?.email ?? order.provisioningContactEmail;
}

function doneMessage(action: RepAction, contact: string, holder: string): string {
  switch (action) {
    case 'resume':
      return `The order is resumed; a fresh link is on its way to ${holder}.`;
    case 'resend-link':
      return `A new setup link is on its way to ${holder}; the earlier links no longer work.`;
    case 'change-contact':
      return `The contact is now ${contact}.`;
    case 'reschedule':
      return 'The start date is moved.';
    case 'cancel':
      return 'The order is cancelled.';
    case 'approve-consent':
      return `Consent is recorded; the order is configured and ${holder} can continue with the service setup.`;
    case 'retry-provisioning':
      return `Provisioning runs again; ${holder} is emailed when the services are active.`;
    case 'lift-session-cap':
      return `The cap is lifted; ${holder} can open the wizard again.`;
  }
}
