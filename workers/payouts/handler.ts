import type { Clock } from '../../src/shared/clock';
import type { Config } from '../../src/shared/config';
import type { Db, Tx } from '../../src/shared/db';
import { AppError, PermanentError } from '../../src/shared/errors';
import type { Logger } from '../../src/shared/logger';
import type { Modules } from '../../src/modules/container';
import { defineConsumer } from '../../src/shared/messaging/consumer';
import type { QueueTopology } from '../../src/shared/messaging/topology';
import type { Platform } from '../../src/shared/platform';
import type { WorkerDefinition } from '../../src/shared/worker';
import { TransferMarks, UNFINISHED_STATUSES } from './marks';
import { reconcilePayouts } from './reconcile';
import { isCurrencyCode, type CurrencyCode } from '../../src/shared/money';
import {
  FlutterwaveError,
  PaymentEvents,
  assessTransfer,
  type CreateTransferParams,
  type FlutterwaveTransfers,
  type ProviderTransfer,
  type WebhookReceivedPayload,
} from '../../src/modules/payments';
import {
  FinanceEvents,
  type FinanceService,
  type PayoutInstruction,
  type TransferRecord,
  type TransferUpdate,
  type WithdrawalEventPayload,
  type WithdrawalRecord,
} from '../../src/modules/finance';

/*
 * Payouts: how an approved withdrawal becomes exactly one Flutterwave transfer, and how what
 * Flutterwave says about it reaches the ledger exactly once.
 *
 * Believed without checking: our own rows, read by id through the finance module (the
 * withdrawal's amount, currency and status, its payout method's decrypted destination), and
 * that the transfer's `reference` is the withdrawal's id (the finance tables enforce it).
 * Believed as a hint only, never acted on as such:
 * - a withdrawal.approved message: the withdrawal is re-read; nothing happens unless it is
 *   APPROVED or PROCESSING;
 * - a transfer.completed webhook: authenticated (verif-hash, constant time) and stored once by
 *   the payments module's webhook route; it only says "look at transfer N";
 * - the answer to POST /v3/transfers: it gives us the provider's id; NEW and PENDING are not final.
 * Re-verified before anything is posted: the transfer itself, with GET /v3/transfers/:id. Only a
 * final status with our reference, our amount and our currency moves money (assessTransfer); a
 * SUCCESSFUL transfer with another amount is recorded as a reconciliation difference for a
 * person, and posts nothing.
 *
 * One transfer per withdrawal rests on these, in this order:
 * - the reference is fixed before the first call and never regenerated;
 * - an attempt is counted (transfer row SENDING, attempts + 1) in a committed transaction BEFORE
 *   the call, under the withdrawal's row lock, and only the caller whose count moved from the
 *   value it read sends (two copies of one message cannot both send);
 * - POST is sent once per attempt (the client retries it only when it provably never left). A
 *   time-out, a dropped connection, a 5xx or a "duplicate reference" answer is never met by
 *   sending again: the transfer is looked up by reference. Found: its id is recorded. Not found:
 *   the transfer is left UNKNOWN for the re-check job, which sends again only after another
 *   lookup finds nothing and PAYOUT_RECHECK_AFTER_MINUTES have passed since the row was last
 *   touched (a crashed worker's request may still be on its way to Flutterwave);
 * - Flutterwave refusing a reused reference is a second line, not the first: the simulator's
 *   duplicateReferences 'accept' proves the rules above alone keep one transfer.
 * If the first two were false, a redelivered message or a second worker copy could pay twice.
 *
 * One posting per outcome rests on the finance module's guarded transitions
 * (APPROVED/PROCESSING → PAID or FAILED, PAID → REVERSED), each writing its journal (unique cause
 * key) and its event in the same transaction: a duplicate or reordered webhook, a redelivered
 * message and the re-check job racing each other find the transition done and post nothing. A
 * FAILED answer for a PAID withdrawal is the provider reversing it: its own reversing journal.
 *
 * No pooled connection is held across a Flutterwave call. The send consumer runs `inbox: false`
 * and works in steps: read by id (each query returns its connection), commit the attempt, call,
 * then apply the answer in a short transaction; it cannot be one prepare + one transaction,
 * because the attempt must be committed before the call. The webhook consumer is an inbox
 * consumer: `prepare` does the GET, `handle` applies the verdict inside the inbox transaction.
 */

