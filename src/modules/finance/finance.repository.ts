import crypto from 'node:crypto';
import { Prisma } from '../../generated/prisma/client';
import type { Db, Tx } from '../../shared/db';
import type {
  AccountRef,
  JournalKind,
  NewJournal,
  NewReconciliationDifference,
  PayoutMethodRecord,
  ReconciliationDifference,
  SellerAccountKind,
  SellerBalance,
  StatementLine,
  TransferRecord,
  TransferUpdate,
  WithdrawalRecord,
  WithdrawalStatus,
} from './finance.types';

/**
 * The only code that reads or writes the finance tables (finance_accounts, finance_journals,
 * finance_entries, finance_settlements, finance_payout_methods, finance_withdrawals,
 * finance_transfers, finance_reconciliation_differences). Every amount leaves here as a JS number
 * of minor units (safe below 2^53) and every provider fee as exact decimal text.
 */
type Client = Db | Tx;

const PLATFORM_OWNER = 'platform';
const n = (v: bigint | number | null | undefined): number => (v === null || v === undefined ? 0 : Number(v));
const ownerOf = (a: AccountRef) =>
  a.owner === 'PLATFORM' ? { type: 'PLATFORM', id: PLATFORM_OWNER } : { type: 'SELLER', id: a.sellerId };
const refKey = (a: AccountRef) => `${ownerOf(a).type}|${ownerOf(a).id}|${a.kind}|${a.currency}`;

// ---------------------------------------------------------------- accounts and journals

/** The ids of these accounts, creating the missing ones (idempotent; concurrent callers agree). */
export async function ensureAccounts(tx: Tx, refs: AccountRef[], now: Date): Promise<Map<string, string>> {
  const unique = [...new Map(refs.map((r) => [refKey(r), r])).values()];
  const out = new Map<string, string>();
  for (const r of unique) {
    const o = ownerOf(r);
    await tx.$executeRaw`
      INSERT INTO finance_accounts (id, owner_type, owner_id, kind, currency, created_at)
      VALUES (${crypto.randomUUID()}::uuid, ${o.type}, ${o.id}, ${r.kind}, ${r.currency}, ${now})
      ON CONFLICT (owner_type, owner_id, kind, currency) DO NOTHING`;
    const rows = await tx.$queryRaw<Array<{ id: string }>>`
      SELECT id::text FROM finance_accounts
      WHERE owner_type = ${o.type} AND owner_id = ${o.id} AND kind = ${r.kind} AND currency = ${r.currency}`;
    out.set(refKey(r), rows[0]!.id);
  }
  return out;
}

export function accountKeyOf(ref: AccountRef): string {
  return refKey(ref);
}

/**
 * Locks these accounts (creating the missing ones) FOR UPDATE in account-id order, the order every
 * journal's entries lock them in, and answers their cached balances by ref key. A use case that
 * must read a balance before posting (a withdrawal hold) locks every account its journal will
 * touch here first, so it never holds one account while waiting for another out of order.
 */
export async function lockAccountBalances(
  tx: Tx,
  refs: AccountRef[],
  now: Date,
): Promise<Map<string, { id: string; balanceMinor: number }>> {
  const ids = await ensureAccounts(tx, refs, now);
  const rows = await tx.$queryRaw<Array<{ id: string; balance: bigint }>>`
    SELECT id::text, balance_minor AS balance FROM finance_accounts
    WHERE id = ANY(${[...ids.values()]}::uuid[]) ORDER BY id FOR UPDATE`;
  const byId = new Map(rows.map((r) => [r.id, n(r.balance)]));
  return new Map([...ids.entries()].map(([key, id]) => [key, { id, balanceMinor: byId.get(id) ?? 0 }]));
}

/**
 * Inserts the journal and its entries unless a journal with this cause key exists (then nothing
 * is written and `posted` is false). Entries are inserted in account-id order: the entries
 * trigger locks each account row as it updates its cached balance, so every journal locks
 * accounts in one global order (no deadlock between two postings on the same accounts).
 */
