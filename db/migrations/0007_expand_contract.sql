CREATE TABLE "schema_migration_releases" (
	"hash" text PRIMARY KEY NOT NULL,
	"created_at" bigint NOT NULL,
	"tag" text NOT NULL,
	"schema_version" integer NOT NULL,
	"contract" boolean NOT NULL
);
--> statement-breakpoint
CREATE TABLE "service_processes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"role" text NOT NULL,
	"build_id" text NOT NULL,
	"schema_version" integer NOT NULL,
	"host" text NOT NULL,
	"pid" integer NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "service_processes_last_seen_idx" ON "service_processes" USING btree ("last_seen_at");