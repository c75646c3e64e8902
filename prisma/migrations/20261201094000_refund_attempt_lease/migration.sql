-- When the payments worker last started asking Flutterwave for this refund (a lease, cleared when
-- the call fails): a second delivery of the same refund waits instead of calling at the same time.
ALTER TABLE "refunds" ADD COLUMN "attempt_started_at" TIMESTAMPTZ(3);
