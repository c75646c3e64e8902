-- Provider transfer fees in the ledger: a platform PROVIDER_FEES expense account and a
-- PROVIDER_FEE journal kind (debit provider fees, credit provider clearing, posted once per paid
-- transfer under the cause key `withdrawal:<id>:fee`).

ALTER TABLE "finance_accounts" DROP CONSTRAINT "finance_accounts_kind_check";
ALTER TABLE "finance_accounts" ADD CONSTRAINT "finance_accounts_kind_check" CHECK ("kind" IN (
    'PROVIDER_CLEARING', 'PLATFORM_FEES', 'REFUNDS_DUE', 'PROVIDER_FEES',
    'SELLER_PENDING', 'SELLER_AVAILABLE', 'SELLER_HOLD'));

ALTER TABLE "finance_journals" DROP CONSTRAINT "finance_journals_kind_check";
ALTER TABLE "finance_journals" ADD CONSTRAINT "finance_journals_kind_check" CHECK ("kind" IN (
    'PAYMENT', 'REFUND', 'SETTLEMENT', 'WITHDRAWAL_HOLD', 'WITHDRAWAL_RELEASE', 'WITHDRAWAL_PAID',
    'PAYOUT_REVERSAL', 'PROVIDER_FEE'));
