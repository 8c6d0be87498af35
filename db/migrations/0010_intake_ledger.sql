CREATE TABLE "pending_partner_passwords" (
	"reference" uuid PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"password_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "intake_ledger" (
	"order_id" text PRIMARY KEY NOT NULL,
	"payload_hash" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone
);
--> statement-breakpoint
-- Orders taken before the ledger existed: their read model row says they were received and started.
INSERT INTO "intake_ledger" ("order_id", "payload_hash", "first_seen_at", "started_at")
SELECT "order_id", "payload_hash", "created_at", "created_at" FROM "orders"
ON CONFLICT DO NOTHING;
--> statement-breakpoint
ALTER TABLE "email_deliveries" DROP CONSTRAINT "email_deliveries_order_id_orders_order_id_fk";
--> statement-breakpoint
ALTER TABLE "link_tokens" DROP CONSTRAINT "link_tokens_order_id_orders_order_id_fk";
--> statement-breakpoint
ALTER TABLE "rep_tasks" DROP CONSTRAINT "rep_tasks_order_id_orders_order_id_fk";
--> statement-breakpoint
ALTER TABLE "order_configurations" DROP CONSTRAINT "order_configurations_order_id_orders_order_id_fk";
--> statement-breakpoint
ALTER TABLE "org_users" DROP CONSTRAINT "org_users_created_by_order_id_orders_order_id_fk";
--> statement-breakpoint
ALTER TABLE "organizations" DROP CONSTRAINT "organizations_created_by_order_id_orders_order_id_fk";
--> statement-breakpoint
ALTER TABLE "billing_starts" DROP CONSTRAINT "billing_starts_order_id_orders_order_id_fk";
--> statement-breakpoint
ALTER TABLE "meeting_sites" DROP CONSTRAINT "meeting_sites_order_id_orders_order_id_fk";
--> statement-breakpoint
ALTER TABLE "subscriptions" DROP CONSTRAINT "subscriptions_order_id_orders_order_id_fk";
--> statement-breakpoint
ALTER TABLE "webhook_deliveries" DROP CONSTRAINT "webhook_deliveries_order_id_orders_order_id_fk";
--> statement-breakpoint
ALTER TABLE "consent_requests" DROP CONSTRAINT "consent_requests_order_id_orders_order_id_fk";
--> statement-breakpoint
CREATE INDEX "pending_partner_passwords_order_idx" ON "pending_partner_passwords" USING btree ("order_id");