import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
// The simulator's own shapes, written from Flutterwave's documentation (never the client's types).
import {
  webhookEventOf,
  type FlwMeta,
  type WireChargeCompletedEvent as FlwChargeCompletedEvent,
  type WireCustomizations as FlwCustomizations,
  type WireLegacyChargeEvent,
  type WirePaymentCustomer as FlwPaymentCustomer,
  type WireRefund as FlwRefund,
  type WireTransaction as FlwTransaction,
  type WireTransactionCustomer as FlwTransactionCustomer,
  type WireWebhookBody as FlwWebhookEvent,
} from './wire';
import {
  MoneyError,
  formatMoney,
  fromMajor,
  isCurrencyCode,
  toMajorNumber,
  toMajorString,
  type CurrencyCode,
} from '../../src/shared/money';
import { renderCheckoutPage, renderNotFoundPage } from './checkout-page';
import {
  createTransferDesk,
  type SimTransferCompletedEvent,
  type SimTransferView,
  type TransferFailure,
  type TransferOutage,
  type TransferTimeout,
} from './transfers';

export type { SimTransferCompletedEvent, SimTransferView, TransferFailure, TransferOutage, TransferTimeout };

/** Every webhook body the simulator sends (transfer shapes are its own: see transfers.ts). */
export type WebhookBody = FlwWebhookEvent;

/**
 * A local stand-in for Flutterwave's v3 API: the same endpoints, the same Bearer secret-key auth
 * (a wrong key gets Flutterwave's 401), the same JSON envelope and field names, its own hosted
 * checkout page, a redirect back with status/tx_ref/transaction_id, and real webhook calls
 * (charge.completed, transfer.completed) carrying the `verif-hash` header. State lives in memory.
 *
 * Tests steer it through the returned object (in-process) or through /__control/* over HTTP
 * (only when `controlApi` is on): drop, duplicate, delay, hold-and-reorder webhooks; make
 * verify report another amount, currency or status; fail the next transfer or refund; pay a
 * tx_ref without a browser (now or after a delay); inject 5xx, slow or dropped API answers.
 */

export interface FlutterwaveSimulatorOptions {
  /** The secret key API callers must present as `Authorization: Bearer <key>`. */
  secretKey: string;
  /** Sent as the `verif-hash` header of every webhook. */
  secretHash: string;
  /** Where webhooks go (the merchant's webhook URL); without one, none are sent. */
  webhookUrl?: string;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Base of the checkout links handed out; defaults to the listening address. */
  publicUrl?: string;
  /** Shown on the checkout page when the payment has no customizations.title. */
  merchantName?: string;
  /** Serve /__control/* (Bearer secret key). Off unless asked for. */
  controlApi?: boolean;
  /** Delivery attempts per webhook copy (Flutterwave retries failed deliveries). */
  webhookAttempts?: number;
  webhookRetryDelayMs?: number;
  webhookTimeoutMs?: number;
  /** Transfer NEW → PENDING after this long, then SUCCESSFUL/FAILED after transferSettleMs more. */
  transferPendingMs?: number;
  transferSettleMs?: number;
  /** Opening wallet balances in major units (charges credit the wallet, transfers debit it). */
  balances?: Record<string, number>;
  /** Refuse transfers the wallet cannot cover (default false). */
  enforceBalance?: boolean;
  /** A reused transfer reference: refused (default, 400) or accepted as a second transfer. */
  duplicateReferences?: 'refuse' | 'accept';
  log?: (message: string, meta?: Record<string, unknown>) => void;
  now?: () => Date;
}

export type PayOutcome = 'successful' | 'failed' | 'cancelled';

export interface PayResult {
  status: PayOutcome;
  txRef: string;
  transactionId?: number;
  /** redirect_url with the query Flutterwave appends, where the buyer's browser would go. */
  redirectTo: string;
}

export interface WebhookDelivery {
  copy: number;
  attempt: number;
  at: string;
  status?: number;
  error?: string;
  ms: number;
}

export interface WebhookRecord {
  id: number;
  event: WebhookEventName;
  /** tx_ref for charges, our reference for transfers. */
  key: string;
  body: WebhookBody;
  createdAt: string;
  state: 'scheduled' | 'held' | 'delivering' | 'delivered' | 'failed' | 'dropped' | 'no-url';
  copies: number;
  deliveries: WebhookDelivery[];
}

export type WebhookEventName = 'charge.completed' | 'transfer.completed';

/**
 * Which charge webhook body the simulator sends: the current `{ event, data }`, the older
 * top-level body (`{ id, txRef, status, ... }` with `event.type`), or both (one of each).
 */
export type ChargeWebhookShape = 'current' | 'legacy' | 'both';

/** How the simulator answers refund calls (set per test with answerRefunds). */
export interface RefundAnswerRule {
  /** How many refund calls this rule answers (default 1). */
  count?: number;
  /**
   * `pending`: accepted, then read back as pending by GET /v3/refunds/:id until `polls` reads
   * have been made (default 1), then `then` (default completed). `failed`: answered 200 with
   * status failed (no money moves).
   */
  status: 'pending' | 'failed';
  polls?: number;
  then?: 'completed' | 'failed';
}

export type WebhookSteer =
  { action: 'drop' } | { action: 'duplicate'; times: number } | { action: 'delay'; delayMs: number };

export interface VerificationOverride {
  /** Major units, as Flutterwave reports them. */
  amount?: number;
  currency?: string;
  status?: string;
}

export interface FaultRule {
  /** How many matching API requests this rule affects (default 1). */
  count?: number;
  method?: string;
  /** Substring of the request path (e.g. "/v3/transfers"). */
  path?: string;
  /** Answer with this status (5xx for outages) instead of handling the request. */
  status?: number;
  /** Wait this long before handling (or failing) the request: drives client time-outs. */
  delayMs?: number;
  /** Destroy the connection without an answer: a network error for the client. */
  drop?: boolean;
  /** Handle the request (money may move), then destroy the connection instead of answering: a lost answer. */
  loseAnswer?: boolean;
}

