-- Notifications module: in-app notifications, one row per user and source (a domain event's id,
-- or a once-only fact such as "campaign X is half sold"). The unique (user_id, source_key) is what
-- makes a redelivered event, or two workers racing on one, store a single notification.
CREATE TABLE "notifications" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "source_key" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "read_at" TIMESTAMPTZ(3),
    CONSTRAINT "notifications_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "notifications_title_check" CHECK (char_length("title") <= 200),
    CONSTRAINT "notifications_body_check" CHECK (char_length("body") <= 1000),
    CONSTRAINT "notifications_url_check" CHECK ("url" LIKE '/%' AND char_length("url") <= 500)
);
CREATE UNIQUE INDEX "notifications_user_id_source_key_key" ON "notifications"("user_id", "source_key");
CREATE INDEX "notifications_user_id_created_at_id_idx" ON "notifications"("user_id", "created_at" DESC, "id" DESC);
-- The bell's count on every page: only unread rows are indexed.
CREATE INDEX "notifications_unread_idx" ON "notifications"("user_id") WHERE "read_at" IS NULL;

-- Campaigns module: the seller's low-stock threshold per ticket type (NULL: the default rule,
-- min(10, ceil(10 % of capacity)); 0: never warn) and when the type last crossed it (NULL while
-- above it). The guarded UPDATE on low_stock_at makes each crossing fire once.
ALTER TABLE "ticket_types" ADD COLUMN "low_stock_threshold" INTEGER;
ALTER TABLE "ticket_types" ADD COLUMN "low_stock_at" TIMESTAMPTZ(3);
ALTER TABLE "ticket_types" ADD CONSTRAINT "ticket_types_low_stock_threshold_check"
    CHECK ("low_stock_threshold" IS NULL OR "low_stock_threshold" >= 0);

-- Bookings module: the hold expiry a "your hold ends soon" notice was sent for (an extended hold
-- has a new expires_at, so it is warned again).
-- (The scheduler finds due holds through the existing partial index on PENDING expires_at.)
ALTER TABLE "bookings" ADD COLUMN "expiry_warned_for" TIMESTAMPTZ(3);
