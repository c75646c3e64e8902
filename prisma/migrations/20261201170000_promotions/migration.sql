-- Promotions module: promo codes of a campaign and one use row per booking that applied one.
-- `uses` counts the uses not given back (HELD + CONFIRMED); it moves only together with a use
-- row's status, in the booking's own transaction (see promotions.uses.ts). Campaign, seller,
-- ticket type, booking and user ids are plain columns (other modules' ids).
CREATE TABLE "promo_codes" (
    "id" UUID NOT NULL,
    "campaign_id" UUID NOT NULL,
    "seller_id" UUID NOT NULL,
    "code" TEXT NOT NULL CHECK ("code" ~ '^[A-Z0-9_-]{3,32}$'),
    "kind" TEXT NOT NULL CHECK ("kind" IN ('PERCENT', 'FIXED')),
    "percent_off" INTEGER,
    "amount_off_minor" BIGINT,
    "currency" CHAR(3) NOT NULL,
    -- The discount applies to these types; empty: to every type.
    "ticket_type_ids" UUID[] NOT NULL DEFAULT '{}',
    -- Hidden types this code makes bookable (as their access link would).
    "unlocks_ticket_type_ids" UUID[] NOT NULL DEFAULT '{}',
    "valid_from" TIMESTAMPTZ(3),
    "valid_until" TIMESTAMPTZ(3),
    "max_uses" INTEGER CHECK ("max_uses" IS NULL OR "max_uses" >= 1),
    "max_uses_per_buyer" INTEGER CHECK ("max_uses_per_buyer" IS NULL OR "max_uses_per_buyer" >= 1),
    "uses" INTEGER NOT NULL DEFAULT 0,
    "batch_id" UUID,
    "active" BOOLEAN NOT NULL DEFAULT TRUE,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "promo_codes_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "promo_codes_uses_check" CHECK ("uses" >= 0),
    CONSTRAINT "promo_codes_value_check" CHECK (
        ("kind" = 'PERCENT' AND "percent_off" BETWEEN 0 AND 100 AND "amount_off_minor" IS NULL)
        OR ("kind" = 'FIXED' AND "amount_off_minor" >= 1 AND "percent_off" IS NULL)),
    CONSTRAINT "promo_codes_window_check" CHECK ("valid_from" IS NULL OR "valid_until" IS NULL OR "valid_from" < "valid_until")
);
CREATE UNIQUE INDEX "promo_codes_campaign_id_code_key" ON "promo_codes" ("campaign_id", "code");
CREATE INDEX "promo_codes_batch_id_idx" ON "promo_codes" ("batch_id") WHERE "batch_id" IS NOT NULL;

CREATE TABLE "promo_code_uses" (
    "booking_id" UUID NOT NULL,
    "promo_code_id" UUID NOT NULL REFERENCES "promo_codes" ("id"),
    "campaign_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "discount_minor" BIGINT NOT NULL CHECK ("discount_minor" >= 0),
    "total_minor" BIGINT NOT NULL CHECK ("total_minor" >= 0),
    "status" TEXT NOT NULL CHECK ("status" IN ('HELD', 'CONFIRMED', 'RELEASED')),
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "promo_code_uses_pkey" PRIMARY KEY ("booking_id")
);
-- The per-buyer count: uses not given back, per code and buyer.
CREATE INDEX "promo_code_uses_code_user_idx" ON "promo_code_uses" ("promo_code_id", "user_id") WHERE "status" <> 'RELEASED';

-- Bookings: the code applied and the discount (the total is already net of it).
ALTER TABLE "bookings" ADD COLUMN "promo_code_id" UUID;
ALTER TABLE "bookings" ADD COLUMN "promo_code" TEXT;
ALTER TABLE "bookings" ADD COLUMN "discount_minor" BIGINT NOT NULL DEFAULT 0;
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_discount_check"
    CHECK ("discount_minor" >= 0 AND ("discount_minor" = 0 OR "promo_code_id" IS NOT NULL));
-- Each line's share of the booking's discount (analytics' revenue per type is net of it).
ALTER TABLE "booking_items" ADD COLUMN "discount_minor" BIGINT NOT NULL DEFAULT 0;
ALTER TABLE "booking_items" ADD CONSTRAINT "booking_items_discount_check"
    CHECK ("discount_minor" >= 0 AND "discount_minor" <= "line_total_minor");
