import crypto from 'node:crypto';
import { recordAudit } from '../../shared/audit';
import type { Clock } from '../../shared/clock';
import type { Config } from '../../shared/config';
import { isUniqueViolation, type Db, type Tx } from '../../shared/db';
import { actsForSeller, hasRole, type Actor } from '../../shared/http/authorize';
import type { Logger } from '../../shared/logger';
import { createEvent } from '../../shared/messaging/events';
import { fromMajor, isCurrencyCode, MoneyError } from '../../shared/money';
import { enqueue } from '../../shared/outbox';
import {
  blindIndexOf,
  numberOf,
  openDestination,
  parseKeyring,
  sealDestination,
  type FinanceKeyring,
} from './finance.crypto';
import { FinanceErrors } from './finance.errors';
import {
  FinanceEvents,
  type PayoutMethodChangedPayload,
  type WithdrawalEventPayload,
} from './finance.events';
import {
  accountsOf,
  causeKeys,
  createLedger,
  feeScheduleOf,
  providerFeeMinor,
  type LedgerConfig,
} from './finance.ledger';
import * as repo from './finance.repository';
import type {
  NewReconciliationDifference,
  PayoutDestination,
  PayoutInstruction,
  PayoutMethodRecord,
  ReconciliationDifference,
  SellerBalance,
  StatementLine,
  TransferRecord,
  TransferUpdate,
  WithdrawalRecord,
  WithdrawalStatus,
} from './finance.types';

/*
 * Finance: the seller ledger, payout methods and withdrawals.
 *
 * Trust: a withdrawal moves real money out, so nothing a request says is believed beyond who
 * asks. The seller is the payout method's owner (never a field of the request); the actor must be
 * that seller or one of its FINANCE team members (re-read from the database on every request);
 * the amount is checked against the available balance under that account's row lock; the method
 * must be past its cooling-off period. A platform finance person (PLATFORM_FINANCE, from
 * FINANCE_EMAILS) other than the requester approves; the database refuses decided_by =
 * requested_by whatever this code does.
 *
 * Invariant (no over-withdrawal): the hold journal debits the seller's available account in the
 * same transaction that checked its balance, after SELECT … FOR UPDATE on the seller's available
 * and hold rows (in account-id order, the order every journal locks accounts in, so a hold and a
 * concurrent release of the same seller cannot deadlock). Two requests for the same seller and
 * currency therefore run one after the other, the second seeing the first's debit; 50 parallel requests against a balance that covers 3 hold exactly 3.
 * If the lock were not taken, both could read the same balance and together hold more than it;
 * the entries trigger would still refuse an available balance below zero (defence in depth).
 *
 * The payouts worker (the Flutterwave side) calls markWithdrawalProcessing / markWithdrawalPaid /
 * markWithdrawalFailed / markWithdrawalReversed on its own transaction: each is one guarded
 * transition on the withdrawal row (locked first) plus its journal and outbox event, so a
 * duplicate webhook or a replayed verification changes nothing the second time.
 */

export type FinanceConfig = LedgerConfig &
  Pick<
    Config,
    | 'FINANCE_KEYS'
    | 'FINANCE_BLIND_INDEX_KEY'
    | 'FINANCE_METHOD_COOLING_OFF_HOURS'
    | 'FINANCE_WITHDRAWAL_MIN_MINOR'
  >;

/** The provider's answer to "whose account is this?" (POST /v3/accounts/resolve). */
export interface AccountResolver {
  /** The account holder's name, or null when the provider does not know the account. */
  resolveAccountName(q: { accountNumber: string; bankCode: string; country: string }): Promise<string | null>;
}

/** The provider's bank list (GET /v3/banks/:country): null when it pays out to no bank there. */
export interface BankDirectory {
  listBanks(country: string): Promise<Array<{ code: string; name: string }> | null>;
}

/** How long a country's bank list is reused (per process): banks change rarely, sellers look often. */
export const BANK_LIST_CACHE_MS = 6 * 3_600_000;

/** The provider's transfer fee for an amount (GET /v3/transfers/fee): exact decimal text, major units. */
export interface TransferFeeQuoter {
  quoteTransferFee(q: {
    amountMinor: number;
    currency: string;
    type: 'account' | 'mobilemoney';
  }): Promise<{ fee: string; currency: string } | null>;
}

export interface FinanceDeps {
  prisma: Db;
  clock: Clock;
  config: FinanceConfig;
  logger: Logger;
  /**
   * Account resolve. Without one (until the Flutterwave client grows the call) the name the
   * seller confirmed on the form is stored as given.
   */
  accountResolver?: AccountResolver;
  /** The bank list for the seller's form; without one GET /banks answers 503 PROVIDER_UNAVAILABLE. */
  bankDirectory?: BankDirectory;
  /** Transfer fee for the approver's view; without one the view says the fee is unknown. */
  transferFees?: TransferFeeQuoter;
}

