-- Bookings module: bookings, their items (prices snapshotted at reservation) and the
-- per-user idempotency keys of POST /api/v1/bookings. Other modules' ids are plain columns.
CREATE TABLE "bookings" (
    "id" UUID NOT NULL,
    "reference" TEXT NOT NULL,
    "user_id" UUID NOT NULL,
    "campaign_id" UUID NOT NULL,
    "seller_id" UUID NOT NULL,
    "status" TEXT NOT NULL CHECK ("status" IN ('PENDING', 'CONFIRMED', 'EXPIRED', 'CANCELLED', 'REFUNDED')),
    "issuance" TEXT NOT NULL CHECK ("issuance" IN ('SINGLE', 'SEPARATE')),
    "currency" CHAR(3) NOT NULL,
    "total_minor" BIGINT NOT NULL CHECK ("total_minor" >= 0),
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "payment_ref" TEXT,
    "confirmed_at" TIMESTAMPTZ(3),
    "expired_at" TIMESTAMPTZ(3),
    "cancelled_at" TIMESTAMPTZ(3),
    "refunded_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "bookings_pkey" PRIMARY KEY ("id"),
    -- A confirmed (or later refunded) paid booking always says which payment paid it.
    CONSTRAINT "bookings_payment_ref_check" CHECK ("status" NOT IN ('CONFIRMED', 'REFUNDED') OR "total_minor" = 0 OR "payment_ref" IS NOT NULL)
);
CREATE UNIQUE INDEX "bookings_reference_key" ON "bookings"("reference");
CREATE INDEX "bookings_user_id_created_at_id_idx" ON "bookings"("user_id", "created_at" DESC, "id" DESC);
CREATE INDEX "bookings_campaign_id_user_id_idx" ON "bookings"("campaign_id", "user_id");
-- The expiry job's queue: only PENDING rows, in expiry order.
CREATE INDEX "bookings_pending_expires_at_idx" ON "bookings"("expires_at") WHERE "status" = 'PENDING';

CREATE TABLE "booking_items" (
    "id" UUID NOT NULL,
    "booking_id" UUID NOT NULL REFERENCES "bookings"("id"),
    "ticket_type_id" UUID NOT NULL,
    "ticket_type_name" TEXT NOT NULL,
    "unit_price_minor" INTEGER NOT NULL CHECK ("unit_price_minor" >= 0),
    "quantity" INTEGER NOT NULL CHECK ("quantity" > 0),
    "entries_per_ticket" INTEGER NOT NULL CHECK ("entries_per_ticket" >= 1),
    "line_total_minor" BIGINT NOT NULL CHECK ("line_total_minor" = "unit_price_minor"::BIGINT * "quantity"),
    CONSTRAINT "booking_items_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "booking_items_booking_id_ticket_type_id_key" ON "booking_items"("booking_id", "ticket_type_id");
CREATE INDEX "booking_items_ticket_type_id_idx" ON "booking_items"("ticket_type_id");

CREATE TABLE "booking_idempotency_keys" (
    "user_id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "response_status" INTEGER,
    "response_body" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "booking_idempotency_keys_pkey" PRIMARY KEY ("user_id", "key")
);
CREATE INDEX "booking_idempotency_keys_created_at_idx" ON "booking_idempotency_keys"("created_at");
