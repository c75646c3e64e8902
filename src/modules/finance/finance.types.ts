/*
 * The finance module's records. Money is integer minor units with its currency; a ledger amount is
 * signed, CREDIT POSITIVE (see the migration 20261201120000_finance): a seller's balances are
 * positive when the platform owes the seller, the provider clearing account is negative.
 */

export const ACCOUNT_KINDS = [
  'PROVIDER_CLEARING',
  'PLATFORM_FEES',
  'REFUNDS_DUE',
  'PROVIDER_FEES',
  'SELLER_PENDING',
  'SELLER_AVAILABLE',
  'SELLER_HOLD',
] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];
export type SellerAccountKind = Extract<AccountKind, `SELLER_${string}`>;
export type PlatformAccountKind = Exclude<AccountKind, SellerAccountKind>;

export const JOURNAL_KINDS = [
  'PAYMENT',
  'REFUND',
  'SETTLEMENT',
  'WITHDRAWAL_HOLD',
  'WITHDRAWAL_RELEASE',
  'WITHDRAWAL_PAID',
  'PAYOUT_REVERSAL',
  'PROVIDER_FEE',
] as const;
export type JournalKind = (typeof JOURNAL_KINDS)[number];

/** Where a ledger line goes: a platform account or one of a seller's accounts, in a currency. */
export type AccountRef =
  | { owner: 'PLATFORM'; kind: PlatformAccountKind; currency: string }
  | { owner: 'SELLER'; sellerId: string; kind: SellerAccountKind; currency: string };

export interface JournalLine {
  account: AccountRef;
  /** Credit positive, debit negative, never 0. */
  amountMinor: number;
  campaignId?: string | null;
}

export interface NewJournal {
  causeKey: string;
  kind: JournalKind;
  memo: string;
  sellerId?: string | null;
  campaignId?: string | null;
  paymentId?: string | null;
  refundId?: string | null;
  withdrawalId?: string | null;
  lines: JournalLine[];
}

/** One seller's balances in one currency (minor units). `paidOutMinor` = Σ of paid withdrawals' hold debits. */
export interface SellerBalance {
  currency: string;
  pendingMinor: number;
  availableMinor: number;
  holdMinor: number;
  paidOutMinor: number;
}

/** A statement line: one entry on one of the seller's accounts, with the account's running balance. */
export interface StatementLine {
  entryId: string;
  at: Date;
  journalKind: JournalKind;
  memo: string;
  account: SellerAccountKind;
  currency: string;
  amountMinor: number;
  balanceAfterMinor: number;
  campaignId: string | null;
  withdrawalId: string | null;
}

// ---------------------------------------------------------------- payout methods

export const METHOD_TYPES = ['BANK_ACCOUNT', 'MOBILE_MONEY'] as const;
export type MethodType = (typeof METHOD_TYPES)[number];

/** The secret part of a payout method: encrypted at rest, decrypted only for the transfer call. */
export type PayoutDestination =
  | {
      type: 'BANK_ACCOUNT';
      accountNumber: string;
      /** The name the provider's account resolve returned and the seller confirmed. */
      accountName: string;
      /** Required by Flutterwave for Ghana, Uganda and Tanzania banks. */
      branchCode?: string;
    }
  | {
      type: 'MOBILE_MONEY';
      /** The wallet's number with its country code, digits only (2547…, 233…). */
      phoneNumber: string;
      beneficiaryName: string;
      /** M-Pesa (MPS, Kenya) requires the sender's name, country and mobile number in `meta`. */
      mpesa?: { sender: string; senderCountry: string; mobileNumber: string };
    };

export interface PayoutMethodRecord {
  id: string;
  sellerId: string;
  type: MethodType;
  country: string;
  currency: string;
  providerCode: string;
  providerName: string;
  last4: string;
  keyId: string;
  status: 'ACTIVE' | 'REMOVED';
  usableFrom: Date;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  removedAt: Date | null;
}

/** What the payouts worker sends to POST /v3/transfers: never logged, never answered by an API. */
export interface PayoutInstruction {
  withdrawalId: string;
  /** = withdrawalId: the transfer `reference`, fixed at request time. */
  reference: string;
  sellerId: string;
  amountMinor: number;
  currency: string;
  country: string;
  /** Flutterwave's account_bank: a bank code or a mobile money operator (MPS, MTN, AIRTEL…). */
  accountBank: string;
  destination: PayoutDestination;
}

// ---------------------------------------------------------------- withdrawals and transfers

/*
 *   REQUESTED ─approve─► APPROVED ─worker─► PROCESSING ─► PAID ─(provider reversal)─► REVERSED
 *       │                   │                   │
 *       └─reject─► REJECTED └──────► FAILED ◄───┘
 * Every arrow is one guarded UPDATE (WHERE status IN …) in the transaction that posts its journal:
 * REQUESTED holds (available → hold), PAID pays out (hold → clearing), REJECTED and FAILED release
 * (hold → available), REVERSED puts paid money back (clearing → available).
 */
export const WITHDRAWAL_STATUSES = [
  'REQUESTED',
  'APPROVED',
  'PROCESSING',
  'PAID',
  'FAILED',
  'REJECTED',
  'REVERSED',
] as const;
export type WithdrawalStatus = (typeof WITHDRAWAL_STATUSES)[number];

export interface WithdrawalRecord {
  id: string;
  sellerId: string;
  methodId: string;
  amountMinor: number;
  currency: string;
  status: WithdrawalStatus;
  requestedBy: string;
  decidedBy: string | null;
  decisionReason: string | null;
  failureReason: string | null;
  createdAt: Date;
  decidedAt: Date | null;
  processingAt: Date | null;
  paidAt: Date | null;
  failedAt: Date | null;
  reversedAt: Date | null;
  updatedAt: Date;
}

export interface TransferRecord {
  withdrawalId: string;
  reference: string;
  providerTransferId: number | null;
  /** NOT_SENT until the worker's first call; then Flutterwave's status (NEW, PENDING, SUCCESSFUL, FAILED). */
  providerStatus: string;
  /** Exact decimal text in major units (e.g. "26.875"), or null when unknown. */
  fee: string | null;
  feeCurrency: string | null;
  completeMessage: string | null;
  attempts: number;
  lastCheckedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What the payouts worker learnt from Flutterwave about a transfer. */
export interface TransferUpdate {
  providerTransferId?: number | null;
  providerStatus?: string;
  /** Exact decimal text in major units; validated, stored as NUMERIC. */
  fee?: string | null;
  feeCurrency?: string | null;
  completeMessage?: string | null;
}

export interface ReconciliationDifference {
  id: string;
  runKey: string;
  kind: string;
  currency: string | null;
  withdrawalId: string | null;
  providerTransferId: number | null;
  /** Exact decimals (major units) as text. */
  expected: string | null;
  actual: string | null;
  details: Record<string, unknown>;
  detectedAt: Date;
  resolvedAt: Date | null;
  resolvedBy: string | null;
  resolution: string | null;
}

export type NewReconciliationDifference = Pick<
  ReconciliationDifference,
  'runKey' | 'kind' | 'currency' | 'withdrawalId' | 'providerTransferId' | 'expected' | 'actual' | 'details'
>;
