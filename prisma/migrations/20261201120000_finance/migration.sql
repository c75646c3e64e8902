-- Finance: a double-entry ledger (accounts, journals, entries), campaign settlements, payout
-- methods (encrypted), withdrawals with maker-checker approval, their Flutterwave transfers and
-- reconciliation differences. Only src/modules/finance/finance.repository.ts touches these tables.
--
-- Sign convention: an entry's amount_minor is signed, CREDIT POSITIVE, DEBIT NEGATIVE, for every
-- account. A seller's pending/available/hold balance is therefore positive when we owe the seller;
-- the provider clearing account (money held at Flutterwave, an asset) is negative.

CREATE TABLE "finance_accounts" (
    "id" UUID NOT NULL PRIMARY KEY,
    "owner_type" TEXT NOT NULL CHECK ("owner_type" IN ('PLATFORM', 'SELLER')),
    -- The seller's user id (auth module, plain column), or 'platform'.
    "owner_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL CHECK ("kind" IN ('PROVIDER_CLEARING', 'PLATFORM_FEES', 'REFUNDS_DUE',
        'SELLER_PENDING', 'SELLER_AVAILABLE', 'SELLER_HOLD')),
    "currency" CHAR(3) NOT NULL,
    -- Cached Σ amount_minor of this account's entries, maintained by the entries trigger below in
    -- the inserting transaction. Never written by application code.
    "balance_minor" BIGINT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "finance_accounts_owner_kind_check" CHECK (
        ("owner_type" = 'SELLER' AND "kind" LIKE 'SELLER\_%') OR
        ("owner_type" = 'PLATFORM' AND "owner_id" = 'platform' AND "kind" NOT LIKE 'SELLER\_%')),
    CONSTRAINT "finance_accounts_owner_kind_currency_key" UNIQUE ("owner_type", "owner_id", "kind", "currency"),
    -- Target of the entries' composite foreign key: an entry's currency is its account's currency.
    CONSTRAINT "finance_accounts_id_currency_key" UNIQUE ("id", "currency")
);

CREATE TABLE "finance_journals" (
    "id" UUID NOT NULL PRIMARY KEY,
    -- What caused the journal (an event id or a business key such as `settlement:<campaign>:<cur>`).
    -- UNIQUE: a redelivered or replayed cause posts once.
    "cause_key" TEXT NOT NULL,
    "kind" TEXT NOT NULL CHECK ("kind" IN ('PAYMENT', 'REFUND', 'SETTLEMENT', 'WITHDRAWAL_HOLD',
        'WITHDRAWAL_RELEASE', 'WITHDRAWAL_PAID', 'PAYOUT_REVERSAL')),
    "seller_id" UUID,
    "campaign_id" UUID,
    "payment_id" UUID,
    "refund_id" UUID,
    "withdrawal_id" UUID,
    "memo" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "finance_journals_cause_key_key" UNIQUE ("cause_key")
);
CREATE INDEX "finance_journals_payment_idx" ON "finance_journals" ("payment_id") WHERE "payment_id" IS NOT NULL;
CREATE INDEX "finance_journals_withdrawal_idx" ON "finance_journals" ("withdrawal_id") WHERE "withdrawal_id" IS NOT NULL;

CREATE TABLE "finance_entries" (
    "id" BIGSERIAL PRIMARY KEY,
    "journal_id" UUID NOT NULL REFERENCES "finance_journals" ("id"),
    "account_id" UUID NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "amount_minor" BIGINT NOT NULL CHECK ("amount_minor" <> 0),
    -- The campaign whose money this is (pending money settles per campaign).
    "campaign_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "finance_entries_account_currency_fkey" FOREIGN KEY ("account_id", "currency")
        REFERENCES "finance_accounts" ("id", "currency")
);
CREATE INDEX "finance_entries_account_idx" ON "finance_entries" ("account_id", "id");
CREATE INDEX "finance_entries_journal_idx" ON "finance_entries" ("journal_id");
CREATE INDEX "finance_entries_campaign_idx" ON "finance_entries" ("campaign_id", "account_id") WHERE "campaign_id" IS NOT NULL;

