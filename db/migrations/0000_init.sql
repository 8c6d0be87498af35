CREATE TABLE "email_deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"purpose" text NOT NULL,
	"recipient" text NOT NULL,
	"subject" text NOT NULL,
	"html" text,
	"text" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"provider_message_id" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "email_deliveries_status_ck" CHECK ("email_deliveries"."status" in ('pending', 'sent', 'outbox', 'rejected', 'skipped'))
);
--> statement-breakpoint
CREATE TABLE "link_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" text NOT NULL,
	"issue_key" text NOT NULL,
	"token_hash" text NOT NULL,
	"recipient_email" text NOT NULL,
	"audience" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"revoked_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "order_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"seq" integer NOT NULL,
	"type" text NOT NULL,
	"status" text NOT NULL,
	"actor" text NOT NULL,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "orders" (
	"order_id" text PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"product" text NOT NULL,
	"partner_id" text NOT NULL,
	"partner_name" text NOT NULL,
	"customer_name" text NOT NULL,
	"contact_email" text NOT NULL,
	"rep_email" text NOT NULL,
	"requested_start_date" date NOT NULL,
	"timezone" text NOT NULL,
	"start_at" timestamp with time zone NOT NULL,
	"escalated" boolean DEFAULT false NOT NULL,
	"payload" jsonb NOT NULL,
	"payload_hash" text NOT NULL,
	"last_seq" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "orders_last_seq_positive" CHECK ("orders"."last_seq" > 0)
);
--> statement-breakpoint
CREATE TABLE "rep_tasks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" text NOT NULL,
	"kind" text NOT NULL,
	"task_key" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"detail" text NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone,
	"closed_reason" text
);
--> statement-breakpoint
CREATE TABLE "order_configurations" (
	"order_id" text PRIMARY KEY NOT NULL,
	"partner_org_id" uuid,
	"customer_org_id" uuid NOT NULL,
	"admin_user_id" uuid NOT NULL,
	"partner_admin_user_id" uuid,
	"committed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "order_configurations_partner_admin_has_org" CHECK ("order_configurations"."partner_admin_user_id" is null or "order_configurations"."partner_org_id" is not null)
);
--> statement-breakpoint
CREATE TABLE "org_users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"email" text NOT NULL,
	"role" text NOT NULL,
	"password_hash" text,
	"created_by_order_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "org_users_role" CHECK ("org_users"."role" in ('admin', 'user'))
);
--> statement-breakpoint
CREATE TABLE "organizations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"country" text NOT NULL,
	"address" text,
	"partner_id" text,
	"managed_by_org_id" uuid,
	"created_by_order_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "organizations_partner_has_id" CHECK (("organizations"."kind" = 'partner') = ("organizations"."partner_id" is not null)),
	CONSTRAINT "organizations_kind" CHECK ("organizations"."kind" in ('partner', 'customer')),
	CONSTRAINT "organizations_managed_is_customer" CHECK ("organizations"."managed_by_org_id" is null or "organizations"."kind" = 'customer')
);
--> statement-breakpoint
CREATE TABLE "billing_starts" (
	"order_id" text PRIMARY KEY NOT NULL,
	"subscription_id" uuid NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "meeting_sites" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" text NOT NULL,
	"subdomain" text NOT NULL,
	"status" text DEFAULT 'reserved' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"activated_at" timestamp with time zone,
	CONSTRAINT "meeting_sites_subdomain_format" CHECK ("meeting_sites"."subdomain" ~ '^[a-z0-9]([a-z0-9-]{1,61}[a-z0-9])$'),
	CONSTRAINT "meeting_sites_status" CHECK (("meeting_sites"."status" = 'reserved' and "meeting_sites"."activated_at" is null) or ("meeting_sites"."status" = 'active' and "meeting_sites"."activated_at" is not null))
);
--> statement-breakpoint
CREATE TABLE "subscriptions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" text NOT NULL,
	"customer_org_id" uuid NOT NULL,
	"services" text[] NOT NULL,
	"activated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "subscriptions_order_id_uq" UNIQUE("order_id","id"),
	CONSTRAINT "subscriptions_services_not_empty" CHECK (cardinality("subscriptions"."services") > 0)
);
--> statement-breakpoint
ALTER TABLE "email_deliveries" ADD CONSTRAINT "email_deliveries_order_id_orders_order_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("order_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "link_tokens" ADD CONSTRAINT "link_tokens_order_id_orders_order_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("order_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_events" ADD CONSTRAINT "order_events_order_id_orders_order_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("order_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rep_tasks" ADD CONSTRAINT "rep_tasks_order_id_orders_order_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("order_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_configurations" ADD CONSTRAINT "order_configurations_order_id_orders_order_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("order_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_configurations" ADD CONSTRAINT "order_configurations_partner_org_id_organizations_id_fk" FOREIGN KEY ("partner_org_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_configurations" ADD CONSTRAINT "order_configurations_customer_org_id_organizations_id_fk" FOREIGN KEY ("customer_org_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_configurations" ADD CONSTRAINT "order_configurations_admin_user_id_org_users_id_fk" FOREIGN KEY ("admin_user_id") REFERENCES "public"."org_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_configurations" ADD CONSTRAINT "order_configurations_partner_admin_user_id_org_users_id_fk" FOREIGN KEY ("partner_admin_user_id") REFERENCES "public"."org_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "org_users" ADD CONSTRAINT "org_users_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "org_users" ADD CONSTRAINT "org_users_created_by_order_id_orders_order_id_fk" FOREIGN KEY ("created_by_order_id") REFERENCES "public"."orders"("order_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organizations" ADD CONSTRAINT "organizations_managed_by_org_id_organizations_id_fk" FOREIGN KEY ("managed_by_org_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organizations" ADD CONSTRAINT "organizations_created_by_order_id_orders_order_id_fk" FOREIGN KEY ("created_by_order_id") REFERENCES "public"."orders"("order_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_starts" ADD CONSTRAINT "billing_starts_order_id_orders_order_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("order_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_starts" ADD CONSTRAINT "billing_starts_subscription_fk" FOREIGN KEY ("order_id","subscription_id") REFERENCES "public"."subscriptions"("order_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meeting_sites" ADD CONSTRAINT "meeting_sites_order_id_orders_order_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("order_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_order_id_orders_order_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("order_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_customer_org_id_organizations_id_fk" FOREIGN KEY ("customer_org_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "email_deliveries_key_uq" ON "email_deliveries" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "email_deliveries_order_idx" ON "email_deliveries" USING btree ("order_id","created_at");--> statement-breakpoint
CREATE INDEX "email_deliveries_outbox_idx" ON "email_deliveries" USING btree ("created_at" DESC NULLS LAST) WHERE "email_deliveries"."status" = 'outbox';--> statement-breakpoint
CREATE UNIQUE INDEX "link_tokens_order_issue_uq" ON "link_tokens" USING btree ("order_id","issue_key");--> statement-breakpoint
CREATE UNIQUE INDEX "link_tokens_hash_uq" ON "link_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "order_events_order_seq_uq" ON "order_events" USING btree ("order_id","seq");--> statement-breakpoint
CREATE INDEX "orders_status_created_idx" ON "orders" USING btree ("status","created_at" DESC NULLS LAST,"order_id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "orders_created_idx" ON "orders" USING btree ("created_at" DESC NULLS LAST,"order_id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "orders_escalated_idx" ON "orders" USING btree ("escalated") WHERE "orders"."escalated";--> statement-breakpoint
CREATE UNIQUE INDEX "rep_tasks_order_key_uq" ON "rep_tasks" USING btree ("order_id","task_key");--> statement-breakpoint
CREATE INDEX "rep_tasks_open_idx" ON "rep_tasks" USING btree ("opened_at") WHERE "rep_tasks"."status" = 'open';--> statement-breakpoint
CREATE UNIQUE INDEX "org_users_email_uq" ON "org_users" USING btree (lower("email"));--> statement-breakpoint
CREATE INDEX "org_users_domain_idx" ON "org_users" USING btree (lower(split_part("email", '@', 2)));--> statement-breakpoint
CREATE INDEX "org_users_org_idx" ON "org_users" USING btree ("org_id");--> statement-breakpoint
CREATE UNIQUE INDEX "organizations_partner_uq" ON "organizations" USING btree ("partner_id") WHERE "organizations"."kind" = 'partner';--> statement-breakpoint
CREATE UNIQUE INDEX "meeting_sites_subdomain_uq" ON "meeting_sites" USING btree (lower("subdomain"));--> statement-breakpoint
CREATE UNIQUE INDEX "meeting_sites_order_uq" ON "meeting_sites" USING btree ("order_id");--> statement-breakpoint
CREATE UNIQUE INDEX "subscriptions_order_uq" ON "subscriptions" USING btree ("order_id");