export async function insertJournal(
  tx: Tx,
  j: NewJournal,
  now: Date,
): Promise<{ posted: boolean; journalId: string }> {
  const id = crypto.randomUUID();
  const inserted = await tx.$queryRaw<Array<{ id: string }>>`
    INSERT INTO finance_journals (id, cause_key, kind, seller_id, campaign_id, payment_id, refund_id, withdrawal_id, memo, created_at)
    VALUES (${id}::uuid, ${j.causeKey}, ${j.kind}, ${j.sellerId ?? null}::uuid, ${j.campaignId ?? null}::uuid,
      ${j.paymentId ?? null}::uuid, ${j.refundId ?? null}::uuid, ${j.withdrawalId ?? null}::uuid, ${j.memo}, ${now})
    ON CONFLICT (cause_key) DO NOTHING
    RETURNING id::text`;
  if (!inserted.length) {
    const existing = await tx.$queryRaw<Array<{ id: string }>>`
      SELECT id::text FROM finance_journals WHERE cause_key = ${j.causeKey}`;
    return { posted: false, journalId: existing[0]!.id };
  }
  const ids = await ensureAccounts(
    tx,
    j.lines.map((l) => l.account),
    now,
  );
  const lines = j.lines
    .map((l) => ({ ...l, accountId: ids.get(refKey(l.account))! }))
    .sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0));
  for (const l of lines) {
    await tx.$executeRaw`
      INSERT INTO finance_entries (journal_id, account_id, currency, amount_minor, campaign_id, created_at)
      VALUES (${id}::uuid, ${l.accountId}::uuid, ${l.account.currency}, ${l.amountMinor}, ${l.campaignId ?? null}::uuid, ${now})`;
  }
  return { posted: true, journalId: id };
}

export interface JournalView {
  id: string;
  kind: JournalKind;
  causeKey: string;
  createdAt: Date;
  lines: Array<{
    ownerType: string;
    ownerId: string;
    kind: string;
    currency: string;
    amountMinor: number;
    campaignId: string | null;
  }>;
}

/** A journal and its lines by cause key, or null. */
export async function findJournalByCause(db: Client, causeKey: string): Promise<JournalView | null> {
  const rows = await db.$queryRaw<
    Array<{
      id: string;
      kind: string;
      cause_key: string;
      created_at: Date;
      owner_type: string;
      owner_id: string;
      akind: string;
      currency: string;
      amount: bigint;
      campaign_id: string | null;
    }>
  >`
    SELECT j.id::text, j.kind, j.cause_key, j.created_at, a.owner_type, a.owner_id, a.kind AS akind, e.currency,
           e.amount_minor AS amount, e.campaign_id::text
    FROM finance_journals j JOIN finance_entries e ON e.journal_id = j.id JOIN finance_accounts a ON a.id = e.account_id
    WHERE j.cause_key = ${causeKey} ORDER BY e.id`;
  if (!rows.length) return null;
  const r0 = rows[0]!;
  return {
    id: r0.id,
    kind: r0.kind as JournalKind,
    causeKey: r0.cause_key,
    createdAt: r0.created_at,
    lines: rows.map((r) => ({
      ownerType: r.owner_type,
      ownerId: r.owner_id,
      kind: r.akind,
      currency: r.currency,
      amountMinor: n(r.amount),
      campaignId: r.campaign_id,
    })),
  };
}

/**
 * What the ledger still holds of one payment: Σ of every journal of the payment (its PAYMENT
 * journal and the REFUND journals so far) per account kind. Locks the payment's ledger first
 * (a transaction-scoped advisory lock on its id), so two refunds of one payment post one after
 * the other and each sees what the other took.
 */
