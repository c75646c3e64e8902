-- Tickets module: campaign signing keys, tickets, per-campaign serial counters.
-- campaign_id, booking_id and ticket_type_id are plain ids of other modules' rows (no FKs).

-- Ed25519 keys. ACTIVE signs new tickets (one per campaign); ROTATED still verifies tickets
-- already issued; RETIRED verifies nothing and is no longer sent to gate devices.
CREATE TABLE "ticket_signing_keys" (
    "id" UUID NOT NULL,
    "campaign_id" UUID NOT NULL,
    "key_id" INTEGER NOT NULL,
    "public_key" BYTEA NOT NULL,
    "private_key_encrypted" BYTEA NOT NULL,
    "status" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "rotated_at" TIMESTAMPTZ(3),
    "retired_at" TIMESTAMPTZ(3),
    CONSTRAINT "ticket_signing_keys_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "ticket_signing_keys_status_check" CHECK ("status" IN ('ACTIVE', 'ROTATED', 'RETIRED')),
    CONSTRAINT "ticket_signing_keys_key_id_check" CHECK ("key_id" BETWEEN 1 AND 65535),
    CONSTRAINT "ticket_signing_keys_public_key_check" CHECK (octet_length("public_key") = 32)
);
CREATE UNIQUE INDEX "ticket_signing_keys_campaign_id_key_id_key" ON "ticket_signing_keys" ("campaign_id", "key_id");
-- At most one signing key per campaign, whatever the application does.
CREATE UNIQUE INDEX "ticket_signing_keys_one_active_idx" ON "ticket_signing_keys" ("campaign_id") WHERE "status" = 'ACTIVE';

-- Next serial per campaign; the row lock taken by the allocating UPDATE serialises issuers of
-- one campaign for the rest of their transaction, so serials are unique and gapless.
CREATE TABLE "ticket_serial_counters" (
    "campaign_id" UUID NOT NULL,
    "last_serial" INTEGER NOT NULL,
    CONSTRAINT "ticket_serial_counters_pkey" PRIMARY KEY ("campaign_id"),
    CONSTRAINT "ticket_serial_counters_last_serial_check" CHECK ("last_serial" >= 0)
);

CREATE TABLE "tickets" (
    "id" UUID NOT NULL,
    "booking_id" UUID NOT NULL,
    "booking_position" INTEGER NOT NULL,
    "campaign_id" UUID NOT NULL,
    "ticket_type_id" UUID NOT NULL,
    "serial" INTEGER NOT NULL,
    "holder_name" TEXT NOT NULL,
    "admits" INTEGER NOT NULL,
    "max_scans" INTEGER NOT NULL,
    "scan_count" INTEGER NOT NULL DEFAULT 0,
    "status" TEXT NOT NULL DEFAULT 'VALID',
    "valid_from" TIMESTAMPTZ(3) NOT NULL,
    "valid_until" TIMESTAMPTZ(3) NOT NULL,
    "key_id" INTEGER NOT NULL,
    "qr_payload" BYTEA NOT NULL,
    "file_key" TEXT,
    "revoked_at" TIMESTAMPTZ(3),
    "revoked_reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "tickets_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "tickets_status_check" CHECK ("status" IN ('VALID', 'REVOKED')),
    CONSTRAINT "tickets_revoked_check" CHECK (("status" = 'REVOKED') = ("revoked_at" IS NOT NULL)),
    CONSTRAINT "tickets_revoked_reason_check" CHECK ("revoked_reason" IS NULL OR "revoked_reason" IN ('CANCELLED', 'REFUNDED', 'REISSUED')),
    CONSTRAINT "tickets_admits_check" CHECK ("admits" >= 1),
    CONSTRAINT "tickets_max_scans_check" CHECK ("max_scans" BETWEEN 1 AND 65535),
    -- Entries never exceed what the ticket allows, even if a caller's guard is wrong.
    CONSTRAINT "tickets_scan_count_check" CHECK ("scan_count" >= 0 AND "scan_count" <= "max_scans"),
    CONSTRAINT "tickets_window_check" CHECK ("valid_until" > "valid_from"),
    CONSTRAINT "tickets_serial_check" CHECK ("serial" >= 1)
);
CREATE UNIQUE INDEX "tickets_campaign_id_serial_key" ON "tickets" ("campaign_id", "serial");
-- Backstop for issuance idempotency: a booking's tickets are numbered 1..n once.
CREATE UNIQUE INDEX "tickets_booking_id_booking_position_key" ON "tickets" ("booking_id", "booking_position");
-- The revocation list gate devices download, per campaign.
CREATE INDEX "tickets_revoked_idx" ON "tickets" ("campaign_id", "revoked_at") WHERE "status" = 'REVOKED';
