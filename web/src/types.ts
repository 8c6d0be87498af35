// The API's answers as the pages use them: types only, taken from the one HTTP contract
// (contract/http.ts), so a field the API changes breaks this build rather than a page.
import type { Static } from 'typebox';
import type * as Contract from '../../contract/http.js';

export { ORDER_STATUSES, type OrderStatus } from '../../domain/order.js';
export { REP_TASK_REASONS, type RepTaskReason } from '../../domain/desk.js';

export type OrderView = Static<typeof Contract.OrderSchema>;
export type OrderPage = Static<typeof Contract.OrderPageSchema>;
export type OrderDetail = Static<typeof Contract.OrderDetailSchema>;
export type TimelineEvent = Static<typeof Contract.TimelineEventSchema>;
export type RepTask = Static<typeof Contract.RepTaskSchema>;
export type RepAction = Static<typeof Contract.RepActionSchema>;
export type RepActionBody = Static<typeof Contract.RepActionBodySchema>;
export type BulkActionBody = Static<typeof Contract.BulkActionBodySchema>;
export type BulkActionResult = Static<typeof Contract.BulkActionResultSchema>;
export type DeskTask = Static<typeof Contract.DeskTaskSchema>;
export type TaskPage = Static<typeof Contract.TaskPageSchema>;
export type WizardView = Static<typeof Contract.WizardViewSchema>;
export type WizardDraft = Static<typeof Contract.WizardDraftSchema>;
export type OrgSummary = Static<typeof Contract.OrgSummarySchema>;
export type CallingSettings = Static<typeof Contract.CallingSettingsSchema>;
export type SubdomainAnswer = Static<typeof Contract.SubdomainAnswerSchema>;
export type StepName = Contract.StepName;
export type SectionName = Contract.SectionName;
export type ConsentView = Static<typeof Contract.ConsentViewSchema>;
export type ConsentOutcome = Static<typeof Contract.ConsentOutcomeSchema>;
export type Problem = Contract.Problem;
export type FieldError = NonNullable<Problem['errors']>[number];
