CREATE TABLE "email_send_leases" (
	"provider" text NOT NULL,
	"slot" integer NOT NULL,
	"held_until" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "email_send_leases_provider_slot_pk" PRIMARY KEY("provider","slot")
);
--> statement-breakpoint
CREATE TABLE "configuration_attempts" (
	"attempt_id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"outcome" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "configuration_attempts_outcome" CHECK ("configuration_attempts"."outcome" in ('committed', 'abandoned'))
);
