import type { Clock } from '../../src/shared/clock';
import type { Db } from '../../src/shared/db';
import type { Logger } from '../../src/shared/logger';
import { isCurrencyCode, toMajorString } from '../../src/shared/money';
import type { FlutterwaveTransfers, ProviderTransfer } from '../../src/modules/payments';
import type { FinanceService, NewReconciliationDifference } from '../../src/modules/finance';
import { UNFINISHED_STATUSES } from './marks';

/*
 * The daily reconciliation: the ledger's PROVIDER_CLEARING account (money we believe Flutterwave
 * holds for us) against Flutterwave's own balance and transfer list. It only records what does
 * not match, one row per (run, kind, currency, withdrawal) so a second run on the same day adds
 * nothing; it never posts. A person on the platform finance page decides what each difference
 * means; /metrics counts the open ones by kind.
 *
 * What counts as a difference:
 * - BALANCE: the clearing balance (negated: the ledger credits clearing when money arrives),
 *   with the provider transfer fees included, is not Flutterwave's ledger_balance. Transfer fees
 *   are posted (PROVIDER_FEE journals) rounded half up to minor units, so the comparison adds
 *   back Σ(posted − exact) per currency: expected = −clearing + Σposted − Σexact fee, exact to
 *   the sixth decimal. A clean run therefore shows no BALANCE row. Charge fees (1.4 %) are still
 *   not in our ledger, so a wallet fed by charges shows them as a difference; the row carries
 *   the transfer fees seen at the provider so a person can tell fees from missing money.
 * - TRANSFER_STATUS: Flutterwave says SUCCESSFUL and our withdrawal is not PAID, or FAILED and
 *   ours is PAID (a reversal we never applied), once the transfer has been quiet for the
 *   re-check window (younger ones are still being worked on).
 * - TRANSFER_AMOUNT: a transfer under our reference with another amount or currency.
 * - DUPLICATE_TRANSFER: two provider transfers under one reference.
 * - UNKNOWN_TRANSFER: a provider transfer whose reference is none of our withdrawals.
 * - TRANSFER_UNRESOLVED: our transfer still has no final answer after the re-check window.
 */

export interface ReconcileDeps {
  prisma: Db;
  clock: Clock;
  finance: FinanceService;
  transfers: FlutterwaveTransfers;
  logger: Logger;
  recheckAfterMinutes: number;
  /** Provider list pages read per run (10 transfers each). */
  maxPages?: number;
}

export interface ReconcileResult {
  runKey: string;
  differences: NewReconciliationDifference[];
  recorded: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Exact decimal text → scaled BigInt (6 places, the NUMERIC scale of the differences table). */
function scaled(text: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d{1,6}))?$/.exec(text);
  if (!m) throw new Error(`not a decimal: ${text}`);
  const v = BigInt(m[2]!) * 1_000_000n + BigInt((m[3] ?? '').padEnd(6, '0'));
  return m[1] ? -v : v;
}