export async function lockPaymentRemainder(tx: Tx, paymentId: string): Promise<Record<string, number>> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`finance-payment:${paymentId}`}, 0))`;
  const rows = await tx.$queryRaw<Array<{ kind: string; total: bigint }>>`
    SELECT a.kind, SUM(e.amount_minor) AS total
    FROM finance_journals j JOIN finance_entries e ON e.journal_id = j.id JOIN finance_accounts a ON a.id = e.account_id
    WHERE j.payment_id = ${paymentId}::uuid GROUP BY a.kind`;
  return Object.fromEntries(rows.map((r) => [r.kind, n(r.total)]));
}

/** A seller's balances per currency (cached balances; paid out = Σ hold debits of WITHDRAWAL_PAID journals). */
export async function sellerBalances(db: Client, sellerId: string): Promise<SellerBalance[]> {
  const rows = await db.$queryRaw<
    Array<{ currency: string; kind: string; balance: bigint; paid_out: bigint }>
  >`
    SELECT a.currency, a.kind, a.balance_minor AS balance,
      CASE WHEN a.kind = 'SELLER_HOLD' THEN COALESCE((
        SELECT -SUM(e.amount_minor) FROM finance_entries e JOIN finance_journals j ON j.id = e.journal_id
        WHERE e.account_id = a.id AND j.kind = 'WITHDRAWAL_PAID'), 0) ELSE 0 END AS paid_out
    FROM finance_accounts a WHERE a.owner_type = 'SELLER' AND a.owner_id = ${sellerId}
    ORDER BY a.currency`;
  const by = new Map<string, SellerBalance>();
  for (const r of rows) {
    const b = by.get(r.currency) ?? {
      currency: r.currency,
      pendingMinor: 0,
      availableMinor: 0,
      holdMinor: 0,
      paidOutMinor: 0,
    };
    if (r.kind === 'SELLER_PENDING') b.pendingMinor = n(r.balance);
    if (r.kind === 'SELLER_AVAILABLE') b.availableMinor = n(r.balance);
    if (r.kind === 'SELLER_HOLD') {
      b.holdMinor = n(r.balance);
      b.paidOutMinor = n(r.paid_out);
    }
    by.set(r.currency, b);
  }
  return [...by.values()];
}

/**
 * A seller's statement: entries on its accounts, newest first, each with its account's balance
 * right after it (a window sum over the account's entries in id order, i.e. commit order per
 * account: an account's entries are inserted under its row lock).
 */
export async function statementOf(
  db: Client,
  sellerId: string,
  opts: { currency?: string; kinds?: SellerAccountKind[]; limit: number; beforeId?: string },
): Promise<StatementLine[]> {
  const rows = await db.$queryRaw<
    Array<{
      id: bigint;
      created_at: Date;
      jkind: string;
      memo: string;
      akind: string;
      currency: string;
      amount: bigint;
      after: bigint;
      campaign_id: string | null;
      withdrawal_id: string | null;
    }>
  >`
    WITH lines AS (
      SELECT e.id, e.created_at, j.kind AS jkind, j.memo, a.kind AS akind, e.currency, e.amount_minor AS amount,
             SUM(e.amount_minor) OVER (PARTITION BY e.account_id ORDER BY e.id) AS after,
             e.campaign_id::text, j.withdrawal_id::text
      FROM finance_entries e JOIN finance_accounts a ON a.id = e.account_id JOIN finance_journals j ON j.id = e.journal_id
      WHERE a.owner_type = 'SELLER' AND a.owner_id = ${sellerId}
        AND (${opts.currency ?? null}::text IS NULL OR e.currency = ${opts.currency ?? null}::text)
        AND (${opts.kinds ?? null}::text[] IS NULL OR a.kind = ANY(${opts.kinds ?? null}::text[]))
    )
    SELECT * FROM lines WHERE (${opts.beforeId ?? null}::bigint IS NULL OR id < ${opts.beforeId ?? null}::bigint)
    ORDER BY id DESC LIMIT ${opts.limit}`;
  return rows.map((r) => ({
    entryId: String(r.id),
    at: r.created_at,
    journalKind: r.jkind as JournalKind,
    memo: r.memo,
    account: r.akind as SellerAccountKind,
    currency: r.currency,
    amountMinor: n(r.amount),
    balanceAfterMinor: n(r.after),
    campaignId: r.campaign_id,
    withdrawalId: r.withdrawal_id,
  }));
}

/** Σ of a seller's pending entries for one campaign and currency (what settlement moves). */
export async function pendingOfCampaign(
  tx: Tx,
  sellerId: string,
  campaignId: string,
  currency: string,
): Promise<number> {
  const rows = await tx.$queryRaw<Array<{ total: bigint | null }>>`
    SELECT SUM(e.amount_minor) AS total FROM finance_entries e JOIN finance_accounts a ON a.id = e.account_id
    WHERE a.owner_type = 'SELLER' AND a.owner_id = ${sellerId} AND a.kind = 'SELLER_PENDING'
      AND a.currency = ${currency} AND e.campaign_id = ${campaignId}::uuid`;
  return n(rows[0]?.total);
}

/** The platform accounts' balances per currency (for reconciliation): kind → currency → balance. */
export async function platformBalances(
  db: Client,
): Promise<Array<{ kind: string; currency: string; balanceMinor: number }>> {
  const rows = await db.$queryRaw<Array<{ kind: string; currency: string; balance: bigint }>>`
    SELECT kind, currency, balance_minor AS balance FROM finance_accounts WHERE owner_type = 'PLATFORM' ORDER BY kind, currency`;
  return rows.map((r) => ({ kind: r.kind, currency: r.currency, balanceMinor: n(r.balance) }));
}

/**
 * Per currency, the exact provider fees (decimal text) and the minor units the ledger posted for
 * them (PROVIDER_FEE journals, clearing side): what the reconciliation adds back to compare the
 * clearing account with the wallet to the last decimal.
 */
export async function postedProviderFees(
  db: Client,
): Promise<Array<{ currency: string; exact: string; postedMinor: number }>> {
  const rows = await db.$queryRaw<Array<{ currency: string; exact: Prisma.Decimal; posted: bigint }>>`
    SELECT a.currency, SUM(t.fee) AS exact, SUM(e.amount_minor)::bigint AS posted
      FROM finance_journals j
      JOIN finance_entries e ON e.journal_id = j.id
      JOIN finance_accounts a ON a.id = e.account_id AND a.kind = 'PROVIDER_CLEARING'
      JOIN finance_transfers t ON t.withdrawal_id = j.withdrawal_id
     WHERE j.kind = 'PROVIDER_FEE'
     GROUP BY a.currency ORDER BY a.currency`;
  return rows.map((r) => ({ currency: r.currency, exact: r.exact.toFixed(), postedMinor: n(r.posted) }));
}

// ---------------------------------------------------------------- settlements

/** Records that a campaign has ledger money in a currency (once), refreshing when it may settle while OPEN; locks the row. */
export async function lockSettlement(
  tx: Tx,
  s: { campaignId: string; currency: string; sellerId: string; settleAfter: Date },
  now: Date,
): Promise<{ status: 'OPEN' | 'SETTLED' }> {
  await tx.$executeRaw`
    INSERT INTO finance_settlements (campaign_id, currency, seller_id, settle_after, created_at, updated_at)
    VALUES (${s.campaignId}::uuid, ${s.currency}, ${s.sellerId}::uuid, ${s.settleAfter}, ${now}, ${now})
    ON CONFLICT (campaign_id, currency) DO NOTHING`;
  const rows = await tx.$queryRaw<Array<{ status: 'OPEN' | 'SETTLED' }>>`
    SELECT status FROM finance_settlements WHERE campaign_id = ${s.campaignId}::uuid AND currency = ${s.currency} FOR UPDATE`;
  return rows[0]!;
}

export interface SettlementRow {
  campaignId: string;
  currency: string;
  sellerId: string;
  settleAfter: Date;
}

/** Up to `limit` OPEN settlements due by `now`, locked; rows another scheduler holds are skipped. */
export async function claimDueSettlements(tx: Tx, now: Date, limit: number): Promise<SettlementRow[]> {
  const rows = await tx.$queryRaw<
    Array<{ campaign_id: string; currency: string; seller_id: string; settle_after: Date }>
  >`
    SELECT campaign_id::text, currency, seller_id::text, settle_after FROM finance_settlements
    WHERE status = 'OPEN' AND settle_after <= ${now}
    ORDER BY settle_after, campaign_id, currency
    LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
  return rows.map((r) => ({
    campaignId: r.campaign_id,
    currency: r.currency,
    sellerId: r.seller_id,
    settleAfter: r.settle_after,
  }));
}

