CREATE TABLE "order_data_keys" (
	"order_id" text PRIMARY KEY NOT NULL,
	"wrapped_key" text,
	"wrapping_key_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"destroyed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "privacy_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"actor" text NOT NULL,
	"reason" text,
	"order_ids" jsonb NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "personal_data_erased_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "privacy_requests_at_idx" ON "privacy_requests" USING btree ("at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "orders_retention_idx" ON "orders" USING btree ("updated_at") WHERE "orders"."personal_data_erased_at" is null and "orders"."status" in ('PROVISIONED', 'CANCELLED', 'EXPIRED');