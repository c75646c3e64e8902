import { maskLast4 } from './finance.crypto';
import type { ApprovalView, SellerOverview } from './finance.service';
import type {
  PayoutMethodRecord,
  ReconciliationDifference,
  StatementLine,
  TransferRecord,
  WithdrawalRecord,
} from './finance.types';

/** A payout method as APIs and pages show it: never more of the destination than its last 4 digits. */
export function payoutMethodDto(m: PayoutMethodRecord, now: Date) {
  return {
    id: m.id,
    type: m.type,
    country: m.country,
    currency: m.currency,
    providerCode: m.providerCode,
    providerName: m.providerName,
    masked: maskLast4(m.last4),
    status: m.status,
    usableFrom: m.usableFrom.toISOString(),
    usable: m.status === 'ACTIVE' && m.usableFrom <= now,
    createdAt: m.createdAt.toISOString(),
  };
}

export function withdrawalDto(w: WithdrawalRecord) {
  return {
    id: w.id,
    sellerId: w.sellerId,
    methodId: w.methodId,
    amountMinor: w.amountMinor,
    currency: w.currency,
    status: w.status,
    requestedBy: w.requestedBy,
    decidedBy: w.decidedBy,
    decisionReason: w.decisionReason,
    failureReason: w.failureReason,
    createdAt: w.createdAt.toISOString(),
    decidedAt: w.decidedAt?.toISOString() ?? null,
    paidAt: w.paidAt?.toISOString() ?? null,
    failedAt: w.failedAt?.toISOString() ?? null,
  };
}

export function statementLineDto(l: StatementLine) {
  return {
    id: l.entryId,
    at: l.at.toISOString(),
    kind: l.journalKind,
    memo: l.memo,
    account: l.account,
    currency: l.currency,
    amountMinor: l.amountMinor,
    balanceAfterMinor: l.balanceAfterMinor,
    campaignId: l.campaignId,
    withdrawalId: l.withdrawalId,
  };
}

export function transferDto(t: TransferRecord | null) {
  if (!t) return null;
  return {
    reference: t.reference,
    providerTransferId: t.providerTransferId,
    providerStatus: t.providerStatus,
    fee: t.fee,
    feeCurrency: t.feeCurrency,
    attempts: t.attempts,
    updatedAt: t.updatedAt.toISOString(),
  };
}

export function overviewDto(o: SellerOverview, now: Date) {
  return {
    sellerId: o.sellerId,
    balances: o.balances,
    payoutMethods: o.methods.map((m) => payoutMethodDto(m, now)),
    withdrawals: o.withdrawals.map(withdrawalDto),
    fees: o.fees,
    withdrawalMinimumsMinor: o.minimumsMinor,
  };
}

export function approvalViewDto(v: ApprovalView, now: Date) {
  return {
    withdrawal: withdrawalDto(v.withdrawal),
    payoutMethod: payoutMethodDto(v.method, now),
    methodAgeHours: v.methodAgeHours,
    balances: v.balances,
    history: v.history.map(statementLineDto),
    transferFee: v.transferFee,
    transfer: transferDto(v.transfer),
  };
}

export function differenceDto(d: ReconciliationDifference) {
  return {
    id: d.id,
    runKey: d.runKey,
    kind: d.kind,
    currency: d.currency,
    withdrawalId: d.withdrawalId,
    providerTransferId: d.providerTransferId,
    expected: d.expected,
    actual: d.actual,
    details: d.details,
    detectedAt: d.detectedAt.toISOString(),
    resolvedAt: d.resolvedAt?.toISOString() ?? null,
    resolution: d.resolution,
  };
}

/** CSV of statement lines (RFC 4180 quoting; text starting with =,+,-,@ is prefixed with ' so a spreadsheet never runs it). */
export function statementCsv(
  lines: StatementLine[],
  major: (minor: number, currency: string) => string,
): string {
  const cell = (v: string) => {
    const safe = /^[=+\-@\t\r]/.test(v) && !/^-?\d+(\.\d+)?$/.test(v) ? `'${v}` : v;
    return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const rows = [
    [
      'date',
      'kind',
      'account',
      'memo',
      'currency',
      'amount',
      'balance_after',
      'campaign_id',
      'withdrawal_id',
    ],
  ];
  for (const l of lines) {
    rows.push([
      l.at.toISOString(),
      l.journalKind,
      l.account,
      l.memo,
      l.currency,
      major(l.amountMinor, l.currency),
      major(l.balanceAfterMinor, l.currency),
      l.campaignId ?? '',
      l.withdrawalId ?? '',
    ]);
  }
  return rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}