export async function postponeSettlement(
  tx: Tx,
  campaignId: string,
  currency: string,
  settleAfter: Date,
  now: Date,
) {
  await tx.$executeRaw`
    UPDATE finance_settlements SET settle_after = ${settleAfter}, updated_at = ${now}
    WHERE campaign_id = ${campaignId}::uuid AND currency = ${currency} AND status = 'OPEN'`;
}

/** OPEN → SETTLED (guarded); false when it was already settled. */
export async function markSettled(
  tx: Tx,
  campaignId: string,
  currency: string,
  settled: { minor: number; journalId: string | null },
  now: Date,
): Promise<boolean> {
  const n2 = await tx.$executeRaw`
    UPDATE finance_settlements SET status = 'SETTLED', settled_at = ${now}, settled_minor = ${settled.minor},
      journal_id = ${settled.journalId}::uuid, updated_at = ${now}
    WHERE campaign_id = ${campaignId}::uuid AND currency = ${currency} AND status = 'OPEN'`;
  return n2 === 1;
}

// ---------------------------------------------------------------- payout methods

export interface NewMethodRow {
  id: string;
  sellerId: string;
  type: string;
  country: string;
  currency: string;
  providerCode: string;
  providerName: string;
  last4: string;
  keyId: string;
  iv: Buffer;
  ciphertext: Buffer;
  authTag: Buffer;
  blindIndex: string;
  usableFrom: Date;
  createdBy: string;
}

