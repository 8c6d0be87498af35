// The email activity's failure types, shared by the activity that throws them and the workflow
// that tells them apart (it may not import the activity's module).

/** The provider refused the email for good (bad address, refused content): a rep changes the contact. */
export const EMAIL_REJECTED = 'EmailRejected';
/** The provider refused this service's key or sender: an operator's problem, not the address's. */
export const EMAIL_NOT_CONFIGURED = 'EmailNotConfigured';
/** Rate limit, provider outage, network error, timeout: retried by Temporal with backoff. */
export const EMAIL_DELIVERY_FAILED = 'EmailDeliveryFailed';
/** The request itself is malformed (a workflow bug): retrying cannot help. */
export const INVALID_EMAIL_REQUEST = 'InvalidEmailRequest';
