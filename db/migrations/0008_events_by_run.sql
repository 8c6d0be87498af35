DROP INDEX "order_events_order_seq_uq";--> statement-breakpoint
DROP INDEX "link_tokens_order_issue_uq";--> statement-breakpoint
ALTER TABLE "link_tokens" ADD COLUMN "branch" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "order_events" ADD COLUMN "branch" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "order_events" ADD COLUMN "superseded_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "order_events_order_branch_seq_uq" ON "order_events" USING btree ("order_id","branch","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "order_events_order_seq_live_uq" ON "order_events" USING btree ("order_id","seq") WHERE "order_events"."superseded_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "link_tokens_order_issue_uq" ON "link_tokens" USING btree ("order_id","issue_key","branch");