type MethodRow = Prisma.FinancePayoutMethodGetPayload<object>;
const METHOD_PUBLIC = {
  id: true,
  sellerId: true,
  type: true,
  country: true,
  currency: true,
  providerCode: true,
  providerName: true,
  last4: true,
  keyId: true,
  status: true,
  usableFrom: true,
  createdBy: true,
  createdAt: true,
  updatedAt: true,
  removedAt: true,
} as const;
const toMethod = (
  r: Omit<MethodRow, 'iv' | 'ciphertext' | 'authTag' | 'blindIndex'>,
): PayoutMethodRecord => ({
  ...r,
  type: r.type as PayoutMethodRecord['type'],
  status: r.status as PayoutMethodRecord['status'],
});

/** Inserts an ACTIVE method; a unique violation means the seller already has this destination. */
export async function insertMethod(tx: Tx, m: NewMethodRow, now: Date): Promise<PayoutMethodRecord> {
  const row = await tx.financePayoutMethod.create({
    data: {
      ...m,
      iv: new Uint8Array(m.iv),
      ciphertext: new Uint8Array(m.ciphertext),
      authTag: new Uint8Array(m.authTag),
      status: 'ACTIVE',
      createdAt: now,
      updatedAt: now,
    },
    select: METHOD_PUBLIC,
  });
  return toMethod(row);
}

export async function findMethod(db: Client, id: string): Promise<PayoutMethodRecord | null> {
  const row = await db.financePayoutMethod.findUnique({ where: { id }, select: METHOD_PUBLIC });
  return row ? toMethod(row) : null;
}

/** The method with its ciphertext, for decryption by the crypto helper only. */
export async function findMethodSecret(
  db: Client,
  id: string,
): Promise<{
  method: PayoutMethodRecord;
  keyId: string;
  iv: Buffer;
  ciphertext: Buffer;
  authTag: Buffer;
} | null> {
  const row = await db.financePayoutMethod.findUnique({ where: { id } });
  if (!row) return null;
  const { iv, ciphertext, authTag, blindIndex: _blind, ...rest } = row;
  return {
    method: toMethod(rest),
    keyId: row.keyId,
    iv: Buffer.from(iv),
    ciphertext: Buffer.from(ciphertext),
    authTag: Buffer.from(authTag),
  };
}

export async function listMethods(db: Client, sellerId: string): Promise<PayoutMethodRecord[]> {
  const rows = await db.financePayoutMethod.findMany({
    where: { sellerId, status: 'ACTIVE' },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    select: METHOD_PUBLIC,
  });
  return rows.map(toMethod);
}

/** ACTIVE → REMOVED (guarded); the row stays, since withdrawals refer to it. */
export async function removeMethod(tx: Tx, id: string, sellerId: string, now: Date): Promise<boolean> {
  const r = await tx.financePayoutMethod.updateMany({
    where: { id, sellerId, status: 'ACTIVE' },
    data: { status: 'REMOVED', removedAt: now, updatedAt: now },
  });
  return r.count === 1;
}

// ---------------------------------------------------------------- withdrawals

type WithdrawalRow = Prisma.FinanceWithdrawalGetPayload<object>;
const toWithdrawal = ({ idempotencyKey: _k, requestHash: _h, ...r }: WithdrawalRow): WithdrawalRecord => ({
  ...r,
  amountMinor: Number(r.amountMinor),
  status: r.status as WithdrawalStatus,
});