export type PayoutsConfig = Pick<
  Config,
  | 'PAYOUT_RECHECK_AFTER_MINUTES'
  | 'PAYOUT_RECHECK_BATCH_SIZE'
  | 'PAYOUT_SENDER_NAME'
  | 'PAYOUT_SENDER_COUNTRY'
  | 'PAYOUT_SENDER_MOBILE'
>;

export interface PayoutsDeps {
  prisma: Db;
  clock: Clock;
  config: PayoutsConfig;
  finance: FinanceService;
  transfers: FlutterwaveTransfers;
  logger: Logger;
}

export type PayoutOutcome =
  'SKIPPED' | 'SENT' | 'DEFERRED' | 'PENDING' | 'PAID' | 'FAILED' | 'REVERSED' | 'UNCHANGED' | 'MISMATCH';

const TX = { maxWait: 10_000, timeout: 20_000 };

/** A transfer as Flutterwave reports it (GET by id), and the withdrawal its reference names. */
export interface VerifiedTransfer {
  withdrawalId: string;
  transfer: ProviderTransfer;
}

/** Thrown to have the message retried later (nothing was sent; the provider or our key failed). */
class RetryLater extends Error {}

function updateOf(t: ProviderTransfer): TransferUpdate {
  return {
    providerTransferId: t.id,
    providerStatus: t.state === 'UNKNOWN' ? String(t.raw.status) : t.state,
    fee: t.fee,
    feeCurrency: t.fee === null ? null : t.currency,
    completeMessage: t.completeMessage,
  };
}

