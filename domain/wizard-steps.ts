// The wizard's steps (SPEC §3), in order: the workflow's reducer and the HTTP contract name them alike.
export const STEP_NAMES = [
  'role',
  'configurer',
  'partner-org',
  'customer-admin',
  'customer-org',
  'confirm',
  'partner-password',
  'subscription',
  'calling',
  'meetings',
  'provision',
] as const;
export type StepName = (typeof STEP_NAMES)[number];