export async function insertWithdrawal(
  tx: Tx,
  w: {
    id: string;
    sellerId: string;
    methodId: string;
    amountMinor: number;
    currency: string;
    requestedBy: string;
    idempotencyKey: string;
    requestHash: string;
  },
  now: Date,
): Promise<WithdrawalRecord> {
  const row = await tx.financeWithdrawal.create({
    data: { ...w, amountMinor: BigInt(w.amountMinor), status: 'REQUESTED', createdAt: now, updatedAt: now },
  });
  return toWithdrawal(row);
}

export async function findWithdrawalByKey(
  db: Client,
  requestedBy: string,
  idempotencyKey: string,
): Promise<{ withdrawal: WithdrawalRecord; requestHash: string } | null> {
  const row = await db.financeWithdrawal.findUnique({
    where: { requestedBy_idempotencyKey: { requestedBy, idempotencyKey } },
  });
  return row ? { withdrawal: toWithdrawal(row), requestHash: row.requestHash } : null;
}

export async function findWithdrawal(db: Client, id: string): Promise<WithdrawalRecord | null> {
  const row = await db.financeWithdrawal.findUnique({ where: { id } });
  return row ? toWithdrawal(row) : null;
}

export async function lockWithdrawal(tx: Tx, id: string): Promise<WithdrawalRecord | null> {
  const rows = await tx.$queryRaw<
    Array<{ id: string }>
  >`SELECT id::text FROM finance_withdrawals WHERE id = ${id}::uuid FOR UPDATE`;
  return rows.length ? findWithdrawal(tx, id) : null;
}

export type WithdrawalChanges = Partial<
  Pick<
    WithdrawalRecord,
    | 'decidedBy'
    | 'decisionReason'
    | 'failureReason'
    | 'decidedAt'
    | 'processingAt'
    | 'paidAt'
    | 'failedAt'
    | 'reversedAt'
  >
>;

/** One guarded transition: from one of `from` to `to`; false when the row was not in `from`. */
export async function transitionWithdrawal(
  tx: Tx,
  id: string,
  from: WithdrawalStatus[],
  to: WithdrawalStatus,
  changes: WithdrawalChanges,
  now: Date,
): Promise<boolean> {
  const r = await tx.financeWithdrawal.updateMany({
    where: { id, status: { in: from } },
    data: { ...changes, status: to, updatedAt: now },
  });
  return r.count === 1;
}

