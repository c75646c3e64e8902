-- Validation module: gates, scanner devices and scans. campaign_id, ticket_id, ticket_type_id
-- and user_id are plain ids of other modules' rows (no FKs across modules).

CREATE TABLE "validation_gates" (
    "id" UUID NOT NULL,
    "campaign_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "validation_gates_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "validation_gates_name_check" CHECK (length("name") BETWEEN 1 AND 80)
);
CREATE UNIQUE INDEX "validation_gates_campaign_id_name_key" ON "validation_gates" ("campaign_id", lower("name"));

-- A device's secrets are stored as SHA-256 hashes only: a database dump cannot be replayed
-- as a device. enrol_token_hash is the single-use setup link (cleared when used).
CREATE TABLE "validation_devices" (
    "id" UUID NOT NULL,
    "campaign_id" UUID NOT NULL,
    "gate_id" UUID,
    "name" TEXT NOT NULL,
    "token_hash" BYTEA,
    "enrol_token_hash" BYTEA,
    "enrol_expires_at" TIMESTAMPTZ(3),
    "enrolled_at" TIMESTAMPTZ(3),
    "last_seen_at" TIMESTAMPTZ(3),
    "last_sync_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "created_by" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "validation_devices_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "validation_devices_gate_id_fkey" FOREIGN KEY ("gate_id") REFERENCES "validation_gates"("id"),
    CONSTRAINT "validation_devices_name_check" CHECK (length("name") BETWEEN 1 AND 80)
);
CREATE UNIQUE INDEX "validation_devices_token_hash_key" ON "validation_devices" ("token_hash");
CREATE UNIQUE INDEX "validation_devices_enrol_token_hash_key" ON "validation_devices" ("enrol_token_hash");
CREATE INDEX "validation_devices_campaign_id_idx" ON "validation_devices" ("campaign_id");

-- One row per scan the server has decided, keyed by the device-made scan_id: a retried or
-- re-uploaded scan finds its row and gets the same answer (`answer`, the JSON first sent).
-- counted = this scan moved the ticket's scan_count (+1 for an entry, -1 for an exit), so for
-- every ticket: scan_count = counted entries - counted exits (checked by the tests).
CREATE TABLE "validation_scans" (
    "id" UUID NOT NULL,
    "scan_id" UUID NOT NULL,
    "campaign_id" UUID,
    "ticket_id" UUID,
    "ticket_type_id" UUID,
    "device_id" UUID,
    "user_id" UUID,
    "gate_id" UUID,
    "type" TEXT NOT NULL,
    "scanned_at" TIMESTAMPTZ(3) NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL,
    "offline" BOOLEAN NOT NULL DEFAULT false,
    "device_result" TEXT,
    "device_reason" TEXT,
    "result" TEXT NOT NULL,
    "reason" TEXT,
    "counted" BOOLEAN NOT NULL DEFAULT false,
    "conflict" BOOLEAN NOT NULL DEFAULT false,
    "answer" JSONB NOT NULL,
    CONSTRAINT "validation_scans_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "validation_scans_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "validation_devices"("id"),
    CONSTRAINT "validation_scans_gate_id_fkey" FOREIGN KEY ("gate_id") REFERENCES "validation_gates"("id"),
    CONSTRAINT "validation_scans_type_check" CHECK ("type" IN ('entry', 'exit')),
    CONSTRAINT "validation_scans_result_check" CHECK ("result" IN ('ok', 'refused')),
    CONSTRAINT "validation_scans_device_result_check" CHECK ("device_result" IS NULL OR "device_result" IN ('ok', 'refused')),
    CONSTRAINT "validation_scans_actor_check" CHECK ("device_id" IS NOT NULL OR "user_id" IS NOT NULL),
    CONSTRAINT "validation_scans_counted_check" CHECK (NOT "counted" OR ("result" = 'ok' AND "ticket_id" IS NOT NULL))
);
CREATE UNIQUE INDEX "validation_scans_scan_id_key" ON "validation_scans" ("scan_id");
CREATE INDEX "validation_scans_ticket_id_idx" ON "validation_scans" ("ticket_id", "received_at");
CREATE INDEX "validation_scans_campaign_id_idx" ON "validation_scans" ("campaign_id", "received_at");
CREATE INDEX "validation_scans_conflict_idx" ON "validation_scans" ("campaign_id", "received_at") WHERE "conflict";