export interface NewPayoutMethod {
  type: 'BANK_ACCOUNT' | 'MOBILE_MONEY';
  country: string;
  currency: string;
  /** Bank code (from the provider's bank list) or mobile money operator (MPS, MTN, AIRTEL…). */
  providerCode: string;
  /** The bank's or operator's display name. */
  providerName: string;
  destination: PayoutDestination;
}

export interface WithdrawalInput {
  amountMinor: number;
  currency: string;
  methodId: string;
}

export interface WithdrawalResult {
  withdrawal: WithdrawalRecord;
  status: 201 | 200;
  replayed: boolean;
}

export interface SellerOverview {
  sellerId: string;
  balances: SellerBalance[];
  methods: PayoutMethodRecord[];
  withdrawals: WithdrawalRecord[];
  fees: ReturnType<typeof feeScheduleOf>;
  minimumsMinor: Record<string, number>;
}

export interface ApprovalView {
  withdrawal: WithdrawalRecord;
  method: PayoutMethodRecord;
  methodAgeHours: number;
  balances: SellerBalance[];
  history: StatementLine[];
  transferFee: { fee: string; currency: string } | null;
  transfer: TransferRecord | null;
}

const TX_OPTIONS = { maxWait: 30_000, timeout: 60_000 };
const HOUR = 3_600_000;
/** Statuses a withdrawal may still be paid or failed from. */
const IN_FLIGHT: WithdrawalStatus[] = ['APPROVED', 'PROCESSING'];
const FEE_DECIMAL = /^\d{1,17}(\.\d{1,6})?$/;
/** The currency a mobile money wallet of each supported country holds (Flutterwave's transfer list). */
const MOBILE_MONEY_CURRENCY: Record<string, string> = {
  KE: 'KES',
  GH: 'GHS',
  UG: 'UGX',
  TZ: 'TZS',
  RW: 'RWF',
  ZM: 'ZMW',
  CM: 'XAF',
  CI: 'XOF',
  SN: 'XOF',
  ET: 'ETB',
  MW: 'MWK',
};

/** A stable hash of a withdrawal request's fields (what an Idempotency-Key replay must match). */
export function withdrawalRequestHash(input: WithdrawalInput): string {
  const canonical = JSON.stringify([input.amountMinor, input.currency, input.methodId.toLowerCase()]);
  return crypto.createHash('sha256').update(canonical).digest('hex');
}