interface Checkout {
  token: string;
  txRef: string;
  amountMinor: number;
  currency: CurrencyCode;
  redirectUrl: string;
  customer: FlwPaymentCustomer;
  customizations?: FlwCustomizations;
  meta?: FlwMeta;
  expiresAt?: number;
  paid: boolean;
  lastFailure?: string;
}

interface SimTransaction {
  id: number;
  txRef: string;
  flwRef: string;
  amountMinor: number;
  currency: CurrencyCode;
  appFeeMinor: number;
  status: 'successful' | 'failed';
  processorResponse: string;
  createdAt: string;
  customer: FlwTransactionCustomer;
  meta: FlwMeta | null;
  refundedMinor: number;
}

export interface FlutterwaveSimulator {
  /** Base URL (http://host:port), set once started. */
  readonly url: string;
  start(): Promise<string>;
  close(): Promise<void>;
  /** Sets the URL webhooks are sent to (tests start their receiver after the simulator). */
  setWebhookUrl(url: string | undefined): void;

  /** Completes the checkout for txRef as the buyer would (default: a successful card payment). */
  pay(txRef: string, opts?: { status?: PayOutcome; delayMs?: number; amount?: number }): Promise<PayResult>;
  steerWebhooks(rule: WebhookSteer & { count?: number; event?: WebhookEventName }): void;
  /** Keeps new webhooks back until releaseWebhooks: with 'reverse' they arrive out of order. */
  holdWebhooks(): void;
  releaseWebhooks(order?: 'fifo' | 'reverse'): Promise<void>;
  resendWebhook(id: number): Promise<WebhookRecord>;
  overrideVerification(txRef: string, override: VerificationOverride): void;
  clearVerificationOverride(txRef: string): void;
  failNextTransfer(failure?: TransferFailure): void;
  /** The next transfer is created, but its answer is held and the connection cut: a client time-out. */
  timeoutNextTransfer(timeout?: TransferTimeout): void;
  /** The next POST /v3/transfers answers 5xx; with `processed` the transfer exists all the same. */
  failNextTransferWith5xx(outage?: TransferOutage): void;
  /** New transfers stay PENDING (no webhook) until settleTransfers() or releaseTransfers(). */
  holdTransfers(): void;
  releaseTransfers(): void;
  /** A SUCCESSFUL transfer is returned by the bank: it turns FAILED with a second webhook. */
  reverseTransfer(idOrReference: number | string, message?: string): SimTransferView;
  setDuplicateReferences(mode: 'refuse' | 'accept'): void;
  /** What POST /v3/accounts/resolve answers for this account. */
  registerAccount(bankCode: string, accountNumber: string, accountName: string): void;
  setBalance(currency: string, amountMajor: number | string): void;
  balance(currency: string): { available: number; ledger: number };
  failNextRefund(opts?: { count?: number; message?: string }): void;
  /** Answer the next refund calls with `pending` (settled by later reads) or `failed` instead of `completed`. */
  answerRefunds(rule: RefundAnswerRule): void;
  /** Accept another successful charge on a paid tx_ref (Flutterwave does not promise to refuse one); '*' for every tx_ref. */
  acceptRepeatCharges(txRef: string): void;
  /** What verify_by_reference returns for a tx_ref with several attempts ('*' for every tx_ref): the latest (default) or the oldest. */
  verifyByReferenceReturns(txRef: string, which: 'latest' | 'oldest'): void;
  /** The body shape of charge webhooks sent from now on (default current). */
  setChargeWebhookShape(shape: ChargeWebhookShape): void;
  injectFaults(rule: FaultRule): void;
  /** Finishes every NEW/PENDING transfer now (instead of waiting for its timers). */
  settleTransfers(): Promise<void>;
  /** Resolves when no webhook delivery, delayed payment or transfer timer is in flight. */
  idle(): Promise<void>;
  /** Resolves once every request held back by an injected delay has been processed (or dropped). */
  delayedRequestsDone(): Promise<void>;
  /** How many requests an injected delay is holding back right now (they have arrived). */
  delayedRequestsHeld(): number;
  reset(): void;

  webhooks(): WebhookRecord[];
  transactions(): FlwTransaction[];
  transaction(idOrTxRef: number | string): FlwTransaction | undefined;
  transfers(): SimTransferView[];
  /** Every transfer made under a reference (more than one only with duplicateReferences 'accept'). */
  transfersWithReference(reference: string): SimTransferView[];
  refunds(): FlwRefund[];
  checkoutLink(txRef: string): string | undefined;
}

