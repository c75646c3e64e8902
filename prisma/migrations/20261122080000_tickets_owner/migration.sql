-- Tickets module: each ticket keeps its buyer's user id (a plain id of the auth module's row, no FK),
-- so "my tickets" and the buyer-only PDF routes are answered from the tickets table alone.
ALTER TABLE "tickets" ADD COLUMN "user_id" UUID;
-- Tickets issued before this migration take their booking's buyer. Until now nothing in the
-- platform issued tickets (the worker arrives with this migration), so this normally touches no
-- row; a ticket whose booking is missing leaves user_id NULL and the next statement fails loudly
-- instead of guessing an owner.
UPDATE "tickets" t SET "user_id" = b."user_id" FROM "bookings" b WHERE b."id" = t."booking_id" AND t."user_id" IS NULL;
ALTER TABLE "tickets" ALTER COLUMN "user_id" SET NOT NULL;
-- "My tickets", newest booking first, a booking's tickets in order (keyset pagination).
CREATE INDEX "tickets_user_id_created_at_idx" ON "tickets" ("user_id", "created_at" DESC, "booking_id", "booking_position");