/*
 * Invariant (balanced journals): for every journal and every currency, Σ amount_minor = 0.
 * Enforced at COMMIT by a DEFERRABLE INITIALLY DEFERRED constraint trigger, so a journal's entries
 * may be inserted one by one inside its transaction but can never commit unbalanced. Assumption:
 * nobody runs SET CONSTRAINTS ... IMMEDIATE mid-journal (it would only make the check earlier and
 * stricter). If this were false, money could be created or destroyed by a half-written journal.
 */
CREATE FUNCTION "finance_check_journal_balanced"() RETURNS trigger AS $$
DECLARE
    bad RECORD;
BEGIN
    SELECT currency, SUM(amount_minor) AS total INTO bad
    FROM finance_entries WHERE journal_id = NEW.journal_id
    GROUP BY currency HAVING SUM(amount_minor) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'finance journal % does not balance in %: % minor units', NEW.journal_id, bad.currency, bad.total
            USING ERRCODE = '23514', CONSTRAINT = 'finance_journal_balanced';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER "finance_entries_balanced" AFTER INSERT ON "finance_entries"
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "finance_check_journal_balanced"();

-- A journal without entries would be a cause key consumed for nothing: refused at commit as well.
CREATE FUNCTION "finance_check_journal_has_entries"() RETURNS trigger AS $$
BEGIN
    IF (SELECT COUNT(*) FROM finance_entries WHERE journal_id = NEW.id) < 2 THEN
        RAISE EXCEPTION 'finance journal % has fewer than two entries', NEW.id
            USING ERRCODE = '23514', CONSTRAINT = 'finance_journal_entries';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER "finance_journals_have_entries" AFTER INSERT ON "finance_journals"
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "finance_check_journal_has_entries"();

/*
 * Invariant (append-only): an entry or a journal, once written, is never changed or removed; a
 * correction is a new journal. UPDATE and DELETE are refused by these triggers, for every role
 * (superusers included, short of disabling triggers). (TRUNCATE is left to test set-up, which empties every
 * table between files; no application code truncates.) If this were false, a balance could be
 * rewritten without a trace.
 */
CREATE FUNCTION "finance_refuse_change"() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'finance ledger rows are append-only (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = '42501';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER "finance_entries_append_only" BEFORE UPDATE OR DELETE ON "finance_entries"
    FOR EACH ROW EXECUTE FUNCTION "finance_refuse_change"();
CREATE TRIGGER "finance_journals_append_only" BEFORE UPDATE OR DELETE ON "finance_journals"
    FOR EACH ROW EXECUTE FUNCTION "finance_refuse_change"();

/*
 * Invariant (cached balance = Σ entries): every inserted entry adds its amount to its account's
 * balance_minor in the same statement, so the cache and the entries commit together or not at
 * all. Row locks on accounts are taken in the order entries are inserted; the repository inserts
 * a journal's entries sorted by account id, so two journals touching the same accounts lock them
 * in one order and cannot deadlock.
 *
 * Invariant (no overdraft): a seller's pending and hold balances never go below zero; a seller's
 * available balance goes below zero only through a REFUND journal (a buyer refunded after the
 * campaign's money settled). Any other journal that would debit a negative or too small available
 * balance (a withdrawal hold) is refused here, so withdrawals stay blocked until the balance is
 * positive again even if application code forgot to check.
 */
CREATE FUNCTION "finance_apply_entry"() RETURNS trigger AS $$
DECLARE
    acct RECORD;
    journal_kind TEXT;
BEGIN
    UPDATE finance_accounts SET balance_minor = balance_minor + NEW.amount_minor
    WHERE id = NEW.account_id
    RETURNING kind, balance_minor INTO acct;
    IF NEW.amount_minor < 0 AND acct.balance_minor < 0 THEN
        IF acct.kind IN ('SELLER_PENDING', 'SELLER_HOLD') THEN
            RAISE EXCEPTION 'finance account % (%) would go below zero', NEW.account_id, acct.kind
                USING ERRCODE = '23514', CONSTRAINT = 'finance_no_overdraft';
        END IF;
        IF acct.kind = 'SELLER_AVAILABLE' THEN
            SELECT kind INTO journal_kind FROM finance_journals WHERE id = NEW.journal_id;
            IF journal_kind IS DISTINCT FROM 'REFUND' THEN
                RAISE EXCEPTION 'finance account % (available) would go below zero through a % journal',
                    NEW.account_id, journal_kind
                    USING ERRCODE = '23514', CONSTRAINT = 'finance_no_overdraft';
            END IF;
        END IF;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER "finance_entries_apply" AFTER INSERT ON "finance_entries"
    FOR EACH ROW EXECUTE FUNCTION "finance_apply_entry"();