/** The POST /v3/transfers body for an instruction (bank account or mobile money). */
export function transferRequestOf(i: PayoutInstruction, config: PayoutsConfig): CreateTransferParams {
  if (!isCurrencyCode(i.currency))
    throw new PermanentError(`withdrawal ${i.withdrawalId}: unsupported currency`);
  const base = {
    account_bank: i.accountBank,
    amountMinor: i.amountMinor,
    currency: i.currency as CurrencyCode,
    reference: i.reference,
    narration: `Tikiti payout ${i.reference.slice(0, 8)}`,
  };
  const d = i.destination;
  if (d.type === 'BANK_ACCOUNT') {
    return {
      ...base,
      account_number: d.accountNumber,
      beneficiary_name: d.accountName,
      ...(d.branchCode && { destination_branch_code: d.branchCode }),
    };
  }
  const mpesa = i.accountBank === 'MPS' && i.currency === 'KES';
  return {
    ...base,
    account_number: d.phoneNumber,
    beneficiary_name: d.beneficiaryName,
    ...(mpesa && {
      meta: {
        sender: d.mpesa?.sender ?? config.PAYOUT_SENDER_NAME,
        sender_country: d.mpesa?.senderCountry ?? config.PAYOUT_SENDER_COUNTRY,
        mobile_number: d.mpesa?.mobileNumber ?? config.PAYOUT_SENDER_MOBILE,
      },
    }),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The payouts use cases: send, look up, verify, apply, re-check. */
export function createPayouts(deps: PayoutsDeps) {
  const { prisma, clock, config, finance, transfers, logger } = deps;
  const recheckAfterMs = config.PAYOUT_RECHECK_AFTER_MINUTES * 60_000;

  const inOwnTx = <T>(fn: (tx: Tx) => Promise<T>) => prisma.$transaction(fn, TX);
  const inTx = inOwnTx;

  /** Records what a lookup found (one transfer) or that it found nothing (UNKNOWN). */
  async function recordLookup(
    w: WithdrawalRecord,
    found: ProviderTransfer[],
  ): Promise<ProviderTransfer | null> {
    if (found.length > 1) {
      // Paid more than once under one reference: never hidden, never posted twice (one transition).
      logger.error('several provider transfers carry one withdrawal reference', {
        withdrawalId: w.id,
        transferIds: found.map((t) => t.id),
      });
      await finance.recordReconciliationDifference({
        runKey: `payout:${w.id}`,
        kind: 'DUPLICATE_TRANSFER',
        currency: w.currency,
        withdrawalId: w.id,
        providerTransferId: found[1]!.id,
        expected: '1',
        actual: String(found.length),
        details: { transferIds: found.map((t) => t.id) },
      });
    }
    const first = [...found].sort((a, b) => a.id - b.id)[0] ?? null;
    await inTx((tx) =>
      finance.recordTransferUpdate(
        tx,
        w.id,
        first ? updateOf(first) : { providerStatus: TransferMarks.unknown },
      ),
    );
    return first;
  }

  /** GET the transfer, judge it against the withdrawal, apply the verdict with guarded transitions. */
  async function verifyAndApply(withdrawalId: string, providerTransferId: number): Promise<PayoutOutcome> {
    const t = await transfers.getTransfer(providerTransferId);
    return applyVerified(withdrawalId, t);
  }

  /** Applies a verified record; inside `tx` when given (the webhook consumer's inbox transaction). */
  async function applyVerified(withdrawalId: string, t: ProviderTransfer, tx?: Tx): Promise<PayoutOutcome> {
    const inTx = <T>(fn: (tx: Tx) => Promise<T>) => (tx ? fn(tx) : inOwnTx(fn));
    const w = await finance.getWithdrawalById(tx ?? prisma, withdrawalId);
    if (!w) return 'SKIPPED';
    if (!isCurrencyCode(w.currency)) throw new PermanentError(`withdrawal ${w.id}: unsupported currency`);
    const verdict = assessTransfer(t, { reference: w.id, amountMinor: w.amountMinor, currency: w.currency });
    const update = updateOf(t);
    switch (verdict.outcome) {
      case 'PENDING':
        if (w.status === 'APPROVED' || w.status === 'PROCESSING')
          await inTx((tx) => finance.recordTransferUpdate(tx, w.id, update));
        return 'PENDING';
      case 'PAID': {
        const r = await inTx((tx) => finance.markWithdrawalPaid(tx, w.id, update));
        if (r === 'PAID') logger.info('withdrawal paid', { withdrawalId: w.id, providerTransferId: t.id });
        return r;
      }
      case 'FAILED': {
        const r = await inTx((tx) =>
          w.status === 'PAID'
            ? finance.markWithdrawalReversed(tx, w.id, verdict.reason, update)
            : finance.markWithdrawalFailed(tx, w.id, verdict.reason, update),
        );
        if (r !== 'UNCHANGED')
          logger.warn(`withdrawal ${r.toLowerCase()}`, { withdrawalId: w.id, providerTransferId: t.id });
        return r;
      }
      case 'MISMATCH':
        logger.error('provider transfer does not match its withdrawal: nothing posted', {
          withdrawalId: w.id,
          providerTransferId: t.id,
          problems: verdict.problems,
        });
        await finance.recordReconciliationDifference({
          runKey: `payout:${w.id}`,
          kind: 'TRANSFER_MISMATCH',
          currency: w.currency,
          withdrawalId: w.id,
          providerTransferId: t.id,
          expected: null,
          actual: null,
          details: { problems: verdict.problems, providerStatus: String(t.raw.status) },
        });
        return 'MISMATCH';
    }
  }

  /** Looks the transfer up by reference; sends only when Flutterwave has none and `mayResend`. */
  async function findThenApply(w: WithdrawalRecord, mayResend: boolean): Promise<PayoutOutcome> {
    const found = await recordLookup(w, await transfers.findTransfersByReference(w.id));
    if (found) return found.final ? applyVerified(w.id, found) : 'PENDING';
    if (!mayResend) return 'DEFERRED';
    return send(w.id, { expectedAttempts: (await finance.getTransfer(prisma, w.id))?.attempts ?? 0 });
  }

  /** Counts an attempt (committed), then calls POST /v3/transfers once. */
  async function send(withdrawalId: string, opts: { expectedAttempts: number }): Promise<PayoutOutcome> {
    const instruction = await finance.getPayoutInstruction(prisma, withdrawalId);
    if (!instruction) return 'SKIPPED';
    const request = transferRequestOf(instruction, config);
    const claim = await inTx((tx) =>
      finance.markWithdrawalProcessing(tx, withdrawalId, { providerStatus: TransferMarks.sending }),
    );
    if (claim.status !== 'PROCESSING') return 'SKIPPED';
    if (claim.attempt !== opts.expectedAttempts + 1) {
      // Another copy counted an attempt since we read the row: it sends, we do not.
      logger.info('transfer attempt taken by another copy', { withdrawalId, attempt: claim.attempt });
      return 'DEFERRED';
    }
    const w = (await finance.getWithdrawalById(prisma, withdrawalId))!;
    let created: ProviderTransfer;
    try {
      created = await transfers.createTransfer(request);
    } catch (err) {
      if (!(err instanceof FlutterwaveError)) {
        if (err instanceof AppError) {
          // Refused before sending (an amount the currency cannot carry): nothing left us.
          await inTx((tx) =>
            finance.recordTransferUpdate(tx, withdrawalId, { providerStatus: TransferMarks.notSent }),
          );
          throw new PermanentError(`withdrawal ${withdrawalId}: ${err.message}`);
        }
        throw err;
      }
      const unclear = err.info.outcomeUnknown || err.code === 'PROVIDER_DUPLICATE_REFERENCE';
      if (unclear) {
        logger.warn('transfer answer unclear: looking it up by reference', {
          withdrawalId,
          code: err.code,
          httpStatus: err.info.httpStatus,
        });
        return findThenApply(w, false);
      }
      if (err.code === 'PROVIDER_REJECTED') {
        // A definite 4xx: Flutterwave did not create the transfer. The hold goes back.
        return inTx((tx) =>
          finance.markWithdrawalFailed(tx, withdrawalId, err.info.providerMessage ?? err.message, {
            providerStatus: 'FAILED',
            completeMessage: err.info.providerMessage ?? null,
          }),
        );
      }
      // Provably not sent (connection refused) or refused our key: nothing happened; retry later.
      await inTx((tx) =>
        finance.recordTransferUpdate(tx, withdrawalId, { providerStatus: TransferMarks.notSent }),
      );
      throw new RetryLater(`transfer not sent (${err.code}): will retry`);
    }
    logger.info('transfer created', { withdrawalId, providerTransferId: created.id, status: created.state });
    await inTx((tx) => finance.recordTransferUpdate(tx, withdrawalId, updateOf(created)));
    // Even a final answer to POST is verified with GET before it moves money.
    return created.final ? verifyAndApply(withdrawalId, created.id) : 'SENT';
  }

  /** Where a withdrawal's payout stands, and the one next step for it. */
  async function advance(
    w: WithdrawalRecord,
    transfer: TransferRecord | null,
    now: Date,
  ): Promise<PayoutOutcome> {
    if (transfer?.providerTransferId) return verifyAndApply(w.id, transfer.providerTransferId);
    if (w.status !== 'APPROVED' && w.status !== 'PROCESSING') return 'SKIPPED';
    if (!transfer || transfer.providerStatus === TransferMarks.notSent)
      return send(w.id, { expectedAttempts: transfer?.attempts ?? 0 });
    // An attempt was made and we never learnt its id: look before anything else.
    const quiet = now.getTime() - transfer.updatedAt.getTime() >= recheckAfterMs;
    return findThenApply(w, quiet);
  }

  return {
    /** withdrawal.approved: sends the transfer once, or finds the one an earlier attempt made. */
    async payWithdrawal(withdrawalId: string): Promise<PayoutOutcome> {
      const w = await finance.getWithdrawalById(prisma, withdrawalId);
      if (!w || (w.status !== 'APPROVED' && w.status !== 'PROCESSING')) return 'SKIPPED';
      return advance(w, await finance.getTransfer(prisma, withdrawalId), clock.now());
    },

    /**
     * A stored transfer.completed webhook, before any transaction: GET the transfer by the
     * provider's id; the record's own reference (not the webhook's) says which withdrawal it is.
     * Null when it is none of ours (or Flutterwave does not know the id).
     */
    async fetchTransferWebhook(
      e: Pick<WebhookReceivedPayload, 'flwId' | 'reference'>,
    ): Promise<VerifiedTransfer | null> {
      const known = await finance.getTransferByProviderId(prisma, e.flwId);
      const byReference =
        !known && UUID.test(e.reference) ? await finance.getTransfer(prisma, e.reference) : null;
      if (!known && !byReference) {
        logger.warn('transfer webhook for a transfer we do not know', { flwId: e.flwId });
        return null;
      }
      let t: ProviderTransfer;
      try {
        t = await transfers.getTransfer(e.flwId);
      } catch (err) {
        if (err instanceof FlutterwaveError && err.code === 'PROVIDER_NOT_FOUND') {
          logger.warn('transfer webhook names a transfer Flutterwave does not know', { flwId: e.flwId });
          return null;
        }
        throw err;
      }
      const withdrawalId = t.reference;
      const ours = known?.withdrawalId === withdrawalId || byReference?.withdrawalId === withdrawalId;
      if (!ours && !(UUID.test(withdrawalId) && (await finance.getTransfer(prisma, withdrawalId)))) {
        logger.warn("transfer webhook's record carries a reference that is not one of our withdrawals", {
          flwId: e.flwId,
        });
        return null;
      }
      return { withdrawalId, transfer: t };
    },

    /** The verified record applied in the caller's transaction, with guarded transitions. */
    applyVerifiedTransfer: (tx: Tx, v: VerifiedTransfer) => applyVerified(v.withdrawalId, v.transfer, tx),

    /**
     * Transfers with no final answer for PAYOUT_RECHECK_AFTER_MINUTES: re-verified by id, or
     * looked up by reference, or (nothing found after that long) sent again. SKIP LOCKED is not
     * needed: every step is a guarded transition, so two copies of the job only repeat reads.
     */
    async recheckUnfinished(): Promise<{ checked: number; outcomes: Record<string, number> }> {
      const now = clock.now();
      const due = await finance.listTransfersToCheck(
        UNFINISHED_STATUSES,
        new Date(now.getTime() - recheckAfterMs),
        config.PAYOUT_RECHECK_BATCH_SIZE,
      );
      const outcomes: Record<string, number> = {};
      for (const transfer of due) {
        try {
          const w = await finance.getWithdrawalById(prisma, transfer.withdrawalId);
          if (!w) continue;
          const outcome = await advance(w, transfer, now);
          outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        } catch (err) {
          outcomes.ERROR = (outcomes.ERROR ?? 0) + 1;
          logger.warn('payout re-check failed; next pass tries again', {
            withdrawalId: transfer.withdrawalId,
            err: (err as Error).message,
          });
        }
      }
      return { checked: due.length, outcomes };
    },
  };
}

export type Payouts = ReturnType<typeof createPayouts>;

/**
 * The payouts worker's queues: approved withdrawals (one transfer each), and stored Flutterwave
 * webhooks (only transfer.completed ones are ours; charge webhooks are skipped without a query).
 */
export const PayoutQueues: Record<'send' | 'webhooks', QueueTopology> = {
  send: { name: 'payouts.send', events: [FinanceEvents.withdrawalApproved] },
  webhooks: { name: 'payouts.webhooks', events: [PaymentEvents.webhookReceived] },
};

/** Permanent vs retryable: only a PermanentError dead-letters at once; everything else is retried. */
export function classifyPayoutError(err: unknown): Error {
  if (err instanceof PermanentError || err instanceof RetryLater) return err;
  if (err instanceof FlutterwaveError && !err.info.retryable) return new PermanentError(err.message);
  return err as Error;
}

/** The payouts worker's consumers (see the top of this file for why they differ). */
export function payoutConsumers(payouts: Payouts) {
  return [
    defineConsumer<WithdrawalEventPayload>({
      ...PayoutQueues.send,
      inbox: false,
      concurrency: 4,
      async handle(event, ctx) {
        try {
          const outcome = await payouts.payWithdrawal(event.payload.withdrawalId);
          ctx.logger.info('payout handled', { withdrawalId: event.payload.withdrawalId, outcome });
        } catch (err) {
          throw classifyPayoutError(err);
        }
      },
    }),
    defineConsumer<WebhookReceivedPayload, VerifiedTransfer | null>({
      ...PayoutQueues.webhooks,
      concurrency: 4,
      // The GET happens here, before the inbox transaction opens (no pooled connection held).
      async prepare(event) {
        if (event.payload.eventType !== 'transfer.completed') return null;
        try {
          return await payouts.fetchTransferWebhook(event.payload);
        } catch (err) {
          throw classifyPayoutError(err);
        }
      },
      async handle(event, { tx, logger }, verified) {
        if (!verified) return;
        const outcome = await payouts.applyVerifiedTransfer(tx, verified);
        logger.info('transfer webhook handled', { flwId: event.payload.flwId, outcome });
      },
    }),
  ];
}

/** The payouts worker: its two consumers, the re-check job and the daily reconciliation. */
export function payoutsWorker(
  platform: Platform,
  modules: Pick<Modules, 'finance' | 'transfers'>,
): WorkerDefinition {
  const { config, logger } = platform;
  const { finance, transfers } = modules;
  const payouts = createPayouts({
    prisma: platform.prisma,
    clock: platform.clock,
    config,
    finance,
    transfers,
    logger,
  });
  return {
    consumers: payoutConsumers(payouts),
    jobs: [
      {
        name: 'payouts.recheck',
        everyMs: config.PAYOUT_RECHECK_EVERY_MS,
        run: () => payouts.recheckUnfinished(),
      },
      {
        name: 'payouts.reconcile',
        everyMs: config.PAYOUT_RECONCILE_EVERY_MS,
        run: () =>
          reconcilePayouts({
            prisma: platform.prisma,
            clock: platform.clock,
            finance,
            transfers,
            logger,
            recheckAfterMinutes: config.PAYOUT_RECHECK_AFTER_MINUTES,
          }),
      },
    ],
  };
}
