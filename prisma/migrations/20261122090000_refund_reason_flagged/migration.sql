-- An admin can send a FLAGGED payment's money back from the review queue: a refund reason of its own.
ALTER TABLE "refunds" DROP CONSTRAINT "refunds_reason_check";
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_reason_check" CHECK ("reason" IN ('BUYER_REQUEST', 'CAMPAIGN_CANCELLED',
    'FLAGGED_PAYMENT', 'SOLD_OUT', 'DUPLICATE_PAYMENT', 'ALREADY_REFUNDED', 'CAMPAIGN_CLOSED', 'CUSTOMER_LIMIT'));