-- Direct edits of the cached balance are refused: only the entries trigger moves it.
CREATE FUNCTION "finance_guard_balance"() RETURNS trigger AS $$
BEGIN
    IF pg_trigger_depth() < 2 AND NEW.balance_minor IS DISTINCT FROM OLD.balance_minor THEN
        RAISE EXCEPTION 'finance account balances change only through entries'
            USING ERRCODE = '42501';
    END IF;
    IF NEW.owner_type IS DISTINCT FROM OLD.owner_type OR NEW.owner_id IS DISTINCT FROM OLD.owner_id
        OR NEW.kind IS DISTINCT FROM OLD.kind OR NEW.currency IS DISTINCT FROM OLD.currency THEN
        RAISE EXCEPTION 'finance accounts keep their owner, kind and currency' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER "finance_accounts_guard" BEFORE UPDATE ON "finance_accounts"
    FOR EACH ROW EXECUTE FUNCTION "finance_guard_balance"();
CREATE TRIGGER "finance_accounts_no_delete" BEFORE DELETE ON "finance_accounts"
    FOR EACH ROW EXECUTE FUNCTION "finance_refuse_change"();

-- One row per (campaign, currency) that has ledger money: when it may settle, and whether it has.
CREATE TABLE "finance_settlements" (
    "campaign_id" UUID NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "seller_id" UUID NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'OPEN' CHECK ("status" IN ('OPEN', 'SETTLED')),
    -- The campaign's end + SETTLEMENT_DELAY_HOURS as last read from the campaigns module.
    "settle_after" TIMESTAMPTZ(3) NOT NULL,
    "settled_at" TIMESTAMPTZ(3),
    "settled_minor" BIGINT,
    "journal_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    PRIMARY KEY ("campaign_id", "currency"),
    CONSTRAINT "finance_settlements_settled_check" CHECK (("status" = 'SETTLED') = ("settled_at" IS NOT NULL))
);
CREATE INDEX "finance_settlements_due_idx" ON "finance_settlements" ("settle_after") WHERE "status" = 'OPEN';

-- Payout methods. The destination (account number, phone, names) is one AES-256-GCM ciphertext
-- under the finance key `key_id`; only its last 4 digits and non-secret labels are in clear.
CREATE TABLE "finance_payout_methods" (
    "id" UUID NOT NULL PRIMARY KEY,
    "seller_id" UUID NOT NULL,
    "type" TEXT NOT NULL CHECK ("type" IN ('BANK_ACCOUNT', 'MOBILE_MONEY')),
    "country" CHAR(2) NOT NULL,
    "currency" CHAR(3) NOT NULL,
    -- Flutterwave's account_bank: a bank code from GET /v3/banks/:country, or an operator (MPS, MTN…).
    "provider_code" TEXT NOT NULL,
    "provider_name" TEXT NOT NULL,
    "last4" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "iv" BYTEA NOT NULL,
    "ciphertext" BYTEA NOT NULL,
    "auth_tag" BYTEA NOT NULL,
    -- HMAC-SHA256 (blind-index key) of type|country|provider code|normalised number: finds a duplicate without decrypting.
    "blind_index" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'ACTIVE' CHECK ("status" IN ('ACTIVE', 'REMOVED')),
    -- Cooling-off: the method pays out only from this time on.
    "usable_from" TIMESTAMPTZ(3) NOT NULL,
    "created_by" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "removed_at" TIMESTAMPTZ(3)
);
CREATE UNIQUE INDEX "finance_payout_methods_active_blind_key" ON "finance_payout_methods" ("seller_id", "blind_index")
    WHERE "status" = 'ACTIVE';
CREATE INDEX "finance_payout_methods_seller_idx" ON "finance_payout_methods" ("seller_id", "created_at");

/*
 * Withdrawals. id = the Flutterwave transfer `reference`, fixed at request time, never regenerated.
 *   REQUESTED ─approve─► APPROVED ─worker sends─► PROCESSING ─► PAID ─(provider reversal)─► REVERSED
 *       │                   │                        │
 *       └─reject─► REJECTED └────────────► FAILED ◄──┘
 * Maker-checker, enforced here: the person who decides (approves or rejects) is never the person
 * who requested (CHECK below), whatever the code does.
 */
