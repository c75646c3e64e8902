-- Assigned seating (issue 18).

-- Venues module: reusable venue templates. seller_id NULL = a shared venue (made by a platform admin).
CREATE TABLE "venues" (
    "id" UUID NOT NULL,
    "seller_id" UUID,
    "name" TEXT NOT NULL,
    "city" TEXT NOT NULL DEFAULT '',
    -- Price zones: [{ "code", "name", "color" }] (labels only, never counters).
    "zones" JSONB NOT NULL DEFAULT '[]',
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_by" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "venues_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "venues_seller_id_idx" ON "venues"("seller_id");

CREATE TABLE "venue_sections" (
    "id" UUID NOT NULL,
    "venue_id" UUID NOT NULL REFERENCES "venues"("id") ON DELETE CASCADE,
    "name" TEXT NOT NULL,
    -- Best section first: the lower the rank, the earlier best-available looks there.
    "rank" INTEGER NOT NULL DEFAULT 0,
    "position" INTEGER NOT NULL DEFAULT 0,
    -- Rows front to back: [{ "label", "cells": [{ "kind": SEAT|GAP|AISLE, "label", "zone", "accessible", "restrictedView" }] }]
    "rows" JSONB NOT NULL DEFAULT '[]',
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "venue_sections_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "venue_sections_name_key" UNIQUE ("venue_id", "name")
);

-- Campaigns module: the copy of a venue's layout a seated campaign took at creation, and its seats.
CREATE TABLE "campaign_layouts" (
    "campaign_id" UUID NOT NULL REFERENCES "campaigns"("id"),
    "venue_id" UUID NOT NULL,
    "venue_version" INTEGER NOT NULL,
    "venue_name" TEXT NOT NULL,
    "zones" JSONB NOT NULL,
    -- Sections with rows and cells as copied (each seat cell carries its campaign_seats id).
    "sections" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "campaign_layouts_pkey" PRIMARY KEY ("campaign_id")
);

CREATE TABLE "campaign_seats" (
    "id" UUID NOT NULL,
    "campaign_id" UUID NOT NULL REFERENCES "campaign_layouts"("campaign_id"),
    "zone" TEXT NOT NULL,
    -- The seated ticket type selling this zone (NULL until the seller adds one).
    "ticket_type_id" UUID REFERENCES "ticket_types"("id"),
    "section_id" UUID NOT NULL,
    "section_name" TEXT NOT NULL,
    "section_rank" INTEGER NOT NULL,
    "row_index" INTEGER NOT NULL,
    "row_label" TEXT NOT NULL,
    "col_index" INTEGER NOT NULL,
    "seat_label" TEXT NOT NULL,
    "accessible" BOOLEAN NOT NULL DEFAULT false,
    "restricted_view" BOOLEAN NOT NULL DEFAULT false,
    "status" TEXT NOT NULL DEFAULT 'AVAILABLE' CHECK ("status" IN ('AVAILABLE', 'HELD', 'SOLD')),
    -- The booking holding or owning the seat: set exactly when the seat is not AVAILABLE.
    "booking_id" UUID,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "campaign_seats_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "campaign_seats_place_key" UNIQUE ("campaign_id", "section_id", "row_index", "col_index"),
    CONSTRAINT "campaign_seats_booking_check" CHECK (("status" = 'AVAILABLE') = ("booking_id" IS NULL))
);
CREATE INDEX "campaign_seats_ticket_type_idx" ON "campaign_seats"("ticket_type_id", "status");
CREATE INDEX "campaign_seats_booking_idx" ON "campaign_seats"("booking_id") WHERE "booking_id" IS NOT NULL;

-- A seated ticket type sells one price zone of the campaign's layout; one type per zone.
ALTER TABLE "ticket_types" ADD COLUMN "seat_zone" TEXT;
CREATE UNIQUE INDEX "ticket_types_seat_zone_key" ON "ticket_types"("campaign_id", "seat_zone") WHERE "seat_zone" IS NOT NULL;

-- Bookings module: the seats a booking asked for and got (labels as they were), kept after the hold
-- lapses so a late payment can take the same seats again.
CREATE TABLE "booking_seats" (
    "booking_id" UUID NOT NULL REFERENCES "bookings"("id"),
    "seat_id" UUID NOT NULL,
    "ticket_type_id" UUID NOT NULL,
    "section" TEXT NOT NULL,
    "row" TEXT NOT NULL,
    "seat" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    CONSTRAINT "booking_seats_pkey" PRIMARY KEY ("booking_id", "seat_id")
);

-- A buyer may extend a hold once (bookings.holds.ts).
ALTER TABLE "bookings" ADD COLUMN "hold_extended_at" TIMESTAMPTZ(3);
