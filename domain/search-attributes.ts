// Custom search attributes registered on the Temporal namespace, so reps (and the Web UI) can
// list orders by status from Temporal's visibility store as well as from the read model.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const OrderStatusKey = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);

/** Name → type, in the form `temporal server start-dev --search-attribute` takes. */
export const SEARCH_ATTRIBUTES = { OrderStatus: 'Keyword' } as const;
