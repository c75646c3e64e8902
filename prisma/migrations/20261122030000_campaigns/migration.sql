-- Campaigns module: campaigns, ticket types (with the inventory counters) and daily views.
CREATE TABLE "campaigns" (
    "id" UUID NOT NULL,
    "seller_id" UUID NOT NULL,
    "kind" TEXT NOT NULL CHECK ("kind" IN ('EVENT', 'BAR', 'SPORTS', 'HOTEL', 'OTHER')),
    "title" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "venue_name" TEXT NOT NULL,
    "venue_address" TEXT NOT NULL,
    "city" TEXT NOT NULL,
    "country" CHAR(2) NOT NULL,
    "latitude" DECIMAL(9,6),
    "longitude" DECIMAL(9,6),
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "ends_at" TIMESTAMPTZ(3) NOT NULL,
    "timezone" TEXT NOT NULL,
    "sale_starts_at" TIMESTAMPTZ(3),
    "sale_ends_at" TIMESTAMPTZ(3),
    "currency" CHAR(3) NOT NULL,
    "cover_image_key" TEXT,
    "tags" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "max_tickets_per_customer" INTEGER NOT NULL DEFAULT 10 CHECK ("max_tickets_per_customer" > 0),
    "entry_mode" TEXT NOT NULL DEFAULT 'SINGLE' CHECK ("entry_mode" IN ('SINGLE', 'MULTI')),
    "scans_per_ticket" INTEGER NOT NULL DEFAULT 1 CHECK ("scans_per_ticket" > 0),
    "refund_policy" TEXT NOT NULL DEFAULT '',
    "refund_deadline_hours" INTEGER CHECK ("refund_deadline_hours" >= 0),
    "status" TEXT NOT NULL DEFAULT 'DRAFT' CHECK ("status" IN ('DRAFT', 'ACTIVE', 'PAUSED', 'ENDED', 'CANCELLED')),
    "cancel_reason" TEXT,
    "published_at" TIMESTAMPTZ(3),
    "ended_at" TIMESTAMPTZ(3),
    "cancelled_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "campaigns_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "campaigns_dates_check" CHECK ("ends_at" > "starts_at")
);
CREATE UNIQUE INDEX "campaigns_slug_key" ON "campaigns"("slug");
CREATE INDEX "campaigns_status_starts_at_idx" ON "campaigns"("status", "starts_at");
CREATE INDEX "campaigns_seller_id_idx" ON "campaigns"("seller_id");
CREATE INDEX "campaigns_tags_idx" ON "campaigns" USING GIN ("tags");
-- Full-text search over title, description and venue (browse filter `q`).
ALTER TABLE "campaigns" ADD COLUMN "search" tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', coalesce("title", '')), 'A') ||
    setweight(to_tsvector('simple', coalesce("venue_name", '') || ' ' || coalesce("city", '')), 'B') ||
    setweight(to_tsvector('simple', coalesce("description", '')), 'C')
) STORED;
CREATE INDEX "campaigns_search_idx" ON "campaigns" USING GIN ("search");

CREATE TABLE "ticket_types" (
    "id" UUID NOT NULL,
    "campaign_id" UUID NOT NULL REFERENCES "campaigns"("id"),
    "name" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "price_minor" INTEGER NOT NULL CHECK ("price_minor" >= 0),
    "capacity" INTEGER NOT NULL CHECK ("capacity" >= 0),
    "reserved" INTEGER NOT NULL DEFAULT 0,
    "sold" INTEGER NOT NULL DEFAULT 0,
    "min_per_order" INTEGER NOT NULL DEFAULT 1 CHECK ("min_per_order" >= 1),
    "max_per_order" INTEGER NOT NULL DEFAULT 10,
    "sale_starts_at" TIMESTAMPTZ(3),
    "sale_ends_at" TIMESTAMPTZ(3),
    "entries_per_ticket" INTEGER NOT NULL DEFAULT 1 CHECK ("entries_per_ticket" >= 1),
    "hidden" BOOLEAN NOT NULL DEFAULT false,
    "access_code" TEXT,
    "sort_order" INTEGER NOT NULL DEFAULT 0,
    "attributes" JSONB NOT NULL DEFAULT '{}',
    "has_bookings" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ticket_types_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "ticket_types_order_limits_check" CHECK ("max_per_order" >= "min_per_order"),
    -- The inventory invariant, enforced by the database whatever the code does.
    CONSTRAINT "ticket_types_stock_check" CHECK ("reserved" >= 0 AND "sold" >= 0 AND "sold" + "reserved" <= "capacity"),
    CONSTRAINT "ticket_types_attributes_object" CHECK (jsonb_typeof("attributes") = 'object')
);
CREATE UNIQUE INDEX "ticket_types_campaign_id_code_key" ON "ticket_types"("campaign_id", "code");
CREATE INDEX "ticket_types_campaign_id_idx" ON "ticket_types"("campaign_id");

CREATE TABLE "campaign_daily_views" (
    "campaign_id" UUID NOT NULL,
    "day" DATE NOT NULL,
    "views" INTEGER NOT NULL,
    CONSTRAINT "campaign_daily_views_pkey" PRIMARY KEY ("campaign_id", "day")
);
