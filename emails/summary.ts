// What an email shows about an order, taken from the order as the workflow holds it. Its own
// module, free of the message catalogs, because workflow code builds it.
import { type Locale, orderLocale } from '../domain/locale.js';
import type { OrderPayload, Product, Service } from '../domain/order.js';

/** What an email shows about an order. */
export interface OrderSummary {
  orderId: string;
  product: Product;
  services: Service[];
  customer: { name: string; country: string };
  partner: { name: string };
  /** `YYYY-MM-DD` in `timezone`. */
  requestedStartDate: string;
  /** IANA zone in which dates and times are shown. */
  timezone: string;
  /** Language of the emails to the contact, colleague and customer; unset in summaries built before locales existed: the default. */
  locale?: Locale;
}

/** The summary fields of an order as the workflow holds it. Pure: usable in workflow code. */
export function orderSummary(order: OrderPayload & { timezone: string }): OrderSummary {
  return {
    orderId: order.orderId,
    product: order.product,
    services: [...order.services],
    customer: { name: order.customer.name, country: order.customer.country },
    partner: { name: order.partner.name },
    requestedStartDate: order.requestedStartDate,
    timezone: order.timezone,
    locale: orderLocale(order),
  };
}