export function createFinanceService(deps: FinanceDeps) {
  const { prisma, clock, config, logger } = deps;
  const keyring: FinanceKeyring = parseKeyring(config.FINANCE_KEYS, config.FINANCE_BLIND_INDEX_KEY);
  const ledger = createLedger(deps);

  const minimumOf = (currency: string) => Math.max(1, config.FINANCE_WITHDRAWAL_MIN_MINOR[currency] ?? 1);

  function withdrawalEvent(name: string, w: WithdrawalRecord, extra: Partial<WithdrawalEventPayload> = {}) {
    const payload: WithdrawalEventPayload = {
      withdrawalId: w.id,
      sellerId: w.sellerId,
      methodId: w.methodId,
      amountMinor: w.amountMinor,
      currency: w.currency,
      requestedBy: w.requestedBy,
      ...extra,
    };
    return createEvent(name, payload, clock);
  }

  /** The seller this actor manages money for: `sellerId` when given (checked), else its own or its only one. */
  function sellerFor(actor: Actor, sellerId?: string): string {
    if (sellerId) {
      if (!actsForSeller(actor, sellerId, 'FINANCE')) throw FinanceErrors.notFinanceOfSeller();
      return sellerId;
    }
    if (actor.roles.includes('SELLER')) return actor.userId;
    const finance = actor.memberships.find((m) => m.role === 'FINANCE');
    if (!finance) throw FinanceErrors.noSeller();
    return finance.sellerId;
  }

  /** The sellers whose money this actor may manage (its own, then those it is a FINANCE member of). */
  function sellersOf(actor: Actor): string[] {
    const out = actor.roles.includes('SELLER') ? [actor.userId] : [];
    for (const m of actor.memberships)
      if (m.role === 'FINANCE' && !out.includes(m.sellerId)) out.push(m.sellerId);
    return out;
  }

  async function lockInFlight(tx: Tx, withdrawalId: string) {
    const w = await repo.lockWithdrawal(tx, withdrawalId);
    if (!w) throw FinanceErrors.withdrawalNotFound();
    return w;
  }

  /** The REQUESTED withdrawal, locked, if `actor` may decide it: not its requester, not acting for its seller. */
  async function lockForDecision(tx: Tx, actor: Actor, withdrawalId: string) {
    const w = await lockInFlight(tx, withdrawalId);
    if (w.requestedBy === actor.userId) throw FinanceErrors.ownWithdrawal();
    if (actsForSeller(actor, w.sellerId)) throw FinanceErrors.sellersOwnWithdrawal();
    if (w.status !== 'REQUESTED') throw FinanceErrors.withdrawalNotPending(w.status);
    return w;
  }

  /** A platform finance decision on a REQUESTED withdrawal, with its audit row and event, in one transaction. */
  function decide(
    actor: Actor,
    withdrawalId: string,
    to: 'APPROVED' | 'REJECTED',
    reason: string | null,
  ): Promise<WithdrawalRecord> {
    return prisma.$transaction(async (tx) => {
      const now = clock.now();
      const w = await lockForDecision(tx, actor, withdrawalId);
      const decided = { decidedBy: actor.userId, decidedAt: now, decisionReason: reason };
      await repo.transitionWithdrawal(tx, w.id, ['REQUESTED'], to, decided, now);
      if (to === 'APPROVED') await repo.insertTransfer(tx, w.id, now);
      else await releaseHold(tx, w, 'Withdrawal rejected');
      await recordAudit(tx, clock, {
        actorId: actor.userId,
        action: to === 'APPROVED' ? 'withdrawal.approve' : 'withdrawal.reject',
        targetType: 'withdrawal',
        targetId: w.id,
        before: { status: w.status },
        after: { status: to, ...(reason ? { reason } : {}) },
      });
      const result: WithdrawalRecord = { ...w, ...decided, status: to };
      const name = to === 'APPROVED' ? FinanceEvents.withdrawalApproved : FinanceEvents.withdrawalRejected;
      await enqueue(
        tx,
        withdrawalEvent(name, result, { decidedBy: actor.userId, ...(reason ? { reason } : {}) }),
      );
      return result;
    }, TX_OPTIONS);
  }

  /** hold → available for a withdrawal that will not be paid (rejected or failed). */
  async function releaseHold(tx: Tx, w: WithdrawalRecord, memo: string) {
    await ledger.post(tx, {
      causeKey: causeKeys.withdrawal(w.id, 'release'),
      kind: 'WITHDRAWAL_RELEASE',
      memo,
      sellerId: w.sellerId,
      withdrawalId: w.id,
      lines: [
        { account: accountsOf.seller(w.sellerId, 'SELLER_HOLD', w.currency), amountMinor: -w.amountMinor },
        {
          account: accountsOf.seller(w.sellerId, 'SELLER_AVAILABLE', w.currency),
          amountMinor: w.amountMinor,
        },
      ],
    });
  }

  function checkTransferUpdate(u: TransferUpdate | undefined) {
    if (u?.fee != null && !FEE_DECIMAL.test(u.fee))
      throw new Error(`finance: transfer fee "${u.fee}" is not a decimal`);
  }

  /** The withdrawal, locked, when it is in one of `from` (a provider outcome may apply); null otherwise. */
  async function lockForOutcome(
    tx: Tx,
    withdrawalId: string,
    from: WithdrawalStatus[],
    update?: TransferUpdate,
  ) {
    checkTransferUpdate(update);
    const w = await lockInFlight(tx, withdrawalId);
    return from.includes(w.status) ? w : null;
  }

  /** Bank lists per country (upper case), with when they were fetched; see BANK_LIST_CACHE_MS. */
  const bankLists = new Map<string, { at: number; items: Array<{ code: string; name: string }> }>();

  return {
    ledger,
    sellerFor,
    sellersOf,

    // ------------------------------------------------------------ bank list, account resolve

    /**
     * The banks the provider pays out to in `country`, for a seller the actor manages money for
     * (cached per country for BANK_LIST_CACHE_MS). 422 UNSUPPORTED_DESTINATION when it pays out
     * to none there; 503 PROVIDER_UNAVAILABLE when it does not answer.
     */
    async listBanks(
      actor: Actor,
      country: string,
      sellerId?: string,
    ): Promise<Array<{ code: string; name: string }>> {
      sellerFor(actor, sellerId);
      const key = country.toUpperCase();
      const now = clock.now().getTime();
      const cached = bankLists.get(key);
      if (cached && now - cached.at < BANK_LIST_CACHE_MS) return cached.items;
      if (!deps.bankDirectory) throw FinanceErrors.providerUnavailable('with its bank list');
      let items: Array<{ code: string; name: string }> | null;
      try {
        items = await deps.bankDirectory.listBanks(key);
      } catch (err) {
        logger.warn('bank list failed', { country: key, err: (err as Error).message });
        throw FinanceErrors.providerUnavailable('with its bank list');
      }
      if (!items) throw FinanceErrors.unsupportedDestination(`Bank payouts do not go to ${key}`);
      const sorted = [...items].sort((a, b) => a.name.localeCompare(b.name));
      bankLists.set(key, { at: now, items: sorted });
      return sorted;
    },

    /**
     * The name on a bank account before the seller saves it (moves no money). 422
     * ACCOUNT_NOT_RESOLVED when the provider does not know the account; 503 when it does not
     * answer. The account number is never logged.
     */
    async resolveAccountName(
      actor: Actor,
      q: { country: string; bankCode: string; accountNumber: string },
      sellerId?: string,
    ): Promise<string> {
      sellerFor(actor, sellerId);
      if (!deps.accountResolver) throw FinanceErrors.providerUnavailable('with the account name');
      let name: string | null;
      try {
        name = await deps.accountResolver.resolveAccountName(q);
      } catch (err) {
        // The code only: a provider message could echo the account number.
        logger.warn('account resolve failed', {
          bankCode: q.bankCode,
          err: (err as { code?: string }).code ?? 'error',
        });
        throw FinanceErrors.providerUnavailable('with the account name');
      }
      if (!name) throw FinanceErrors.accountNotResolved();
      return name;
    },

    // ------------------------------------------------------------ postings (finance worker)

    postPayment: ledger.postPayment,
    postRefund: ledger.postRefund,
    settleDueCampaigns: ledger.settleDueCampaigns,
    feeSchedule: () => feeScheduleOf(config),

    // ------------------------------------------------------------ seller views

    /** Balances per currency, active payout methods (masked) and recent withdrawals of a seller the actor manages. */
    async getSellerOverview(actor: Actor, sellerId?: string): Promise<SellerOverview> {
      const id = sellerFor(actor, sellerId);
      const [balances, methods, withdrawals] = await Promise.all([
        repo.sellerBalances(prisma, id),
        repo.listMethods(prisma, id),
        repo.listWithdrawalsOfSeller(prisma, id, 50),
      ]);
      return {
        sellerId: id,
        balances,
        methods,
        withdrawals,
        fees: feeScheduleOf(config),
        minimumsMinor: { ...config.FINANCE_WITHDRAWAL_MIN_MINOR },
      };
    },

    /** The seller's statement, newest first, with running balances; `beforeId` pages back. */
    async getStatement(
      actor: Actor,
      opts: { sellerId?: string; currency?: string; limit: number; beforeId?: string },
    ): Promise<StatementLine[]> {
      const id = sellerFor(actor, opts.sellerId);
      return repo.statementOf(prisma, id, opts);
    },

    async getWithdrawal(actor: Actor, withdrawalId: string): Promise<WithdrawalRecord> {
      const w = await repo.findWithdrawal(prisma, withdrawalId);
      if (!w || !(actsForSeller(actor, w.sellerId, 'FINANCE') || hasRole(actor, 'PLATFORM_FINANCE')))
        throw FinanceErrors.withdrawalNotFound();
      return w;
    },

    // ------------------------------------------------------------ payout methods

    /**
     * Adds a payout method for a seller the actor manages: the destination is resolved (bank
     * accounts, when a resolver is configured), encrypted, fingerprinted (a second identical
     * destination is refused) and usable only after the cooling-off period; the seller is emailed.
     */
    async addPayoutMethod(
      actor: Actor,
      input: NewPayoutMethod,
      sellerId?: string,
    ): Promise<PayoutMethodRecord> {
      const id = sellerFor(actor, sellerId);
      if (!isCurrencyCode(input.currency))
        throw FinanceErrors.unsupportedDestination(`${input.currency} is not supported`);
      if (input.type === 'MOBILE_MONEY') {
        const expected = MOBILE_MONEY_CURRENCY[input.country.toUpperCase()];
        if (!expected)
          throw FinanceErrors.unsupportedDestination(`Mobile money payouts do not go to ${input.country}`);
        if (expected !== input.currency)
          throw FinanceErrors.unsupportedDestination(
            `A mobile money wallet in ${input.country} receives ${expected}`,
          );
      }
      let destination = input.destination;
      if (destination.type === 'BANK_ACCOUNT' && deps.accountResolver) {
        const name = await deps.accountResolver.resolveAccountName({
          accountNumber: destination.accountNumber,
          bankCode: input.providerCode,
          country: input.country,
        });
        if (!name) throw FinanceErrors.accountNotResolved();
        destination = { ...destination, accountName: name };
      }
      const number = numberOf(destination);
      const methodId = crypto.randomUUID();
      const now = clock.now();
      const sealed = sealDestination(keyring, methodId, id, destination);
      try {
        return await prisma.$transaction(async (tx) => {
          const method = await repo.insertMethod(
            tx,
            {
              id: methodId,
              sellerId: id,
              type: input.type,
              country: input.country.toUpperCase(),
              currency: input.currency,
              providerCode: input.providerCode.toUpperCase(),
              providerName: input.providerName,
              last4: number.slice(-4),
              ...sealed,
              blindIndex: blindIndexOf(keyring, {
                type: input.type,
                country: input.country,
                providerCode: input.providerCode,
                number,
              }),
              usableFrom: new Date(now.getTime() + config.FINANCE_METHOD_COOLING_OFF_HOURS * HOUR),
              createdBy: actor.userId,
            },
            now,
          );
          await recordAudit(tx, clock, {
            actorId: actor.userId,
            action: 'payout-method.add',
            targetType: 'payout_method',
            targetId: method.id,
            before: null,
            after: {
              sellerId: id,
              type: method.type,
              providerCode: method.providerCode,
              last4: method.last4,
            },
          });
          await enqueue(tx, methodEvent(method, 'ADDED', actor.userId));
          return method;
        }, TX_OPTIONS);
      } catch (err) {
        if (isUniqueViolation(err)) throw FinanceErrors.methodDuplicate();
        throw err;
      }
    },

    async listPayoutMethods(actor: Actor, sellerId?: string): Promise<PayoutMethodRecord[]> {
      return repo.listMethods(prisma, sellerFor(actor, sellerId));
    },

    /** Removes a payout method (withdrawals already made with it keep referring to it); the seller is emailed. */
    async removePayoutMethod(actor: Actor, methodId: string): Promise<PayoutMethodRecord> {
      const m = await repo.findMethod(prisma, methodId);
      if (!m || !actsForSeller(actor, m.sellerId, 'FINANCE')) throw FinanceErrors.methodNotFound();
      return prisma.$transaction(async (tx) => {
        const now = clock.now();
        if (!(await repo.removeMethod(tx, m.id, m.sellerId, now))) throw FinanceErrors.methodRemoved();
        const removed = { ...m, status: 'REMOVED' as const, removedAt: now };
        await recordAudit(tx, clock, {
          actorId: actor.userId,
          action: 'payout-method.remove',
          targetType: 'payout_method',
          targetId: m.id,
          before: { status: 'ACTIVE' },
          after: { status: 'REMOVED' },
        });
        await enqueue(tx, methodEvent(removed, 'REMOVED', actor.userId));
        return removed;
      }, TX_OPTIONS);
    },

    // ------------------------------------------------------------ withdrawals

    /**
     * Holds `amountMinor` of the method owner's available balance for a withdrawal, at most the
     * balance and at least the currency's minimum, in one transaction with the hold journal and
     * withdrawal.requested. The same Idempotency-Key with the same body answers the first
     * withdrawal (200); with another body, IDEMPOTENCY_KEY_REUSED.
     */
    async requestWithdrawal(
      actor: Actor,
      idempotencyKey: string,
      input: WithdrawalInput,
    ): Promise<WithdrawalResult> {
      const hash = withdrawalRequestHash(input);
      const replay = async (db: Db | Tx): Promise<WithdrawalResult | null> => {
        const prior = await repo.findWithdrawalByKey(db, actor.userId, idempotencyKey);
        if (!prior) return null;
        if (prior.requestHash !== hash) throw FinanceErrors.idempotencyKeyReused();
        return { withdrawal: prior.withdrawal, status: 200, replayed: true };
      };
      const early = await replay(prisma);
      if (early) return early;

      const method = await repo.findMethod(prisma, input.methodId);
      if (!method || !actsForSeller(actor, method.sellerId, 'FINANCE')) throw FinanceErrors.methodNotFound();
      if (method.status !== 'ACTIVE') throw FinanceErrors.methodRemoved();
      if (method.currency !== input.currency) throw FinanceErrors.methodCurrency(method.currency);
      if (method.usableFrom > clock.now()) throw FinanceErrors.methodCoolingOff(method.usableFrom);
      const minimum = minimumOf(input.currency);
      if (input.amountMinor < minimum) throw FinanceErrors.belowMinimum(minimum, input.currency);

      try {
        return await prisma.$transaction(async (tx) => {
          const now = clock.now();
          // The seller's available (and hold) account rows, locked in id order: every request for
          // this seller and currency queues here (see the invariant at the top of this file).
          const availableRef = accountsOf.seller(method.sellerId, 'SELLER_AVAILABLE', input.currency);
          const holdRef = accountsOf.seller(method.sellerId, 'SELLER_HOLD', input.currency);
          const locked = await repo.lockAccountBalances(tx, [availableRef, holdRef], now);
          const available = locked.get(repo.accountKeyOf(availableRef))!;
          // A request with the same key that held the lock before us has committed by now.
          const again = await replay(tx);
          if (again) return again;
          if (available.balanceMinor < 0)
            throw FinanceErrors.balanceNegative(available.balanceMinor, input.currency);
          if (available.balanceMinor < input.amountMinor)
            throw FinanceErrors.insufficientFunds(available.balanceMinor, input.currency);
          const w = await repo.insertWithdrawal(
            tx,
            {
              id: crypto.randomUUID(),
              sellerId: method.sellerId,
              methodId: method.id,
              amountMinor: input.amountMinor,
              currency: input.currency,
              requestedBy: actor.userId,
              idempotencyKey,
              requestHash: hash,
            },
            now,
          );
          await ledger.post(tx, {
            causeKey: causeKeys.withdrawal(w.id, 'hold'),
            kind: 'WITHDRAWAL_HOLD',
            memo: 'Withdrawal requested',
            sellerId: w.sellerId,
            withdrawalId: w.id,
            lines: [
              {
                account: accountsOf.seller(w.sellerId, 'SELLER_AVAILABLE', w.currency),
                amountMinor: -w.amountMinor,
              },
              {
                account: accountsOf.seller(w.sellerId, 'SELLER_HOLD', w.currency),
                amountMinor: w.amountMinor,
              },
            ],
          });
          await enqueue(tx, withdrawalEvent(FinanceEvents.withdrawalRequested, w));
          return { withdrawal: w, status: 201 as const, replayed: false };
        }, TX_OPTIONS);
      } catch (err) {
        // Two requests with one key raced past the first look: the loser answers the winner's.
        if (isUniqueViolation(err)) {
          const r = await replay(prisma);
          if (r) return r;
        }
        throw err;
      }
    },

    // ------------------------------------------------------------ platform finance

    /** Withdrawals waiting for a decision, oldest first. */
    async listApprovalQueue(limit = 100): Promise<WithdrawalRecord[]> {
      return repo.listWithdrawalsByStatus(prisma, ['REQUESTED'], limit, 'asc');
    },

    /** Decided withdrawals, newest first. */
    async listWithdrawalHistory(limit = 100): Promise<WithdrawalRecord[]> {
      return repo.listWithdrawalsByStatus(
        prisma,
        ['APPROVED', 'PROCESSING', 'PAID', 'FAILED', 'REJECTED', 'REVERSED'],
        limit,
        'desc',
      );
    },

    /** What the approver weighs: the seller's balances and recent history, the method's age, the transfer fee. */
    async getApprovalView(withdrawalId: string): Promise<ApprovalView> {
      const w = await repo.findWithdrawal(prisma, withdrawalId);
      if (!w) throw FinanceErrors.withdrawalNotFound();
      const method = (await repo.findMethod(prisma, w.methodId))!;
      const [balances, history, transfer, transferFee] = await Promise.all([
        repo.sellerBalances(prisma, w.sellerId),
        repo.statementOf(prisma, w.sellerId, { currency: w.currency, limit: 50 }),
        repo.findTransfer(prisma, w.id),
        deps.transferFees
          ?.quoteTransferFee({
            amountMinor: w.amountMinor,
            currency: w.currency,
            type: method.type === 'BANK_ACCOUNT' ? 'account' : 'mobilemoney',
          })
          .catch((err: Error) => {
            logger.warn('transfer fee quote failed', { withdrawalId: w.id, err: err.message });
            return null;
          }) ?? Promise.resolve(null),
      ]);
      const methodAgeHours = Math.floor((clock.now().getTime() - method.createdAt.getTime()) / HOUR);
      return { withdrawal: w, method, methodAgeHours, balances, history, transferFee, transfer };
    },

    /**
     * REQUESTED → APPROVED by a platform finance person who neither requested it nor acts for
     * its seller; writes the transfer row (reference = withdrawal id) and withdrawal.approved, on
     * which the payouts worker sends the transfer.
     */
    approveWithdrawal: (actor: Actor, withdrawalId: string) => decide(actor, withdrawalId, 'APPROVED', null),

    /** REQUESTED → REJECTED with a reason (same maker-checker rule); the hold goes back to available. */
    rejectWithdrawal: (actor: Actor, withdrawalId: string, reason: string) =>
      decide(actor, withdrawalId, 'REJECTED', reason),

    // ------------------------------------------------------------ transfers (payouts worker)

    /**
     * What POST /v3/transfers needs for an APPROVED or PROCESSING withdrawal, with the decrypted
     * destination. Never log it or put it in an API answer; null when the withdrawal is in no
     * state to be paid (already final, rejected, unknown).
     */
    async getPayoutInstruction(db: Db | Tx, withdrawalId: string): Promise<PayoutInstruction | null> {
      const w = await repo.findWithdrawal(db, withdrawalId);
      if (!w || !IN_FLIGHT.includes(w.status)) return null;
      const secret = await repo.findMethodSecret(db, w.methodId);
      if (!secret) return null;
      const destination = openDestination(keyring, secret.method.id, secret.method.sellerId, secret);
      return {
        withdrawalId: w.id,
        reference: w.id,
        sellerId: w.sellerId,
        amountMinor: w.amountMinor,
        currency: w.currency,
        country: secret.method.country,
        accountBank: secret.method.providerCode,
        destination,
      };
    },

    /**
     * Before each transfer attempt: APPROVED → PROCESSING (or stays PROCESSING), one more attempt
     * counted, `update` stored. Answers the withdrawal's status and the attempt number: attempt > 1
     * means a call may already have reached Flutterwave, so the worker must look the transfer up
     * by reference before sending again. A final status answers without change.
     */
    async markWithdrawalProcessing(
      tx: Tx,
      withdrawalId: string,
      update?: TransferUpdate,
    ): Promise<{ status: WithdrawalStatus; attempt: number; transfer: TransferRecord | null }> {
      checkTransferUpdate(update);
      const now = clock.now();
      const w = await lockInFlight(tx, withdrawalId);
      if (!IN_FLIGHT.includes(w.status))
        return { status: w.status, attempt: 0, transfer: await repo.findTransfer(tx, w.id) };
      if (w.status === 'APPROVED')
        await repo.transitionWithdrawal(tx, w.id, ['APPROVED'], 'PROCESSING', { processingAt: now }, now);
      await repo.insertTransfer(tx, w.id, now);
      const transfer = await repo.updateTransfer(tx, w.id, { ...update, attempt: true }, now);
      return { status: 'PROCESSING', attempt: transfer.attempts, transfer };
    },

    /**
     * Stores what Flutterwave said about a transfer (id, status, fee) without changing the
     * withdrawal. Under the withdrawal's row lock (the same the transitions take): once it is
     * final, its transfer keeps the status that transition wrote, so a late answer (the create
     * call's NEW arriving after the webhook's SUCCESSFUL) cannot move it back to unfinished,
     * where the re-check job would chase it forever.
     */
    async recordTransferUpdate(
      tx: Tx,
      withdrawalId: string,
      update: TransferUpdate,
    ): Promise<TransferRecord> {
      checkTransferUpdate(update);
      const now = clock.now();
      const w = await lockInFlight(tx, withdrawalId);
      await repo.insertTransfer(tx, withdrawalId, now);
      const { providerStatus, completeMessage, ...facts } = update;
      const u = IN_FLIGHT.includes(w.status) ? { ...facts, providerStatus, completeMessage } : facts;
      return repo.updateTransfer(tx, withdrawalId, { ...u, checkedAt: now }, now);
    },

    /**
     * Verified SUCCESSFUL: APPROVED/PROCESSING → PAID, hold → paid out (clearing credited), and
     * withdrawal.completed. 'UNCHANGED' when it was already final (a duplicate webhook).
     */
    async markWithdrawalPaid(
      tx: Tx,
      withdrawalId: string,
      update?: TransferUpdate,
    ): Promise<'PAID' | 'UNCHANGED'> {
      const now = clock.now();
      const w = await lockForOutcome(tx, withdrawalId, IN_FLIGHT, update);
      if (!w) return 'UNCHANGED';
      await repo.transitionWithdrawal(tx, w.id, IN_FLIGHT, 'PAID', { paidAt: now }, now);
      await repo.insertTransfer(tx, w.id, now);
      const transfer = await repo.updateTransfer(
        tx,
        w.id,
        { providerStatus: 'SUCCESSFUL', ...update, checkedAt: now },
        now,
      );
      await ledger.post(tx, {
        causeKey: causeKeys.withdrawal(w.id, 'paid'),
        kind: 'WITHDRAWAL_PAID',
        memo: 'Withdrawal paid out',
        sellerId: w.sellerId,
        withdrawalId: w.id,
        lines: [
          { account: accountsOf.seller(w.sellerId, 'SELLER_HOLD', w.currency), amountMinor: -w.amountMinor },
          { account: accountsOf.platform('PROVIDER_CLEARING', w.currency), amountMinor: w.amountMinor },
        ],
      });
      /*
       * The provider's fee for this transfer, as its own journal in the same transaction as the
       * paid transition: the platform bears it (provider fees debited, clearing credited: the
       * wallet paid amount + fee). Cause key `withdrawal:<id>:fee` makes it post once even if
       * this ran twice. Assumption: the fee the provider reported with the SUCCESSFUL answer (or
       * earlier, stored on the transfer row) is the one it took from the wallet; without one
       * nothing is posted and the daily reconciliation shows the gap as a BALANCE difference.
       * The fee stays spent when the provider later reverses the transfer (it refunds the
       * amount only), so the reversal journal does not touch it.
       */
      if (transfer.fee !== null) {
        const feeCurrency = transfer.feeCurrency ?? w.currency;
        const feeMinor = providerFeeMinor(transfer.fee, feeCurrency);
        if (feeMinor > 0)
          await ledger.post(tx, {
            causeKey: causeKeys.withdrawal(w.id, 'fee'),
            kind: 'PROVIDER_FEE',
            memo: `Provider transfer fee ${transfer.fee} ${feeCurrency}`,
            sellerId: w.sellerId,
            withdrawalId: w.id,
            lines: [
              { account: accountsOf.platform('PROVIDER_FEES', feeCurrency), amountMinor: -feeMinor },
              { account: accountsOf.platform('PROVIDER_CLEARING', feeCurrency), amountMinor: feeMinor },
            ],
          });
      }
      await enqueue(tx, withdrawalEvent(FinanceEvents.withdrawalCompleted, { ...w, status: 'PAID' }));
      return 'PAID';
    },

    /** Verified FAILED: APPROVED/PROCESSING → FAILED, hold → available, withdrawal.failed (the seller is emailed). */
    async markWithdrawalFailed(
      tx: Tx,
      withdrawalId: string,
      reason: string,
      update?: TransferUpdate,
    ): Promise<'FAILED' | 'UNCHANGED'> {
      const now = clock.now();
      const w = await lockForOutcome(tx, withdrawalId, IN_FLIGHT, update);
      if (!w) return 'UNCHANGED';
      const why = reason.slice(0, 500);
      await repo.transitionWithdrawal(
        tx,
        w.id,
        IN_FLIGHT,
        'FAILED',
        { failedAt: now, failureReason: why },
        now,
      );
      await repo.insertTransfer(tx, w.id, now);
      await repo.updateTransfer(tx, w.id, { providerStatus: 'FAILED', ...update, checkedAt: now }, now);
      await releaseHold(tx, w, 'Withdrawal failed: money back to available');
      await enqueue(
        tx,
        withdrawalEvent(FinanceEvents.withdrawalFailed, { ...w, status: 'FAILED' }, { reason: why }),
      );
      return 'FAILED';
    },

    /**
     * A transfer reported SUCCESSFUL and later reversed by the provider: PAID → REVERSED with its
     * own reversing journal (clearing debited, available credited), withdrawal.failed (reversed).
     */
    async markWithdrawalReversed(
      tx: Tx,
      withdrawalId: string,
      reason: string,
      update?: TransferUpdate,
    ): Promise<'REVERSED' | 'UNCHANGED'> {
      const now = clock.now();
      const w = await lockForOutcome(tx, withdrawalId, ['PAID'], update);
      if (!w) return 'UNCHANGED';
      const why = reason.slice(0, 500);
      await repo.transitionWithdrawal(
        tx,
        w.id,
        ['PAID'],
        'REVERSED',
        { reversedAt: now, failureReason: why },
        now,
      );
      await repo.updateTransfer(tx, w.id, { ...update, checkedAt: now }, now);
      await ledger.post(tx, {
        causeKey: causeKeys.withdrawal(w.id, 'reversal'),
        kind: 'PAYOUT_REVERSAL',
        memo: 'Payout reversed by the provider: money back to available',
        sellerId: w.sellerId,
        withdrawalId: w.id,
        lines: [
          { account: accountsOf.platform('PROVIDER_CLEARING', w.currency), amountMinor: -w.amountMinor },
          {
            account: accountsOf.seller(w.sellerId, 'SELLER_AVAILABLE', w.currency),
            amountMinor: w.amountMinor,
          },
        ],
      });
      await enqueue(
        tx,
        withdrawalEvent(
          FinanceEvents.withdrawalFailed,
          { ...w, status: 'REVERSED' },
          { reason: why, reversed: true },
        ),
      );
      return 'REVERSED';
    },

    getWithdrawalById: (db: Db | Tx, withdrawalId: string) => repo.findWithdrawal(db, withdrawalId),
    /** A withdrawal and its payout method (masked record, no destination): what an email about it says. */
    async getWithdrawalWithMethod(
      db: Db | Tx,
      withdrawalId: string,
    ): Promise<{ withdrawal: WithdrawalRecord; method: PayoutMethodRecord } | null> {
      const w = await repo.findWithdrawal(db, withdrawalId);
      const m = w && (await repo.findMethod(db, w.methodId));
      return w && m ? { withdrawal: w, method: m } : null;
    },
    getTransfer: (db: Db | Tx, withdrawalId: string) => repo.findTransfer(db, withdrawalId),
    getTransferByProviderId: (db: Db | Tx, providerTransferId: number) =>
      repo.findTransferByProviderId(db, providerTransferId),
    /** Transfers in one of `providerStatuses` not touched since `before` (stuck NEW/PENDING, for re-verification). */
    listTransfersToCheck: (providerStatuses: string[], before: Date, limit: number) =>
      repo.listTransfersByStatus(prisma, providerStatuses, before, limit),

    // ------------------------------------------------------------ reconciliation

    /** The platform accounts per currency (clearing is negative: money held at the provider). */
    getPlatformBalances: () => repo.platformBalances(prisma),
    /** Per currency: the exact provider transfer fees the ledger posted, and the rounded minor units it posted. */
    getPostedProviderFees: () => repo.postedProviderFees(prisma),
    /** Records one difference a reconciliation run found (once per run, kind, currency, withdrawal). */
    recordReconciliationDifference: (d: NewReconciliationDifference) =>
      repo.insertDifference(prisma, d, clock.now()),
    listReconciliationDifferences: (opts: {
      open: boolean;
      limit: number;
    }): Promise<ReconciliationDifference[]> => repo.listDifferences(prisma, opts),
    countOpenReconciliationDifferences: () => repo.countOpenDifferences(prisma),
    async resolveReconciliationDifference(actor: Actor, id: string, resolution: string): Promise<void> {
      await prisma.$transaction(async (tx) => {
        if (!(await repo.resolveDifference(tx, id, actor.userId, resolution, clock.now())))
          throw FinanceErrors.differenceNotFound();
        await recordAudit(tx, clock, {
          actorId: actor.userId,
          action: 'reconciliation.resolve',
          targetType: 'reconciliation_difference',
          targetId: id,
          before: null,
          after: { resolution },
        });
      });
    },
  };

  function methodEvent(m: PayoutMethodRecord, change: 'ADDED' | 'REMOVED', by: string) {
    const payload: PayoutMethodChangedPayload = {
      methodId: m.id,
      sellerId: m.sellerId,
      change,
      changedBy: by,
      type: m.type,
      providerName: m.providerName,
      last4: m.last4,
      usableFrom: m.usableFrom.toISOString(),
    };
    return createEvent(FinanceEvents.payoutMethodChanged, payload, clock);
  }
}

export type FinanceService = ReturnType<typeof createFinanceService>;

/** A fee quote's decimal text as minor units when exact (for display); null when it has finer digits. */
export function feeMinorOrNull(fee: string, currency: string): number | null {
  try {
    return fromMajor(fee, currency);
  } catch (err) {
    if (err instanceof MoneyError) return null;
    throw err;
  }
}
