-- Payments module: payment attempts (one Flutterwave tx_ref each), the authenticated webhook
-- events as received, and refunds. Other modules' ids (booking, user, campaign, seller) are plain
-- columns. Money is integer minor units with an ISO 4217 currency.

CREATE TABLE "payments" (
    "id" UUID NOT NULL,
    "booking_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "campaign_id" UUID NOT NULL,
    "seller_id" UUID NOT NULL,
    -- Our reference at Flutterwave: random, unguessable, never reused.
    "tx_ref" TEXT NOT NULL,
    -- What we expect to be paid, copied from the booking when the attempt was made.
    "amount_minor" BIGINT NOT NULL CHECK ("amount_minor" > 0),
    "currency" CHAR(3) NOT NULL,
    "status" TEXT NOT NULL CHECK ("status" IN ('OPEN', 'FAILED', 'SUCCEEDED', 'FLAGGED', 'EXPIRED')),
    -- For SUCCEEDED: whether the money bought the booking or has to go back.
    "booking_outcome" TEXT CHECK ("booking_outcome" IN ('CONFIRMED', 'REFUND_REQUIRED')),
    "outcome_reason" TEXT,
    "flw_transaction_id" BIGINT,
    "paid_minor" BIGINT,
    "failure_reason" TEXT,
    "problems" JSONB,
    -- When the hosted checkout stops taking payments (the booking's hold end).
    "checkout_expires_at" TIMESTAMPTZ(3) NOT NULL,
    -- The reconciliation job re-verifies OPEN/FAILED attempts from this time on.
    "next_check_at" TIMESTAMPTZ(3) NOT NULL,
    "verify_requested_at" TIMESTAMPTZ(3),
    "succeeded_at" TIMESTAMPTZ(3),
    "flagged_at" TIMESTAMPTZ(3),
    "failed_at" TIMESTAMPTZ(3),
    "expired_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "payments_pkey" PRIMARY KEY ("id"),
    -- A payment counts as paid only with the provider's transaction and at least the expected amount.
    CONSTRAINT "payments_succeeded_check" CHECK ("status" <> 'SUCCEEDED' OR ("flw_transaction_id" IS NOT NULL
        AND "paid_minor" >= "amount_minor" AND "booking_outcome" IS NOT NULL))
);
CREATE UNIQUE INDEX "payments_tx_ref_key" ON "payments"("tx_ref");
-- One live attempt per booking: re-initializing reuses it, so a booking never has two open checkouts.
CREATE UNIQUE INDEX "payments_one_live_attempt_per_booking" ON "payments"("booking_id") WHERE "status" IN ('OPEN', 'FAILED');
-- One Flutterwave transaction credits at most one payment.
CREATE UNIQUE INDEX "payments_flw_transaction_id_key" ON "payments"("flw_transaction_id") WHERE "flw_transaction_id" IS NOT NULL;
CREATE INDEX "payments_booking_id_idx" ON "payments"("booking_id");
-- The reconciliation job's queue.
CREATE INDEX "payments_reconcile_idx" ON "payments"("next_check_at") WHERE "status" IN ('OPEN', 'FAILED');

-- Authenticated webhooks exactly as Flutterwave sent them, once per provider event.
CREATE TABLE "webhook_events" (
    "id" UUID NOT NULL,
    -- "<event>:<flutterwave id>:<status>": a redelivery of the same event has the same key.
    "provider_key" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "flw_id" BIGINT NOT NULL,
    -- tx_ref for charges, our transfer reference for transfers.
    "reference" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "webhook_events_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "webhook_events_provider_key_key" ON "webhook_events"("provider_key");
CREATE INDEX "webhook_events_reference_idx" ON "webhook_events"("reference");

CREATE TABLE "refunds" (
    "id" UUID NOT NULL,
    "payment_id" UUID NOT NULL REFERENCES "payments"("id"),
    "booking_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "campaign_id" UUID NOT NULL,
    "amount_minor" BIGINT NOT NULL CHECK ("amount_minor" > 0),
    "currency" CHAR(3) NOT NULL,
    "reason" TEXT NOT NULL CHECK ("reason" IN ('BUYER_REQUEST', 'CAMPAIGN_CANCELLED', 'SOLD_OUT', 'DUPLICATE_PAYMENT',
        'ALREADY_REFUNDED', 'CAMPAIGN_CLOSED', 'CUSTOMER_LIMIT')),
    -- True: the booking was CONFIRMED by this payment and becomes REFUNDED when the money is back.
    -- False: the payment never bought the booking (late, duplicate): only the money goes back.
    "cancels_booking" BOOLEAN NOT NULL,
    "status" TEXT NOT NULL CHECK ("status" IN ('PENDING', 'COMPLETED', 'FAILED')),
    "provider_refund_id" BIGINT,
    "failure_reason" TEXT,
    "requested_by" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "completed_at" TIMESTAMPTZ(3),
    "failed_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "refunds_pkey" PRIMARY KEY ("id")
);
-- A payment is refunded in full at most once: one PENDING or COMPLETED refund per payment (a FAILED
-- one may be followed by a new attempt).
CREATE UNIQUE INDEX "refunds_one_active_per_payment" ON "refunds"("payment_id") WHERE "status" IN ('PENDING', 'COMPLETED');
CREATE INDEX "refunds_booking_id_idx" ON "refunds"("booking_id");
