-- Bookings module: waiting lists of sold-out ticket types and the offers made from them.
-- An OPEN offer holds its quantity in the ticket type's `reserved` counter, exactly like a
-- PENDING booking: reserved = Σ PENDING booking items + Σ OPEN offers (see bookings.waitlist.ts).
CREATE TABLE "waitlist_entries" (
    "id" UUID NOT NULL,
    "ticket_type_id" UUID NOT NULL,
    "campaign_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "quantity" INTEGER NOT NULL CHECK ("quantity" BETWEEN 1 AND 1000),
    "status" TEXT NOT NULL CHECK ("status" IN ('WAITING', 'OFFERED', 'CLAIMED', 'PASSED', 'LEFT')),
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "waitlist_entries_pkey" PRIMARY KEY ("id")
);
-- One live entry per buyer and type.
CREATE UNIQUE INDEX "waitlist_entries_live_key" ON "waitlist_entries" ("ticket_type_id", "user_id")
    WHERE "status" IN ('WAITING', 'OFFERED');
-- The line: waiting entries of a type in arrival order.
CREATE INDEX "waitlist_entries_line_idx" ON "waitlist_entries" ("ticket_type_id", "created_at", "id")
    WHERE "status" = 'WAITING';
CREATE INDEX "waitlist_entries_user_idx" ON "waitlist_entries" ("user_id", "created_at" DESC);

CREATE TABLE "waitlist_offers" (
    "id" UUID NOT NULL,
    "entry_id" UUID NOT NULL REFERENCES "waitlist_entries" ("id"),
    "ticket_type_id" UUID NOT NULL,
    "campaign_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "quantity" INTEGER NOT NULL CHECK ("quantity" >= 1),
    "status" TEXT NOT NULL CHECK ("status" IN ('OPEN', 'CLAIMED', 'EXPIRED', 'WITHDRAWN')),
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "booking_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "waitlist_offers_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "waitlist_offers_claimed_check" CHECK (("status" = 'CLAIMED') = ("booking_id" IS NOT NULL))
);
CREATE UNIQUE INDEX "waitlist_offers_entry_id_key" ON "waitlist_offers" ("entry_id");
CREATE UNIQUE INDEX "waitlist_offers_booking_id_key" ON "waitlist_offers" ("booking_id") WHERE "booking_id" IS NOT NULL;
CREATE INDEX "waitlist_offers_open_expires_at_idx" ON "waitlist_offers" ("expires_at") WHERE "status" = 'OPEN';
CREATE INDEX "waitlist_offers_type_open_idx" ON "waitlist_offers" ("ticket_type_id") WHERE "status" = 'OPEN';
