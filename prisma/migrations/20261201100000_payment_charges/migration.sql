-- Payments as Flutterwave really behaves (issue 15).

-- Every verified successful charge of a payment. Flutterwave documents a tx_ref as unique per
-- transaction, not "at most one successful charge per tx_ref", so one payment may carry several.
-- SETTLED: the charge that settled the payment (bought the booking, or is refunded whole);
-- FLAGGED: a charge that did not match (reviewed); DUPLICATE: any successful charge beyond the one
-- that settled or flagged the payment, refunded automatically.
CREATE TABLE "payment_charges" (
    "id" UUID NOT NULL,
    "payment_id" UUID NOT NULL REFERENCES "payments"("id"),
    "flw_transaction_id" BIGINT NOT NULL,
    "amount_minor" BIGINT NOT NULL CHECK ("amount_minor" > 0),
    "currency" CHAR(3) NOT NULL,
    "role" TEXT NOT NULL CHECK ("role" IN ('SETTLED', 'FLAGGED', 'DUPLICATE')),
    "verified_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "payment_charges_pkey" PRIMARY KEY ("id")
);
-- A provider transaction is recorded once, whoever verifies it first (webhook, callback, reconciliation).
CREATE UNIQUE INDEX "payment_charges_flw_transaction_id_key" ON "payment_charges"("flw_transaction_id");
-- One charge settles (or flags) a payment; every other one is a duplicate.
CREATE UNIQUE INDEX "payment_charges_one_settling_per_payment" ON "payment_charges"("payment_id") WHERE "role" IN ('SETTLED', 'FLAGGED');
CREATE INDEX "payment_charges_payment_id_idx" ON "payment_charges"("payment_id");

INSERT INTO "payment_charges" ("id", "payment_id", "flw_transaction_id", "amount_minor", "currency", "role", "verified_at")
SELECT gen_random_uuid(), "id", "flw_transaction_id", "paid_minor", "currency", 'SETTLED', "succeeded_at"
FROM "payments" WHERE "status" = 'SUCCEEDED';

-- The redirect's transaction_id: only a hint of which transaction to verify by id.
ALTER TABLE "payments" ADD COLUMN "hinted_transaction_id" BIGINT;

-- A refund now names the provider transaction it gives money back from (a duplicate charge is not
-- the payment's settling charge), and which portion of it: CHARGE (what the charge paid for: the
-- whole charge, or the price when the excess of an overpayment has its own refund) or EXCESS (the
-- overpaid part of a confirmed payment's charge).
ALTER TABLE "refunds" ADD COLUMN "flw_transaction_id" BIGINT;
UPDATE "refunds" r SET "flw_transaction_id" = p."flw_transaction_id" FROM "payments" p WHERE p."id" = r."payment_id";
ALTER TABLE "refunds" ALTER COLUMN "flw_transaction_id" SET NOT NULL;
ALTER TABLE "refunds" ADD COLUMN "portion" TEXT NOT NULL DEFAULT 'CHARGE' CHECK ("portion" IN ('CHARGE', 'EXCESS'));
-- How many calls for this refund may have reached Flutterwave (a lost answer counts): a partial
-- refund asked again after one is looked up at Flutterwave first (see payments.refunds.ts).
ALTER TABLE "refunds" ADD COLUMN "attempts" INTEGER NOT NULL DEFAULT 0;
-- A refund Flutterwave answered `pending` (or a status we do not know) is read back from this time on.
ALTER TABLE "refunds" ADD COLUMN "next_poll_at" TIMESTAMPTZ(3);
DROP INDEX "refunds_one_active_per_payment";
-- Each portion of a charge goes back at most once: one PENDING or COMPLETED refund per (charge, portion).
CREATE UNIQUE INDEX "refunds_one_active_per_charge_portion" ON "refunds"("flw_transaction_id", "portion") WHERE "status" IN ('PENDING', 'COMPLETED');
-- One Flutterwave refund is recorded by at most one of ours (a looked-up refund is adopted once).
CREATE UNIQUE INDEX "refunds_provider_refund_id_key" ON "refunds"("provider_refund_id") WHERE "provider_refund_id" IS NOT NULL;
CREATE INDEX "refunds_poll_idx" ON "refunds"("next_poll_at") WHERE "status" = 'PENDING' AND "next_poll_at" IS NOT NULL;

ALTER TABLE "refunds" DROP CONSTRAINT "refunds_reason_check";
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_reason_check" CHECK ("reason" IN ('BUYER_REQUEST', 'CAMPAIGN_CANCELLED',
    'FLAGGED_PAYMENT', 'OVERPAYMENT', 'SOLD_OUT', 'DUPLICATE_PAYMENT', 'ALREADY_REFUNDED', 'CAMPAIGN_CLOSED', 'CUSTOMER_LIMIT'));

-- The webhook's body exactly as received (bytes), so that a signature over the body can be checked.
ALTER TABLE "webhook_events" ADD COLUMN "raw_body" BYTEA;
