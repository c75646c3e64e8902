-- Reviews module: one review per booking (the unique key enforces "once per booking" under
-- concurrent posts), one seller answer (reply set once, guarded by "reply IS NULL" in the UPDATE),
-- admin hiding. Booking, campaign, seller and user ids are other modules' ids: plain columns.
CREATE TABLE "reviews" (
    "id" UUID NOT NULL,
    "booking_id" UUID NOT NULL,
    "campaign_id" UUID NOT NULL,
    "seller_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "author_name" TEXT NOT NULL,
    "rating" SMALLINT NOT NULL,
    "body" TEXT NOT NULL DEFAULT '',
    "editable_until" TIMESTAMPTZ(3) NOT NULL,
    "reply" TEXT,
    "replied_at" TIMESTAMPTZ(3),
    "replied_by" UUID,
    "hidden_at" TIMESTAMPTZ(3),
    "hidden_by" UUID,
    "hidden_reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "reviews_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "reviews_rating_check" CHECK ("rating" BETWEEN 1 AND 5),
    CONSTRAINT "reviews_body_check" CHECK (char_length("body") <= 2000),
    CONSTRAINT "reviews_reply_check" CHECK ("reply" IS NULL OR (char_length("reply") <= 2000 AND "replied_at" IS NOT NULL))
);
CREATE UNIQUE INDEX "reviews_booking_id_key" ON "reviews"("booking_id");
CREATE INDEX "reviews_campaign_id_created_at_id_idx" ON "reviews"("campaign_id", "created_at" DESC, "id" DESC);
CREATE INDEX "reviews_seller_id_idx" ON "reviews"("seller_id");