class SimError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A Flutterwave v3 simulator; call start() to listen. */
export function createFlutterwaveSimulator(options: FlutterwaveSimulatorOptions): FlutterwaveSimulator {
  const opts = {
    host: '127.0.0.1',
    port: 0,
    merchantName: 'Tikiti',
    controlApi: false,
    webhookAttempts: 3,
    webhookRetryDelayMs: 1000,
    webhookTimeoutMs: 5000,
    transferPendingMs: 200,
    transferSettleMs: 1000,
    ...options,
  };
  const now = opts.now ?? (() => new Date());
  const log = opts.log ?? (() => undefined);
  let webhookUrl = opts.webhookUrl;
  let baseUrl = '';
  let publicUrl = opts.publicUrl?.replace(/\/+$/, '') ?? '';

  // Ids are seeded from the clock so that a restarted simulator never reissues an id the
  // platform has already stored (webhook events are de-duplicated by Flutterwave id).
  const seed = Math.floor(Date.now() / 1000) * 1000;
  let nextTransactionId = seed;
  let nextRefundId = seed;
  let nextCustomerId = seed;
  let nextWebhookId = 1;

  const checkouts = new Map<string, Checkout>(); // by tx_ref
  const tokens = new Map<string, string>(); // checkout token → tx_ref
  const transactions = new Map<number, SimTransaction>();
  const latestByRef = new Map<string, number>();
  const customers = new Map<string, FlwTransactionCustomer>();
  const refunds: FlwRefund[] = [];
  const webhookLog: WebhookRecord[] = [];
  const overrides = new Map<string, VerificationOverride>();
  // ---------- charges, refunds, webhooks as Flutterwave really behaves (per test) ----------
  const attemptsByRef = new Map<string, number[]>(); // every attempt of a tx_ref, oldest first
  const repeatCharges = new Set<string>();
  const byReferenceOldest = new Set<string>();
  let chargeWebhookShape: ChargeWebhookShape = 'current';
  let refundAnswers: Array<RefundAnswerRule & { remaining: number }> = [];
  /** Refunds accepted as pending: reads left before they finish, and how. */
  const pendingRefunds = new Map<number, { polls: number; then: 'completed' | 'failed' }>();

  let steering: Array<WebhookSteer & { remaining: number; event?: string }> = [];
  let holding = false;
  let held: WebhookRecord[] = [];
  let refundFailures: Array<{ remaining: number; message: string }> = [];
  let faults: Array<FaultRule & { remaining: number }> = [];

  const inFlight = new Set<Promise<unknown>>();
  /** Requests held by an injected delay (the route runs when the promise settles). */
  const delayed = new Set<Promise<unknown>>();
  const timers = new Set<NodeJS.Timeout>();
  const aborts = new Set<AbortController>();
  let closed = false;

  function track<T>(p: Promise<T>): Promise<T> {
    inFlight.add(p);
    void p.then(
      () => inFlight.delete(p),
      () => inFlight.delete(p),
    );
    return p;
  }

  // A wait cut short by close() must settle (reject), or close() would wait for it forever.
  const waiting = new Set<() => void>();
  function wait(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (closed) return reject(new Error('simulator closed'));
      const cancel = () => reject(new Error('simulator closed'));
      const t = setTimeout(() => {
        timers.delete(t);
        waiting.delete(cancel);
        if (closed) reject(new Error('simulator closed'));
        else resolve();
      }, ms);
      timers.add(t);
      waiting.add(cancel);
    });
  }

  function later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!closed) fn();
    }, ms);
    timers.add(t);
  }
  const desk = createTransferDesk({
    now,
    log,
    later,
    wait,
    emitWebhook: (body, key) => void emitWebhook(body, key),
    pendingMs: opts.transferPendingMs,
    settleMs: opts.transferSettleMs,
    firstId: seed,
    balances: opts.balances,
    enforceBalance: opts.enforceBalance,
    duplicateReferences: opts.duplicateReferences,
  });

  // ---------- records → Flutterwave shapes ----------

  function wireTransaction(tx: SimTransaction, applyOverride: boolean): FlwTransaction {
    const o = applyOverride ? overrides.get(tx.txRef) : undefined;
    const amount = toMajorNumber(tx.amountMinor, tx.currency);
    return {
      id: tx.id,
      tx_ref: tx.txRef,
      flw_ref: tx.flwRef,
      device_fingerprint: 'N/A',
      amount: o?.amount ?? amount,
      currency: o?.currency ?? tx.currency,
      charged_amount: o?.amount ?? amount,
      app_fee: toMajorNumber(tx.appFeeMinor, tx.currency),
      merchant_fee: 0,
      processor_response: tx.processorResponse,
      auth_model: 'PIN',
      ip: '127.0.0.1',
      narration: `CARD Transaction ${opts.merchantName}`,
      status: o?.status ?? tx.status,
      payment_type: 'card',
      created_at: tx.createdAt,
      account_id: 17321,
      amount_settled: toMajorNumber(tx.amountMinor - tx.appFeeMinor, tx.currency),
      meta: tx.meta,
      customer: tx.customer,
      card: {
        first_6digits: '553188',
        last_4digits: '2950',
        issuer: 'MASTERCARD SIMULATED CREDIT',
        country: 'NIGERIA NG',
        type: 'MASTERCARD',
        expiry: '09/32',
      },
    };
  }

  // ---------- webhooks ----------

  function emitWebhook(body: WebhookBody, key: string): WebhookRecord {
    const record: WebhookRecord = {
      id: nextWebhookId++,
      event: webhookEventOf(body),
      key,
      body,
      createdAt: now().toISOString(),
      state: 'scheduled',
      copies: 1,
      deliveries: [],
    };
    webhookLog.push(record);
    const rule = steering.find((r) => r.remaining > 0 && (!r.event || r.event === record.event));
    if (rule) rule.remaining -= 1;
    steering = steering.filter((r) => r.remaining > 0);
    if (rule?.action === 'drop') {
      record.state = 'dropped';
      log('webhook dropped (steered)', { id: record.id, event: record.event, key });
      return record;
    }
    if (rule?.action === 'duplicate') record.copies = Math.max(1, rule.times);
    if (holding) {
      record.state = 'held';
      held.push(record);
      return record;
    }
    const delayMs = rule?.action === 'delay' ? rule.delayMs : 0;
    void track(
      (delayMs ? wait(delayMs) : Promise.resolve()).then(
        () => deliver(record),
        () => undefined,
      ),
    );
    return record;
  }

  async function deliver(record: WebhookRecord): Promise<void> {
    if (!webhookUrl) {
      record.state = 'no-url';
      return;
    }
    record.state = 'delivering';
    const copies = Array.from({ length: record.copies }, (_, i) => deliverCopy(record, i + 1));
    const results = await Promise.all(copies);
    record.state = results.some(Boolean) ? 'delivered' : 'failed';
  }

  async function deliverCopy(record: WebhookRecord, copy: number): Promise<boolean> {
    const payload = JSON.stringify(record.body);
    for (let attempt = 1; attempt <= opts.webhookAttempts; attempt++) {
      if (closed || !webhookUrl) return false;
      const started = Date.now();
      const abort = new AbortController();
      aborts.add(abort);
      const timer = setTimeout(() => abort.abort(), opts.webhookTimeoutMs);
      const delivery: WebhookDelivery = { copy, attempt, at: now().toISOString(), ms: 0 };
      try {
        const res = await fetch(webhookUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'verif-hash': opts.secretHash },
          body: payload,
          signal: abort.signal,
        });
        await res.arrayBuffer().catch(() => undefined);
        delivery.status = res.status;
        delivery.ms = Date.now() - started;
        record.deliveries.push(delivery);
        if (res.ok) return true;
      } catch (err) {
        delivery.error =
          (err as Error).name === 'AbortError'
            ? 'timed out'
            : ((err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message);
        delivery.ms = Date.now() - started;
        record.deliveries.push(delivery);
      } finally {
        clearTimeout(timer);
        aborts.delete(abort);
      }
      log('webhook delivery failed', {
        id: record.id,
        copy,
        attempt,
        status: delivery.status,
        error: delivery.error,
      });
      if (attempt < opts.webhookAttempts) {
        try {
          await wait(opts.webhookRetryDelayMs * attempt);
        } catch {
          return false;
        }
      }
    }
    return false;
  }

  // ---------- payments ----------

  function customerFor(c: FlwPaymentCustomer): FlwTransactionCustomer {
    const existing = customers.get(c.email);
    if (existing) return existing;
    const created: FlwTransactionCustomer = {
      id: nextCustomerId++,
      name: c.name ?? 'Anonymous customer',
      // Flutterwave answers "N/A" when the customer gave no phone number.
      phone_number: c.phonenumber ?? 'N/A',
      email: c.email,
      created_at: now().toISOString(),
    };
    customers.set(c.email, created);
    return created;
  }

  function redirectFor(checkout: Checkout, status: PayOutcome, transactionId?: number): string {
    const url = new URL(checkout.redirectUrl);
    url.searchParams.set('status', status);
    url.searchParams.set('tx_ref', checkout.txRef);
    if (transactionId !== undefined) url.searchParams.set('transaction_id', String(transactionId));
    return url.href;
  }

  function completeCheckout(txRef: string, status: PayOutcome, amountPaid?: number): PayResult {
    const checkout = checkouts.get(txRef);
    if (!checkout) throw new SimError(404, `No checkout for tx_ref ${txRef}`);
    if (checkout.paid && !acceptsRepeatCharge(txRef)) {
      // A second click or a replayed form: the same redirect, no second charge.
      const id = latestByRef.get(txRef);
      return {
        status: 'successful',
        txRef,
        transactionId: id,
        redirectTo: redirectFor(checkout, 'successful', id),
      };
    }
    if (checkout.expiresAt && now().getTime() > checkout.expiresAt)
      throw new SimError(410, 'This checkout session has expired');
    if (status === 'cancelled') {
      log('checkout cancelled', { txRef });
      return { status, txRef, redirectTo: redirectFor(checkout, 'cancelled') };
    }
    let amountMinor = checkout.amountMinor;
    if (amountPaid !== undefined) amountMinor = fromMajor(amountPaid, checkout.currency);
    const tx: SimTransaction = {
      id: nextTransactionId++,
      txRef,
      flwRef: `FLW-MOCK-${randomBytes(16).toString('hex')}`,
      amountMinor,
      currency: checkout.currency,
      appFeeMinor: Math.round((amountMinor * 14) / 1000), // 1.4%, integer minor units
      status,
      processorResponse:
        status === 'successful' ? 'Approved. Successful' : 'Declined: insufficient funds (simulated)',
      createdAt: now().toISOString(),
      customer: customerFor(checkout.customer),
      meta: checkout.meta ?? null,
      refundedMinor: 0,
    };
    transactions.set(tx.id, tx);
    latestByRef.set(txRef, tx.id);
    if (status === 'successful')
      desk.credit(tx.currency, toMajorString(amountMinor - tx.appFeeMinor, tx.currency));
    attemptsByRef.set(txRef, [...(attemptsByRef.get(txRef) ?? []), tx.id]);
    if (status === 'successful') checkout.paid = true;
    else checkout.lastFailure = 'Your last attempt was declined. You can try again.';
    log('charge completed', { txRef, id: tx.id, status });
    emitChargeWebhooks(tx);
    return { status, txRef, transactionId: tx.id, redirectTo: redirectFor(checkout, status, tx.id) };
  }

  function acceptsRepeatCharge(txRef: string): boolean {
    return repeatCharges.has(txRef) || repeatCharges.has('*');
  }

  /** The older top-level charge webhook body, as Flutterwave still sends it to some merchants. */
  function legacyChargeBody(tx: SimTransaction): WireLegacyChargeEvent {
    return {
      id: tx.id,
      txRef: tx.txRef,
      flwRef: tx.flwRef,
      orderRef: `URF_${tx.id}`,
      paymentPlan: null,
      createdAt: tx.createdAt,
      amount: toMajorNumber(tx.amountMinor, tx.currency),
      charged_amount: toMajorNumber(tx.amountMinor, tx.currency),
      status: tx.status,
      IP: '127.0.0.1',
      currency: tx.currency,
      appfee: toMajorNumber(tx.appFeeMinor, tx.currency),
      merchantfee: 0,
      merchantbearsfee: 1,
      customer: {
        id: tx.customer.id,
        phone: tx.customer.phone_number === 'N/A' ? null : tx.customer.phone_number,
        fullName: tx.customer.name,
        customertoken: null,
        email: tx.customer.email,
        createdAt: tx.customer.created_at,
        updatedAt: tx.customer.created_at,
        deletedAt: null,
        AccountId: 17321,
      },
      entity: { card6: '553188', card_last4: '2950', card_country_iso: 'NG', createdAt: tx.createdAt },
      'event.type': 'CARD_TRANSACTION',
    };
  }

  /** The charge.completed webhook(s) of a finished attempt, in the shape(s) set with setChargeWebhookShape. */
  function emitChargeWebhooks(tx: SimTransaction): void {
    if (chargeWebhookShape !== 'legacy') {
      const event: FlwChargeCompletedEvent = {
        event: 'charge.completed',
        data: wireTransaction(tx, false),
        'event.type': 'CARD_TRANSACTION',
      };
      emitWebhook(event, tx.txRef);
    }
    if (chargeWebhookShape !== 'current') emitWebhook(legacyChargeBody(tx), tx.txRef);
  }

  function createCheckout(body: Record<string, unknown>): string {
    const txRef = body.tx_ref;
    if (typeof txRef !== 'string' || !txRef.trim()) throw new SimError(400, 'tx_ref is required');
    const currency = body.currency === undefined ? 'NGN' : body.currency;
    if (!isCurrencyCode(currency)) throw new SimError(400, 'Invalid currency');
    const rawAmount = body.amount;
    if ((typeof rawAmount !== 'number' && typeof rawAmount !== 'string') || rawAmount === '') {
      throw new SimError(400, 'amount is required');
    }
    let amountMinor: number;
    try {
      amountMinor = fromMajor(rawAmount, currency);
    } catch (err) {
      if (err instanceof MoneyError) throw new SimError(400, `Invalid amount: ${err.message}`);
      throw err;
    }
    if (amountMinor <= 0) throw new SimError(400, 'amount must be greater than 0');
    const redirectUrl = body.redirect_url;
    if (typeof redirectUrl !== 'string' || !URL.canParse(redirectUrl))
      throw new SimError(400, 'redirect_url must be a valid URL');
    const customer = body.customer as FlwPaymentCustomer | undefined;
    if (!customer || typeof customer.email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(customer.email)) {
      throw new SimError(400, 'customer.email is required');
    }
    const existing = checkouts.get(txRef);
    if (existing?.paid && !acceptsRepeatCharge(txRef))
      throw new SimError(400, 'This transaction reference has already been used for a successful payment');
    const sessionMinutes =
      typeof body.session_duration === 'number' ? Math.min(body.session_duration, 1440) : undefined;
    const token = existing?.token ?? randomBytes(16).toString('hex');
    const checkout: Checkout = {
      token,
      txRef,
      amountMinor,
      currency,
      redirectUrl,
      customer: { email: customer.email, name: customer.name, phonenumber: customer.phonenumber },
      customizations: body.customizations as FlwCustomizations | undefined,
      meta: body.meta as FlwMeta | undefined,
      expiresAt: sessionMinutes ? now().getTime() + sessionMinutes * 60_000 : undefined,
      paid: false,
    };
    checkouts.set(txRef, checkout);
    tokens.set(token, txRef);
    log('checkout created', { txRef, amountMinor, currency });
    return `${publicUrl}/v3/hosted/pay/${token}`;
  }

  // ---------- refunds ----------

  function refund(id: number, body: Record<string, unknown>): FlwRefund {
    const tx = transactions.get(id);
    if (!tx) throw new SimError(400, 'No transaction was found for this id');
    const failure = refundFailures.find((f) => f.remaining > 0);
    if (failure) {
      failure.remaining -= 1;
      refundFailures = refundFailures.filter((f) => f.remaining > 0);
      throw new SimError(400, failure.message);
    }
    if (tx.status !== 'successful') throw new SimError(400, 'Only a successful transaction can be refunded');
    const remaining = tx.amountMinor - tx.refundedMinor;
    let amountMinor = remaining;
    if (body.amount !== undefined) {
      try {
        amountMinor = fromMajor(body.amount as number | string, tx.currency);
      } catch {
        throw new SimError(400, 'Invalid refund amount');
      }
      if (amountMinor <= 0) throw new SimError(400, 'Invalid refund amount');
    }
    if (remaining <= 0) throw new SimError(400, 'This transaction has already been fully refunded');
    if (amountMinor > remaining)
      throw new SimError(400, 'Refund amount exceeds the refundable balance of this transaction');
    const answer = refundAnswers.find((a) => a.remaining > 0);
    if (answer) {
      answer.remaining -= 1;
      refundAnswers = refundAnswers.filter((a) => a.remaining > 0);
    }
    // A refund answered failed moves no money; a pending one holds its amount until it finishes.
    if (answer?.status !== 'failed') tx.refundedMinor += amountMinor;
    // The wallet pays what the refund takes (given back below if a pending one fails).
    if (answer?.status !== 'failed') desk.credit(tx.currency, toMajorString(-amountMinor, tx.currency));
    const record: FlwRefund = {
      id: nextRefundId++,
      account_id: 17321,
      tx_id: tx.id,
      flw_ref: `URF_${Date.now()}_${randomBytes(3).toString('hex')}`,
      wallet_id: 74639,
      amount_refunded: toMajorNumber(amountMinor, tx.currency),
      status: answer?.status ?? 'completed',
      destination: 'payment_source',
      meta: { source: 'availablebalance' },
      created_at: now().toISOString(),
    };
    if (answer?.status === 'pending')
      pendingRefunds.set(record.id, {
        polls: Math.max(1, answer.polls ?? 1),
        then: answer.then ?? 'completed',
      });
    refunds.push(record);
    log(`refund ${record.status}`, { txRef: tx.txRef, id: tx.id, amountMinor });
    return { ...record };
  }

  /** GET /v3/refunds/:id: a pending refund finishes once it has been read the set number of times. */
  function readRefund(id: number): FlwRefund {
    const record = refunds.find((r) => r.id === id);
    if (!record) throw new SimError(404, 'Refund not found');
    const pending = pendingRefunds.get(id);
    if (pending) {
      pending.polls -= 1;
      if (pending.polls <= 0) {
        pendingRefunds.delete(id);
        record.status = pending.then;
        if (pending.then === 'failed') {
          const tx = transactions.get(record.tx_id);
          const currency = tx?.currency;
          if (tx && currency) {
            tx.refundedMinor -= fromMajor(record.amount_refunded, currency);
            desk.credit(currency, String(record.amount_refunded));
          }
        }
        log(`refund ${record.status}`, { id });
      }
    }
    return { ...record };
  }

  /** GET /v3/refunds?from&to&page: the account's refunds created on those days (UTC), 10 a page, oldest first. */
  function listRefunds(query: Record<string, unknown>): FlwRefund[] {
    const day = /^\d{4}-\d{2}-\d{2}$/;
    const from = typeof query.from === 'string' && day.test(query.from) ? query.from : '0000-00-00';
    const to = typeof query.to === 'string' && day.test(query.to) ? query.to : '9999-99-99';
    const page = Math.max(1, Number.parseInt(String(query.page ?? '1'), 10) || 1);
    const inRange = refunds.filter((r) => {
      const d = r.created_at.slice(0, 10);
      return d >= from && d <= to;
    });
    return inRange.slice((page - 1) * 10, page * 10).map((r) => ({ ...r }));
  }

  // ---------- HTTP ----------

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  const envelope = (res: Response, status: number, message: string, data: unknown = null) =>
    res.status(status).json({ status: status < 400 ? 'success' : 'error', message, data });

  const keyMatches = (header: string | undefined): boolean => {
    const m = /^Bearer (.+)$/.exec(header ?? '');
    if (!m?.[1]) return false;
    const given = Buffer.from(m[1]);
    const wanted = Buffer.from(opts.secretKey);
    return given.length === wanted.length && timingSafeEqual(given, wanted);
  };
  const requireKey = (req: Request, res: Response, next: NextFunction) => {
    if (keyMatches(req.get('authorization'))) return next();
    envelope(res, 401, 'Invalid authorization key');
  };

  const checkoutView = (checkout: Checkout) => ({
    token: checkout.token,
    merchant: checkout.customizations?.title || opts.merchantName,
    description: checkout.customizations?.description,
    logo: checkout.customizations?.logo,
    amountText: formatMoney(checkout.amountMinor, checkout.currency, { display: 'code' }),
    currency: checkout.currency,
    txRef: checkout.txRef,
    customerEmail: checkout.customer.email,
    customerName: checkout.customer.name,
  });

  app.get('/v3/hosted/pay/:token', (req, res) => {
    const txRef = tokens.get(req.params.token);
    const checkout = txRef ? checkouts.get(txRef) : undefined;
    if (!checkout || checkout.token !== req.params.token)
      return res.status(404).type('html').send(renderNotFoundPage());
    const expired = !!checkout.expiresAt && now().getTime() > checkout.expiresAt;
    const state = checkout.paid ? 'paid' : expired ? 'expired' : 'open';
    res
      .type('html')
      .send(renderCheckoutPage({ ...checkoutView(checkout), state, notice: checkout.lastFailure }));
  });

  app.post('/v3/hosted/pay/:token', express.urlencoded({ extended: false, limit: '10kb' }), (req, res) => {
    const txRef = tokens.get(req.params.token);
    const checkout = txRef ? checkouts.get(txRef) : undefined;
    if (!txRef || !checkout || checkout.token !== req.params.token)
      return res.status(404).type('html').send(renderNotFoundPage());
    const action = (req.body as { action?: string } | undefined)?.action;
    const status: PayOutcome | undefined =
      action === 'pay'
        ? 'successful'
        : action === 'fail'
          ? 'failed'
          : action === 'cancel'
            ? 'cancelled'
            : undefined;
    if (!status) return res.status(400).type('text').send('Unknown action');
    try {
      const result = completeCheckout(txRef, status);
      res.redirect(303, result.redirectTo);
    } catch (err) {
      if (err instanceof SimError && err.status === 410) {
        return res
          .status(410)
          .type('html')
          .send(renderCheckoutPage({ ...checkoutView(checkout), state: 'expired' }));
      }
      throw err;
    }
  });

  if (opts.controlApi) app.use('/__control', express.json({ limit: '100kb' }), requireKey, controlRouter());

  const api = express.Router();
  // The body is read before any injected delay, like a real server that received the whole
  // request: a client that times out meanwhile leaves a request that is still processed.
  api.use(express.json({ limit: '100kb' }));
  api.use((req, res, next) => {
    const rule = faults.find(
      (f) =>
        f.remaining > 0 &&
        (!f.method || f.method.toUpperCase() === req.method) &&
        (!f.path || req.originalUrl.includes(f.path)),
    );
    if (!rule) return next();
    rule.remaining -= 1;
    faults = faults.filter((f) => f.remaining > 0);
    log('fault injected', {
      method: req.method,
      path: req.originalUrl,
      status: rule.status,
      delayMs: rule.delayMs,
      drop: rule.drop,
    });
    const act = () => {
      if (rule.drop) return req.socket.destroy();
      if (rule.status) return envelope(res, rule.status, `Simulated provider failure (HTTP ${rule.status})`);
      if (rule.loseAnswer) {
        // Processed like any request; only the answer never reaches the caller.
        res.json = () => {
          req.socket.destroy();
          return res;
        };
      }
      next();
    };
    if (rule.delayMs) {
      const held = wait(rule.delayMs).then(act, () => req.socket.destroy());
      delayed.add(held);
      void held.finally(() => delayed.delete(held));
    } else act();
  });
  api.use(requireKey);

  api.post('/payments', (req, res) => {
    const link = createCheckout((req.body ?? {}) as Record<string, unknown>);
    envelope(res, 200, 'Hosted Link', { link });
  });

  api.get('/transactions/verify_by_reference', (req, res) => {
    const txRef = req.query.tx_ref;
    if (typeof txRef !== 'string' || !txRef) throw new SimError(400, 'tx_ref is required');
    // Flutterwave does not document which attempt this returns when a tx_ref has several.
    const oldest = byReferenceOldest.has(txRef) || byReferenceOldest.has('*');
    const id = oldest ? attemptsByRef.get(txRef)?.[0] : latestByRef.get(txRef);
    const tx = id === undefined ? undefined : transactions.get(id);
    if (!tx) throw new SimError(400, 'No transaction was found for this id');
    envelope(res, 200, 'Transaction fetched successfully', wireTransaction(tx, true));
  });

  api.get('/transactions/:id/verify', (req, res) => {
    const tx = transactions.get(Number(req.params.id));
    if (!tx) throw new SimError(400, 'No transaction was found for this id');
    envelope(res, 200, 'Transaction fetched successfully', wireTransaction(tx, true));
  });

  api.post('/transactions/:id/refund', (req, res) => {
    const record = refund(Number(req.params.id), (req.body ?? {}) as Record<string, unknown>);
    envelope(res, 200, 'Transaction refund initiated', record);
  });

  api.get('/refunds', (req, res) => {
    envelope(res, 200, 'Refunds fetched', listRefunds(req.query as Record<string, unknown>));
  });

  api.get('/refunds/:id', (req, res) => {
    envelope(res, 200, 'Refund fetched', readRefund(Number(req.params.id)));
  });

  api.use(desk.router);

  app.use('/v3', api);
  app.use((_req, res) => envelope(res, 404, 'Route not found'));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof SimError) return envelope(res, err.status, err.message);
    const e = err as { type?: string; status?: number };
    if (e?.type === 'entity.parse.failed') return envelope(res, 400, 'Invalid JSON body');
    log('simulator error', { error: (err as Error).message });
    envelope(res, 500, 'Internal server error');
  });

  function controlRouter(): express.Router {
    const r = express.Router();
    const body = (req: Request) => (req.body ?? {}) as Record<string, unknown>;
    const num = (v: unknown, def: number) => (typeof v === 'number' && Number.isFinite(v) ? v : def);

    r.get('/state', (_req, res) => {
      res.json({
        transactions: sim.transactions(),
        transfers: sim.transfers(),
        refunds: sim.refunds(),
        webhooks: sim.webhooks(),
      });
    });
    r.get('/webhooks', (_req, res) => res.json({ items: sim.webhooks() }));
    r.post('/webhooks/steer', (req, res) => {
      const b = body(req);
      const count = num(b.count, 1);
      const event = b.event as WebhookEventName | undefined;
      if (b.action === 'drop') sim.steerWebhooks({ action: 'drop', count, event });
      else if (b.action === 'duplicate')
        sim.steerWebhooks({ action: 'duplicate', times: num(b.times, 2), count, event });
      else if (b.action === 'delay')
        sim.steerWebhooks({ action: 'delay', delayMs: num(b.delay_ms, 1000), count, event });
      else throw new SimError(400, 'action must be drop, duplicate or delay');
      res.status(204).end();
    });
    r.post('/webhooks/hold', (_req, res) => {
      sim.holdWebhooks();
      res.status(204).end();
    });
    r.post('/webhooks/release', (req, res) => {
      void sim.releaseWebhooks(body(req).order === 'reverse' ? 'reverse' : 'fifo');
      res.status(202).end();
    });
    r.post('/webhooks/:id/resend', async (req, res) => {
      res.json(await sim.resendWebhook(Number(req.params.id)));
    });
    r.post('/verification', (req, res) => {
      const b = body(req);
      if (typeof b.tx_ref !== 'string') throw new SimError(400, 'tx_ref is required');
      sim.overrideVerification(b.tx_ref, {
        amount: typeof b.amount === 'number' ? b.amount : undefined,
        currency: typeof b.currency === 'string' ? b.currency : undefined,
        status: typeof b.status === 'string' ? b.status : undefined,
      });
      res.status(204).end();
    });
    r.delete('/verification/:txRef', (req, res) => {
      sim.clearVerificationOverride(req.params.txRef);
      res.status(204).end();
    });
    r.use('/transfers', desk.controlRouter);
    r.post('/refunds/fail-next', (req, res) => {
      const b = body(req);
      sim.failNextRefund({
        count: num(b.count, 1),
        message: typeof b.message === 'string' ? b.message : undefined,
      });
      res.status(204).end();
    });
    r.post('/refunds/answer', (req, res) => {
      const b = body(req);
      if (b.status !== 'pending' && b.status !== 'failed')
        throw new SimError(400, 'status must be pending or failed');
      sim.answerRefunds({
        status: b.status,
        count: num(b.count, 1),
        polls: num(b.polls, 1),
        then: b.then === 'failed' ? 'failed' : 'completed',
      });
      res.status(204).end();
    });
    r.post('/charges/repeat', (req, res) => {
      const b = body(req);
      if (typeof b.tx_ref !== 'string') throw new SimError(400, 'tx_ref is required');
      sim.acceptRepeatCharges(b.tx_ref);
      res.status(204).end();
    });
    r.post('/verification/by-reference', (req, res) => {
      const b = body(req);
      if (typeof b.tx_ref !== 'string') throw new SimError(400, 'tx_ref is required');
      sim.verifyByReferenceReturns(b.tx_ref, b.returns === 'oldest' ? 'oldest' : 'latest');
      res.status(204).end();
    });
    r.post('/webhooks/shape', (req, res) => {
      const shape = body(req).shape;
      if (shape !== 'current' && shape !== 'legacy' && shape !== 'both')
        throw new SimError(400, 'shape must be current, legacy or both');
      sim.setChargeWebhookShape(shape);
      res.status(204).end();
    });
    r.post('/pay', async (req, res) => {
      const b = body(req);
      if (typeof b.tx_ref !== 'string') throw new SimError(400, 'tx_ref is required');
      const status =
        (['successful', 'failed', 'cancelled'] as const).find((s) => s === b.status) ?? 'successful';
      const delayMs = num(b.delay_ms, 0);
      const amount = typeof b.amount === 'number' ? b.amount : undefined;
      if (delayMs > 0) {
        if (!checkouts.has(b.tx_ref)) throw new SimError(404, `No checkout for tx_ref ${b.tx_ref}`);
        sim
          .pay(b.tx_ref, { status, delayMs, amount })
          .catch((err: Error) => log('delayed payment failed', { error: err.message }));
        return res.status(202).json({ scheduled: true, tx_ref: b.tx_ref, delay_ms: delayMs });
      }
      res.json(await sim.pay(b.tx_ref, { status, amount }));
    });
    r.post('/faults', (req, res) => {
      const b = body(req);
      sim.injectFaults({
        count: num(b.count, 1),
        method: typeof b.method === 'string' ? b.method : undefined,
        path: typeof b.path === 'string' ? b.path : undefined,
        status: typeof b.status === 'number' ? b.status : undefined,
        delayMs: typeof b.delay_ms === 'number' ? b.delay_ms : undefined,
        drop: b.drop === true,
        loseAnswer: b.lose_answer === true,
      });
      res.status(204).end();
    });
    r.post('/reset', (_req, res) => {
      sim.reset();
      res.status(204).end();
    });
    return r;
  }

  const server = http.createServer(app);

  const sim: FlutterwaveSimulator = {
    get url() {
      return baseUrl;
    },
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port, opts.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const { port } = server.address() as AddressInfo;
      const host = opts.host.includes(':')
        ? `[${opts.host}]`
        : opts.host === '0.0.0.0'
          ? '127.0.0.1'
          : opts.host;
      baseUrl = `http://${host}:${port}`;
      if (!publicUrl) publicUrl = baseUrl;
      log('Flutterwave simulator listening', { url: baseUrl, webhookUrl, controlApi: opts.controlApi });
      return baseUrl;
    },
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const cancel of waiting) cancel();
      waiting.clear();
      for (const a of aborts) a.abort();
      await Promise.allSettled([...inFlight]);
      await new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    setWebhookUrl(url) {
      webhookUrl = url;
    },

    async pay(txRef, payOpts = {}) {
      const run = async () => {
        if (payOpts.delayMs) await wait(payOpts.delayMs);
        return completeCheckout(txRef, payOpts.status ?? 'successful', payOpts.amount);
      };
      return track(run());
    },
    steerWebhooks(rule) {
      steering.push({ ...rule, remaining: rule.count ?? 1 });
    },
    holdWebhooks() {
      holding = true;
    },
    async releaseWebhooks(order = 'fifo') {
      holding = false;
      const batch = order === 'reverse' ? [...held].reverse() : [...held];
      held = [];
      // One after another, so the receiver sees them in exactly this order.
      for (const record of batch) await track(deliver(record));
    },
    async resendWebhook(id) {
      const record = webhookLog.find((w) => w.id === id);
      if (!record) throw new SimError(404, `No webhook ${id}`);
      await track(deliver({ ...record, copies: 1, deliveries: record.deliveries }));
      record.state = record.deliveries.some((d) => d.status !== undefined && d.status < 300)
        ? 'delivered'
        : 'failed';
      return record;
    },
    overrideVerification(txRef, override) {
      overrides.set(txRef, override);
    },
    clearVerificationOverride(txRef) {
      overrides.delete(txRef);
    },
    failNextTransfer: (failure) => desk.failNextTransfer(failure),
    timeoutNextTransfer: (timeout) => desk.timeoutNextTransfer(timeout),
    failNextTransferWith5xx: (outage) => desk.failNextTransferWith5xx(outage),
    holdTransfers: () => desk.holdTransfers(),
    releaseTransfers: () => desk.releaseTransfers(),
    reverseTransfer: (idOrReference, message) => desk.reverseTransfer(idOrReference, message),
    setDuplicateReferences: (mode) => desk.setDuplicateReferences(mode),
    registerAccount: (bank, number, name) => desk.registerAccount(bank, number, name),
    setBalance: (currency, amount) => desk.setBalance(currency, amount),
    balance: (currency) => desk.balance(currency),
    failNextRefund(f = {}) {
      refundFailures.push({
        remaining: f.count ?? 1,
        message: f.message ?? 'Insufficient balance to process this refund (simulated)',
      });
    },
    answerRefunds(rule) {
      refundAnswers.push({ ...rule, remaining: rule.count ?? 1 });
    },
    acceptRepeatCharges(txRef) {
      repeatCharges.add(txRef);
    },
    verifyByReferenceReturns(txRef, which) {
      if (which === 'oldest') byReferenceOldest.add(txRef);
      else byReferenceOldest.delete(txRef);
    },
    setChargeWebhookShape(shape) {
      chargeWebhookShape = shape;
    },
    injectFaults(rule) {
      faults.push({ ...rule, remaining: rule.count ?? 1 });
    },
    async settleTransfers() {
      desk.settleTransfers();
      await sim.idle();
    },
    async idle() {
      while (inFlight.size) await Promise.allSettled([...inFlight]);
    },
    async delayedRequestsDone() {
      while (delayed.size) await Promise.allSettled([...delayed]);
    },
    delayedRequestsHeld() {
      return delayed.size;
    },
    reset() {
      checkouts.clear();
      tokens.clear();
      transactions.clear();
      latestByRef.clear();
      desk.reset();
      refunds.length = 0;
      webhookLog.length = 0;
      overrides.clear();
      steering = [];
      holding = false;
      held = [];
      refundFailures = [];
      faults = [];
      attemptsByRef.clear();
      repeatCharges.clear();
      byReferenceOldest.clear();
      chargeWebhookShape = 'current';
      refundAnswers = [];
      pendingRefunds.clear();
    },

    webhooks: () => webhookLog.map((w) => ({ ...w, deliveries: [...w.deliveries] })),
    transactions: () => [...transactions.values()].map((t) => wireTransaction(t, false)),
    transaction(idOrTxRef) {
      const id = typeof idOrTxRef === 'number' ? idOrTxRef : latestByRef.get(idOrTxRef);
      const tx = id === undefined ? undefined : transactions.get(id);
      return tx && wireTransaction(tx, false);
    },
    transfers: () => desk.transfers(),
    transfersWithReference: (reference) => desk.transfersWithReference(reference),
    refunds: () => refunds.map((r) => ({ ...r })),
    checkoutLink(txRef) {
      const c = checkouts.get(txRef);
      return c && `${publicUrl}/v3/hosted/pay/${c.token}`;
    },
  };
  return sim;
}
