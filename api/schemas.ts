// The HTTP contract of SPEC §4 as JSON Schemas: they validate input and document the OpenAPI.
import { Type, type Static } from 'typebox';
import { ORDER_STATUSES, PRODUCTS, SERVICES } from '../domain/order.js';

const Email = Type.String({ format: 'email', maxLength: 254 });
const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });

export const OrderIdParam = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
  description: 'The commerce system order id: letters, digits, `.`, `_`, `-`; at most 64 characters.',
});

export const OrderPayloadSchema = Type.Object(
  {
    orderId: OrderIdParam,
    product: Type.Enum(PRODUCTS),
    requestedStartDate: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD in `timezone`' }),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone; default UTC' })),
    provisioningContactEmail: Email,
    partner: Type.Object(
      { id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$' }), name: Name },
      { additionalProperties: false },
    ),
    customer: Type.Object(
      { name: Name, country: Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' }) },
      { additionalProperties: false },
    ),
    services: Type.Array(Type.Enum(SERVICES), { minItems: 1, uniqueItems: true }),
    rep: Type.Object({ name: Name, email: Email }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);
export type OrderPayloadBody = Static<typeof OrderPayloadSchema>;

export const OrderStatusSchema = Type.Enum(ORDER_STATUSES);

export const OrderSchema = Type.Object({
  orderId: Type.String(),
  status: OrderStatusSchema,
  escalated: Type.Boolean({ description: 'An escalation task is open: nobody started the wizard in time' }),
  product: Type.String(),
  requestedStartDate: Type.String(),
  timezone: Type.String(),
  startAt: Type.String({ format: 'date-time', description: 'When the "Configure now" email goes' }),
  provisioningContactEmail: Type.String(),
  partner: Type.Object({ id: Type.String(), name: Type.String() }),
  customer: Type.Object({ name: Type.String(), country: Type.String() }),
  services: Type.Array(Type.String()),
  rep: Type.Object({ name: Type.String(), email: Type.String() }),
  receivedAt: Type.String({ format: 'date-time' }),
});
export type OrderView = Static<typeof OrderSchema>;

export const TimelineEventSchema = Type.Object({
  seq: Type.Integer(),
  type: Type.String(),
  status: OrderStatusSchema,
  actor: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown()),
  occurredAt: Type.String({ format: 'date-time' }),
});

export const OrderDetailSchema = Type.Intersect([
  OrderSchema,
  Type.Object({
    live: Type.Boolean({ description: 'true: read from the running workflow; false: from the read model' }),
    link: Type.Optional(
      Type.Object(
        {
          audience: Type.Union([Type.Literal('contact'), Type.Literal('colleague'), Type.Literal('customer')]),
          email: Type.String(),
          expiresAt: Type.String({ format: 'date-time' }),
        },
        { description: 'The wizard link in use: whom it went to (after a hand-over, the new holder) and until when it works' },
      ),
    ),
    setupEmailSentAt: Type.Optional(Type.String({ format: 'date-time', description: 'When the "Configure now" email really went' })),
    workflow: Type.Object({ workflowId: Type.String(), temporalUiUrl: Type.Optional(Type.String()) }),
    tasks: Type.Array(
      Type.Object({
        kind: Type.String(),
        status: Type.String(),
        detail: Type.String(),
        openedAt: Type.String({ format: 'date-time' }),
        closedAt: Type.Optional(Type.String({ format: 'date-time' })),
        closedReason: Type.Optional(Type.String()),
      }),
    ),
    timeline: Type.Array(TimelineEventSchema),
  }),
]);
export type OrderDetail = Static<typeof OrderDetailSchema>;

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { $id: 'Problem' },
);
