-- Why a booking was CANCELLED: NULL when its buyer cancelled it, 'CAMPAIGN_CANCELLED' when it was an
-- open hold of a campaign the seller cancelled (the booking page and email say so).
ALTER TABLE "bookings" ADD COLUMN "cancel_cause" TEXT;
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_cancel_cause_check"
    CHECK ("cancel_cause" IS NULL OR ("cancel_cause" = 'CAMPAIGN_CANCELLED' AND "status" <> 'PENDING'));
