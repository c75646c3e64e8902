-- Bookings: when a late payment found its seats sold and was given other seats of the same
-- zone instead (bookings.seats.ts retakeBookingSeats), so the booking page can say so.
ALTER TABLE "bookings" ADD COLUMN "seats_changed_at" TIMESTAMPTZ(3);