function sumDecimals(values: string[]): string {
  const total = values.reduce((acc, v) => acc + scaled(v), 0n);
  const negative = total < 0n;
  const abs = negative ? -total : total;
  const int = abs / 1_000_000n;
  const frac = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${int}${frac ? `.${frac}` : ''}`;
}

/** One reconciliation run; `runKey` defaults to the UTC day, so a re-run the same day records nothing new. */
export async function reconcilePayouts(deps: ReconcileDeps, runKey?: string): Promise<ReconcileResult> {
  const { finance, transfers, clock, logger, prisma } = deps;
  const now = clock.now();
  const run = runKey ?? `daily:${now.toISOString().slice(0, 10)}`;
  const quietBefore = new Date(now.getTime() - deps.recheckAfterMinutes * 60_000);
  const diffs: NewReconciliationDifference[] = [];
  const diff = (d: Omit<NewReconciliationDifference, 'runKey'>) => diffs.push({ runKey: run, ...d });

  // Provider transfers, newest first, page by page.
  const provider: ProviderTransfer[] = [];
  for (let page = 1; page <= (deps.maxPages ?? 50); page++) {
    const items = await transfers.listTransfers(page);
    if (!items.length) break;
    provider.push(...items);
  }
  const byReference = new Map<string, ProviderTransfer[]>();
  for (const t of provider) byReference.set(t.reference, [...(byReference.get(t.reference) ?? []), t]);

  // Fees of every transfer the wallet paid (a failed one's fee came back with its amount).
  const feesByCurrency = new Map<string, string[]>();
  for (const t of provider)
    if (t.fee !== null && t.state !== 'FAILED')
      feesByCurrency.set(t.currency, [...(feesByCurrency.get(t.currency) ?? []), t.fee]);
  for (const [reference, list] of byReference) {
    const withdrawal = UUID.test(reference) ? await finance.getWithdrawalById(prisma, reference) : null;
    if (!withdrawal) {
      for (const t of list)
        diff({
          kind: 'UNKNOWN_TRANSFER',
          currency: t.currency,
          withdrawalId: null,
          providerTransferId: t.id,
          expected: null,
          actual: t.amountMinor === null ? null : toMajorString(t.amountMinor, t.currency),
          details: { reference, status: String(t.raw.status) },
        });
      continue;
    }
    if (list.length > 1) {
      diff({
        kind: 'DUPLICATE_TRANSFER',
        currency: withdrawal.currency,
        withdrawalId: withdrawal.id,
        providerTransferId: list[1]!.id,
        expected: '1',
        actual: String(list.length),
        details: { transferIds: list.map((t) => t.id) },
      });
    }
    for (const t of list) {
      const mismatch = t.currency !== withdrawal.currency || t.amountMinor !== withdrawal.amountMinor;
      if (mismatch) {
        diff({
          kind: 'TRANSFER_AMOUNT',
          currency: withdrawal.currency,
          withdrawalId: withdrawal.id,
          providerTransferId: t.id,
          expected: toMajorString(withdrawal.amountMinor, withdrawal.currency),
          actual: String(t.raw.amount),
          details: { providerCurrency: t.currency },
        });
      }
    }
    const first = [...list].sort((a, b) => a.id - b.id)[0]!;
    const ours = await finance.getTransfer(prisma, withdrawal.id);
    const quiet = !ours || ours.updatedAt < quietBefore;
    const unapplied =
      (first.state === 'SUCCESSFUL' && withdrawal.status !== 'PAID') ||
      (first.state === 'FAILED' && withdrawal.status === 'PAID');
    if (unapplied && quiet) {
      diff({
        kind: 'TRANSFER_STATUS',
        currency: withdrawal.currency,
        withdrawalId: withdrawal.id,
        providerTransferId: first.id,
        expected: null,
        actual: null,
        details: { provider: first.state, withdrawal: withdrawal.status },
      });
    }
  }

  for (const t of await finance.listTransfersToCheck(UNFINISHED_STATUSES, quietBefore, 1000)) {
    const w = await finance.getWithdrawalById(prisma, t.withdrawalId);
    diff({
      kind: 'TRANSFER_UNRESOLVED',
      currency: w?.currency ?? null,
      withdrawalId: t.withdrawalId,
      providerTransferId: t.providerTransferId,
      expected: null,
      actual: null,
      details: { providerStatus: t.providerStatus, attempts: t.attempts, since: t.updatedAt.toISOString() },
    });
  }

  // The clearing account against the wallet, per currency the ledger has money in.
  const balances = await finance.getPlatformBalances();
  const postedFees = new Map((await finance.getPostedProviderFees()).map((f) => [f.currency, f]));
  for (const b of balances.filter((x) => x.kind === 'PROVIDER_CLEARING')) {
    if (!isCurrencyCode(b.currency)) continue;
    const wallet = await transfers.getBalance(b.currency);
    const fees = postedFees.get(b.currency);
    const expected = sumDecimals([
      toMajorString(-b.balanceMinor, b.currency),
      ...(fees ? [toMajorString(fees.postedMinor, b.currency), `-${fees.exact}`] : []),
    ]);
    if (scaled(expected) !== scaled(wallet.ledger)) {
      diff({
        kind: 'BALANCE',
        currency: b.currency,
        withdrawalId: null,
        providerTransferId: null,
        expected,
        actual: wallet.ledger,
        details: {
          available: wallet.available,
          transferFeesSeen: sumDecimals(feesByCurrency.get(b.currency) ?? []),
        },
      });
    }
  }

  let recorded = 0;
  for (const d of diffs) if (await finance.recordReconciliationDifference(d)) recorded++;
  logger.info('payout reconciliation done', { runKey: run, differences: diffs.length, recorded });
  return { runKey: run, differences: diffs, recorded };
}