export async function listWithdrawalsOfSeller(
  db: Client,
  sellerId: string,
  limit: number,
): Promise<WithdrawalRecord[]> {
  const rows = await db.financeWithdrawal.findMany({
    where: { sellerId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit,
  });
  return rows.map(toWithdrawal);
}

export async function listWithdrawalsByStatus(
  db: Client,
  statuses: WithdrawalStatus[],
  limit: number,
  order: 'asc' | 'desc',
): Promise<WithdrawalRecord[]> {
  const rows = await db.financeWithdrawal.findMany({
    where: { status: { in: statuses } },
    orderBy: [{ createdAt: order }, { id: order }],
    take: limit,
  });
  return rows.map(toWithdrawal);
}

// ---------------------------------------------------------------- transfers

type TransferRow = Prisma.FinanceTransferGetPayload<object>;
const toTransfer = (r: TransferRow): TransferRecord => ({
  ...r,
  providerTransferId: r.providerTransferId === null ? null : Number(r.providerTransferId),
  fee: r.fee === null ? null : r.fee.toFixed(),
});

/** The transfer row of an approved withdrawal (reference = withdrawal id), written with the approval. */
export async function insertTransfer(tx: Tx, withdrawalId: string, now: Date): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO finance_transfers (withdrawal_id, reference, created_at, updated_at)
    VALUES (${withdrawalId}::uuid, ${withdrawalId}, ${now}, ${now}) ON CONFLICT (withdrawal_id) DO NOTHING`;
}

export async function findTransfer(db: Client, withdrawalId: string): Promise<TransferRecord | null> {
  const row = await db.financeTransfer.findUnique({ where: { withdrawalId } });
  return row ? toTransfer(row) : null;
}

export async function findTransferByProviderId(
  db: Client,
  providerTransferId: number,
): Promise<TransferRecord | null> {
  const row = await db.financeTransfer.findUnique({
    where: { providerTransferId: BigInt(providerTransferId) },
  });
  return row ? toTransfer(row) : null;
}

/** Writes what the provider said; `attempt` adds one to the attempt counter. Returns the row as stored. */
export async function updateTransfer(
  tx: Tx,
  withdrawalId: string,
  u: TransferUpdate & { attempt?: boolean; checkedAt?: Date },
  now: Date,
): Promise<TransferRecord> {
  const row = await tx.financeTransfer.update({
    where: { withdrawalId },
    data: {
      ...(u.providerTransferId !== undefined && {
        providerTransferId: u.providerTransferId === null ? null : BigInt(u.providerTransferId),
      }),
      ...(u.providerStatus !== undefined && { providerStatus: u.providerStatus }),
      ...(u.fee !== undefined && { fee: u.fee === null ? null : new Prisma.Decimal(u.fee) }),
      ...(u.feeCurrency !== undefined && { feeCurrency: u.feeCurrency }),
      ...(u.completeMessage !== undefined && { completeMessage: u.completeMessage?.slice(0, 500) ?? null }),
      ...(u.attempt && { attempts: { increment: 1 } }),
      ...(u.checkedAt && { lastCheckedAt: u.checkedAt }),
      updatedAt: now,
    },
  });
  return toTransfer(row);
}

/** Transfers whose provider status is one of `statuses` and that were last touched before `before`. */
export async function listTransfersByStatus(
  db: Client,
  statuses: string[],
  before: Date,
  limit: number,
): Promise<TransferRecord[]> {
  const rows = await db.financeTransfer.findMany({
    where: { providerStatus: { in: statuses }, updatedAt: { lt: before } },
    orderBy: [{ updatedAt: 'asc' }, { withdrawalId: 'asc' }],
    take: limit,
  });
  return rows.map(toTransfer);
}

// ---------------------------------------------------------------- reconciliation differences

type DifferenceRow = Prisma.FinanceReconciliationDifferenceGetPayload<object>;
const toDifference = (r: DifferenceRow): ReconciliationDifference => ({
  ...r,
  providerTransferId: r.providerTransferId === null ? null : Number(r.providerTransferId),
  expected: r.expected === null ? null : r.expected.toFixed(),
  actual: r.actual === null ? null : r.actual.toFixed(),
  details: (r.details ?? {}) as Record<string, unknown>,
});

/** Records a difference once per (run, kind, currency, withdrawal); answers whether it was new. */
export async function insertDifference(
  db: Client,
  d: NewReconciliationDifference,
  now: Date,
): Promise<boolean> {
  const n2 = await db.$executeRaw`
    INSERT INTO finance_reconciliation_differences (id, run_key, kind, currency, withdrawal_id, provider_transfer_id,
      expected, actual, details, detected_at)
    VALUES (${crypto.randomUUID()}::uuid, ${d.runKey}, ${d.kind}, ${d.currency}, ${d.withdrawalId}::uuid,
      ${d.providerTransferId}::bigint, ${d.expected}::numeric, ${d.actual}::numeric, ${JSON.stringify(d.details)}::jsonb, ${now})
    ON CONFLICT ON CONSTRAINT finance_reconciliation_differences_run_kind_key DO NOTHING`;
  return n2 === 1;
}

export async function listDifferences(
  db: Client,
  opts: { open: boolean; limit: number },
): Promise<ReconciliationDifference[]> {
  const rows = await db.financeReconciliationDifference.findMany({
    where: opts.open ? { resolvedAt: null } : {},
    orderBy: [{ detectedAt: 'desc' }, { id: 'desc' }],
    take: opts.limit,
  });
  return rows.map(toDifference);
}

export async function countOpenDifferences(db: Client): Promise<Array<{ kind: string; count: number }>> {
  const rows = await db.$queryRaw<Array<{ kind: string; count: bigint }>>`
    SELECT kind, COUNT(*) AS count FROM finance_reconciliation_differences WHERE resolved_at IS NULL GROUP BY kind`;
  return rows.map((r) => ({ kind: r.kind, count: Number(r.count) }));
}

export async function resolveDifference(
  tx: Tx,
  id: string,
  by: string,
  resolution: string,
  now: Date,
): Promise<boolean> {
  const r = await tx.financeReconciliationDifference.updateMany({
    where: { id, resolvedAt: null },
    data: { resolvedAt: now, resolvedBy: by, resolution },
  });
  return r.count === 1;
}
