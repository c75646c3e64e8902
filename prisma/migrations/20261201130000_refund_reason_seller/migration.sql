-- A seller may refund one paid booking of their campaign (the orders page): reason SELLER_REQUEST.
ALTER TABLE "refunds" DROP CONSTRAINT "refunds_reason_check";
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_reason_check" CHECK ("reason" IN ('BUYER_REQUEST', 'SELLER_REQUEST',
    'CAMPAIGN_CANCELLED', 'FLAGGED_PAYMENT', 'OVERPAYMENT', 'SOLD_OUT', 'DUPLICATE_PAYMENT', 'ALREADY_REFUNDED',
    'CAMPAIGN_CLOSED', 'CUSTOMER_LIMIT'));