CREATE TABLE "finance_withdrawals" (
    "id" UUID NOT NULL PRIMARY KEY,
    "seller_id" UUID NOT NULL,
    "method_id" UUID NOT NULL REFERENCES "finance_payout_methods" ("id"),
    "amount_minor" BIGINT NOT NULL CHECK ("amount_minor" > 0),
    "currency" CHAR(3) NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'REQUESTED' CHECK ("status" IN ('REQUESTED', 'APPROVED', 'PROCESSING',
        'PAID', 'FAILED', 'REJECTED', 'REVERSED')),
    "requested_by" UUID NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "decided_by" UUID,
    "decision_reason" TEXT,
    "failure_reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "decided_at" TIMESTAMPTZ(3),
    "processing_at" TIMESTAMPTZ(3),
    "paid_at" TIMESTAMPTZ(3),
    "failed_at" TIMESTAMPTZ(3),
    "reversed_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "finance_withdrawals_maker_checker" CHECK ("decided_by" IS NULL OR "decided_by" <> "requested_by"),
    CONSTRAINT "finance_withdrawals_decided_check" CHECK (
        "status" IN ('REQUESTED') OR "decided_by" IS NOT NULL),
    CONSTRAINT "finance_withdrawals_idempotency_key" UNIQUE ("requested_by", "idempotency_key")
);
CREATE INDEX "finance_withdrawals_seller_idx" ON "finance_withdrawals" ("seller_id", "created_at");
CREATE INDEX "finance_withdrawals_status_idx" ON "finance_withdrawals" ("status", "created_at");

-- The provider side of a withdrawal's payout (written by the payouts worker through finance's API).
CREATE TABLE "finance_transfers" (
    "withdrawal_id" UUID NOT NULL PRIMARY KEY REFERENCES "finance_withdrawals" ("id"),
    -- = withdrawal_id as text: the `reference` sent to POST /v3/transfers.
    "reference" TEXT NOT NULL,
    "provider_transfer_id" BIGINT,
    -- Flutterwave's status as last seen: NEW, PENDING, SUCCESSFUL, FAILED (anything else kept as given).
    "provider_status" TEXT NOT NULL DEFAULT 'NOT_SENT',
    -- Flutterwave's fee, an exact decimal in major units (e.g. 26.875 NGN), never a float.
    "fee" NUMERIC(24, 6),
    "fee_currency" CHAR(3),
    "complete_message" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_checked_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "finance_transfers_reference_key" UNIQUE ("reference"),
    CONSTRAINT "finance_transfers_provider_id_key" UNIQUE ("provider_transfer_id"),
    CONSTRAINT "finance_transfers_reference_is_withdrawal" CHECK ("reference" = "withdrawal_id"::text)
);
CREATE INDEX "finance_transfers_status_idx" ON "finance_transfers" ("provider_status", "updated_at");

-- What a reconciliation run found that does not match (filled by the reconciliation jobs).
CREATE TABLE "finance_reconciliation_differences" (
    "id" UUID NOT NULL PRIMARY KEY,
    "run_key" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "currency" CHAR(3),
    "withdrawal_id" UUID,
    "provider_transfer_id" BIGINT,
    -- Exact decimals in major units (a provider balance may carry more digits than minor units).
    "expected" NUMERIC(24, 6),
    "actual" NUMERIC(24, 6),
    "details" JSONB NOT NULL DEFAULT '{}',
    "detected_at" TIMESTAMPTZ(3) NOT NULL,
    "resolved_at" TIMESTAMPTZ(3),
    "resolved_by" UUID,
    "resolution" TEXT,
    CONSTRAINT "finance_reconciliation_differences_run_kind_key" UNIQUE NULLS NOT DISTINCT ("run_key", "kind", "currency", "withdrawal_id")
);
CREATE INDEX "finance_reconciliation_open_idx" ON "finance_reconciliation_differences" ("detected_at") WHERE "resolved_at" IS NULL;

-- The platform finance role (FINANCE_EMAILS, granted and revoked at sign-in like SUPER_ADMIN).
ALTER TABLE "users" DROP CONSTRAINT "users_roles_check";
ALTER TABLE "users" ADD CONSTRAINT "users_roles_check" CHECK ("roles" <@ ARRAY['SELLER', 'SUPER_ADMIN', 'PLATFORM_FINANCE']::TEXT[]);
