// Resend's webhooks (SPEC §7.4): what became of each email. Verified with the Resend SDK over the
// exact bytes received (Svix signature, 5-minute timestamp tolerance), taken in once per Svix id,
// and handed to the order's workflow, which updates the email's status and the timeline and opens
// rep task `email-bounced` for a bounce or complaint; the API itself writes nothing.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Resend } from 'resend';
import { Type } from 'typebox';
import type { Database } from '../../db/client.js';
import { emailEventSeen, findEmailByProviderId } from '../../db/queries/email-events.js';
import type { EmailEventRequest } from '../../workflows/definitions.js';
import { ProblemError, unauthorized } from '../problem.js';
import type { WorkflowCalls } from '../workflow-calls.js';

const TRACKED = {
  'email.delivered': 'delivered',
  'email.delivery_delayed': 'delivery_delayed',
  'email.bounced': 'bounced',
  'email.complained': 'complained',
} as const satisfies Record<string, EmailEventRequest['status']>;

const header = (value: string | string[] | undefined): string => (typeof value === 'string' ? value : '');

const Answer = Type.Object({ outcome: Type.Enum(['recorded', 'duplicate', 'ignored']), detail: Type.Optional(Type.String()) });

const emailEvents: FastifyPluginAsyncTypebox<{ database: Database; calls: WorkflowCalls; webhookSecret: string | undefined }> = async (
  app,
  { database, calls, webhookSecret },
) => {
  // Only webhooks.verify is used: it needs no API key.
  const resend = new Resend('re_verify_only');

  app.post(
    '/api/email-events',
    {
      schema: {
        tags: ['email'],
        summary: "Resend's email events (Svix-signed webhooks)",
        description:
          'Signed by Resend with `svix-id`, `svix-timestamp`, `svix-signature` (RESEND_WEBHOOK_SECRET). email.delivered, email.delivery_delayed, ' +
          'email.bounced and email.complained update the email and the order; other types and emails this service did not send are answered 202 and change nothing.',
        headers: Type.Object({
          'svix-id': Type.Optional(Type.String({ maxLength: 200 })),
          'svix-timestamp': Type.Optional(Type.String({ maxLength: 20 })),
          'svix-signature': Type.Optional(Type.String({ maxLength: 2000 })),
        }),
        // Resend's event envelope; checked after the signature, so an unsigned request learns nothing of it.
        body: Type.Object({ type: Type.String({ maxLength: 100 }), data: Type.Object({}, { additionalProperties: true }) }, { additionalProperties: true }),
        response: { 200: Answer, 202: Answer, 401: Type.Ref('Problem'), 409: Type.Ref('Problem'), 503: Type.Ref('Problem') },
      },
      // Authenticate before reading anything: an unsigned or stale event learns nothing and changes nothing.
      preValidation: async (request) => {
        if (!webhookSecret) throw unauthorized('RESEND_WEBHOOK_SECRET is not set: no event can be verified.');
        try {
          resend.webhooks.verify({
            payload: request.rawBody ?? '',
            headers: { id: header(request.headers['svix-id']), timestamp: header(request.headers['svix-timestamp']), signature: header(request.headers['svix-signature']) },
            webhookSecret,
          });
        } catch {
          throw unauthorized('The event is unsigned, wrongly signed or stale.');
        }
      },
    },
    async (request, reply) => {
      const svixId = header(request.headers['svix-id']);
      const event = request.body as { type: string; data: { email_id?: unknown; bounce?: { message?: unknown } } };
      const status = TRACKED[event.type as keyof typeof TRACKED] as EmailEventRequest['status'] | undefined;
      const emailId = event.data.email_id;
      if (!status || typeof emailId !== 'string') return reply.code(202).send({ outcome: 'ignored', detail: 'Not an event this service tracks.' });
      const email = await findEmailByProviderId(database.db, emailId);
      if (!email) return reply.code(202).send({ outcome: 'ignored', detail: 'No email of this service has that id.' });
      if (await emailEventSeen(database.db, svixId)) return { outcome: 'duplicate' as const };
      const reason = event.data.bounce?.message;
      try {
        const { recorded } = await calls.emailEvent(email.orderId, {
          svixId,
          status,
          providerMessageId: emailId,
          purpose: email.purpose,
          to: email.recipient,
          ...(typeof reason === 'string' ? { reason: reason.slice(0, 500) } : {}),
        });
        return { outcome: recorded ? ('recorded' as const) : ('duplicate' as const) };
      } catch (error) {
        // The order's workflow has completed: nothing is left to change, and a retry would not help.
        if (error instanceof ProblemError && error.status === 409) return reply.code(202).send({ outcome: 'ignored', detail: 'The order has ended.' });
        throw error;
      }
    },
  );
};

export default emailEvents;
