import express, { type NextFunction, type Request, type Response } from 'express';

/**
 * The payout side of the simulator: banks, account resolution, transfers (create, get, list by
 * reference, fee), wallet balances and transfer.completed webhooks.
 *
 * Its wire shapes are written here from Flutterwave's v3 documentation and official SDK samples
 * (flutterwave-node-v3 documentation/transfers.md, misc.md, banks.md), not imported from our
 * client: if the client assumed a field Flutterwave does not send, the simulator must not agree
 * by construction. Where the documentation is silent the simulator picks the less convenient
 * behaviour, and says so:
 * - a transfer is accepted as NEW, becomes PENDING, then SUCCESSFUL or FAILED; only then is the
 *   webhook sent. Missing beneficiary_name on mobile money, missing M-Pesa sender details or a
 *   missing destination_branch_code (GH/UG/TZ banks) are accepted and then FAIL, as the
 *   documented list sample shows ("complete_message": "beneficiary_name is required").
 * - a reused reference is refused (400) by default; `duplicateReferences: 'accept'` makes a
 *   second transfer instead, which is what a blind resend would cost if Flutterwave did not
 *   guard references.
 * - a reversal (the beneficiary's bank returns a paid transfer) is reported as the same
 *   transfer turning FAILED with a second transfer.completed webhook; Flutterwave does not
 *   document its reversal notice for v3 transfers, so this is our assumption.
 * - the wallet is debited amount + fee at creation and credited back when a transfer fails.
 */

// ---------- wire shapes (Flutterwave's names) ----------

export type SimTransferStatus = 'NEW' | 'PENDING' | 'SUCCESSFUL' | 'FAILED';
type WireMeta = Record<string, unknown> | Array<Record<string, unknown>> | null;

/** A transfer as POST /v3/transfers, GET /v3/transfers/:id and GET /v3/transfers answer it. */
export interface SimWireTransfer {
  id: number;
  account_number: string;
  bank_code: string;
  full_name: string;
  created_at: string;
  currency: string;
  debit_currency: string | null;
  amount: number;
  fee: number;
  status: SimTransferStatus;
  reference: string;
  meta: WireMeta;
  narration: string | null;
  approver: string | null;
  complete_message: string;
  requires_approval: number;
  is_approved: number;
  bank_name: string;
}

/** The transfer.completed webhook: the same record, the beneficiary spelt `fullname`. */
export interface SimTransferCompletedEvent {
  event: 'transfer.completed';
  'event.type': 'Transfer';
  data: Omit<SimWireTransfer, 'full_name'> & { fullname: string };
}

// ---------- steering ----------

export interface TransferFailure {
  count?: number;
  message?: string;
  /** 'settlement' (default): accepted as NEW, then FAILED with a webhook; 'request': refused with 400. */
  at?: 'settlement' | 'request';
}

export interface TransferTimeout {
  count?: number;
  /** The transfer is created at once, but the answer is held this long and then the connection is cut. */
  holdMs?: number;
  /** Answer normally once holdMs has passed instead of cutting the connection (a slow answer). */
  answer?: boolean;
}

export interface TransferOutage {
  count?: number;
  /** HTTP status of the answer (default 503). */
  status?: number;
  /** true: the transfer is created anyway (the 5xx came after the work); false (default): it is not. */
  processed?: boolean;
}

export interface SimTransferView extends SimWireTransfer {
  /** How often POST /v3/transfers was called with this reference (refused ones included). */
  createCalls: number;
  reversed: boolean;
}

export interface TransferDeskOptions {
  now: () => Date;
  log: (message: string, meta?: Record<string, unknown>) => void;
  later: (ms: number, fn: () => void) => void;
  wait: (ms: number) => Promise<void>;
  emitWebhook: (body: SimTransferCompletedEvent, key: string) => void;
  /** NEW → PENDING after this long, then final after settleMs more (unless held). */
  pendingMs: number;
  settleMs: number;
  firstId: number;
  /** Opening wallet balances in major units, per currency (default 0; charges credit it). */
  balances?: Record<string, number>;
  /** Refuse a transfer the wallet cannot cover (default false: the wallet may go negative). */
  enforceBalance?: boolean;
  duplicateReferences?: 'refuse' | 'accept';
}

interface Transfer {
  id: number;
  reference: string;
  accountBank: string;
  accountNumber: string;
  bankName: string;
  fullName: string;
  /** Amount and fee in thousandths of the major unit: exact for 26.875 NGN as for 500 UGX. */
  amountMilli: number;
  feeMilli: number;
  currency: string;
  debitCurrency: string | null;
  status: SimTransferStatus;
  narration: string | null;
  meta: WireMeta;
  completeMessage: string;
  createdAt: string;
  failWith?: string;
  reversed: boolean;
  held: boolean;
}

const MOBILE_MONEY = new Set([
  'MPS',
  'MTN',
  'AIRTEL',
  'ATL',
  'VOD',
  'VODAFONE',
  'TELECEL',
  'TIGO',
  'AIRTELTIGO',
  'HALOPESA',
  'VODACOM',
  'FMM',
  'ORANGEMONEY',
  'WAVE',
  'MOOV',
]);

const OPERATOR_NAMES: Record<string, string> = {
  MPS: 'M-PESA',
  MTN: 'MTN MOBILE MONEY',
  AIRTEL: 'AIRTEL MONEY',
  ATL: 'AIRTEL MONEY',
  VOD: 'VODAFONE CASH',
};

/** GET /v3/banks/:country, a few real entries per country ({ id, code, name }). */
const BANKS: Record<string, Array<{ id: number; code: string; name: string }>> = {
  NG: [
    { id: 191, code: '044', name: 'Access Bank' },
    { id: 198, code: '058', name: 'Guaranty Trust Bank' },
    { id: 196, code: '011', name: 'First Bank of Nigeria' },
    { id: 213, code: '033', name: 'United Bank for Africa' },
    { id: 217, code: '057', name: 'Zenith Bank' },
  ],
  GH: [
    { id: 1001, code: 'GH280100', name: 'GCB BANK LIMITED' },
    { id: 1002, code: 'GH230100', name: 'STANDARD CHARTERED BANK' },
  ],
  KE: [
    { id: 2001, code: '01', name: 'Kenya Commercial Bank Limited' },
    { id: 2002, code: '68', name: 'Equity Bank Limited' },
  ],
  UG: [{ id: 3001, code: '130107', name: 'Stanbic Bank Uganda' }],
  TZ: [{ id: 4001, code: '008', name: 'CRDB Bank' }],
};

/** Banks whose transfers need destination_branch_code (Flutterwave: Ghana, Uganda, Tanzania). */
const BRANCH_CODE_CURRENCIES = new Set(['GHS', 'UGX', 'TZS']);

const DECIMALS: Record<string, number> = { UGX: 0, RWF: 0, XOF: 0, XAF: 0 };

function toMilli(value: unknown): number | undefined {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  const m = /^(\d+)(?:\.(\d{1,3}))?$/.exec(text);
  if (!m) return undefined;
  const milli = Number(m[1]) * 1000 + Number((m[2] ?? '').padEnd(3, '0'));
  return Number.isSafeInteger(milli) ? milli : undefined;
}

const fromMilli = (milli: number): number => Number((milli / 1000).toFixed(3));

/** The fee Flutterwave would charge, in thousandths (NGN uses its documented 10.75 / 26.875 / 53.75 tiers). */
function feeMilliFor(currency: string, amountMilli: number, mobileMoney: boolean): number {
  if (currency === 'NGN') {
    if (amountMilli <= 5_000_000) return 10_750;
    if (amountMilli <= 50_000_000) return 26_875;
    return 53_750;
  }
  const flat: Record<string, number> = {
    KES: mobileMoney ? 45_000 : 100_000,
    GHS: 5_000,
    UGX: 500_000,
    TZS: 3_000_000,
    USD: 40_000,
  };
  return flat[currency] ?? 0;
}

class DeskError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface TransferDesk {
  /** Routes under /v3 (mounted after the simulator's key check and fault injection). */
  router: express.Router;
  /** Routes under /__control/transfers. */
  controlRouter: express.Router;
  failNextTransfer(failure?: TransferFailure): void;
  timeoutNextTransfer(timeout?: TransferTimeout): void;
  failNextTransferWith5xx(outage?: TransferOutage): void;
  /** New transfers stay PENDING (no timers, no webhook) until settleTransfers or releaseTransfers. */
  holdTransfers(): void;
  releaseTransfers(): void;
  /** A SUCCESSFUL transfer turns FAILED (returned by the bank) and a second webhook goes out. */
  reverseTransfer(idOrReference: number | string, message?: string): SimTransferView;
  settleTransfers(): void;
  setDuplicateReferences(mode: 'refuse' | 'accept'): void;
  registerAccount(bankCode: string, accountNumber: string, accountName: string): void;
  /** Adds (or with a negative amount removes) money to the wallet, in major units. */
  credit(currency: string, amountMajor: number | string): void;
  setBalance(currency: string, amountMajor: number | string): void;
  balance(currency: string): { available: number; ledger: number };
  transfers(): SimTransferView[];
  transfersWithReference(reference: string): SimTransferView[];
  reset(): void;
}

/** The payout half of the simulator, sharing its clock, timers and webhook sender. */
export function createTransferDesk(opts: TransferDeskOptions): TransferDesk {
  const { now, log, later, wait, emitWebhook } = opts;
  let nextId = opts.firstId;
  const transfers = new Map<number, Transfer>();
  const byReference = new Map<string, number[]>();
  const createCalls = new Map<string, number>();
  const accounts = new Map<string, string>();
  const wallet = new Map<string, number>();
  let duplicateReferences = opts.duplicateReferences ?? 'refuse';
  let failures: Array<{ remaining: number; message: string; at: 'settlement' | 'request' }> = [];
  let timeouts: Array<{ remaining: number; holdMs: number; answer: boolean }> = [];
  let outages: Array<{ remaining: number; status: number; processed: boolean }> = [];
  let holding = false;

  const openingBalances = () => {
    wallet.clear();
    for (const [c, v] of Object.entries(opts.balances ?? {})) wallet.set(c, toMilli(v) ?? 0);
  };
  openingBalances();

  const take = <T extends { remaining: number }>(list: T[]): [T | undefined, T[]] => {
    const hit = list.find((x) => x.remaining > 0);
    if (hit) hit.remaining -= 1;
    return [hit, list.filter((x) => x.remaining > 0)];
  };

  const wire = (t: Transfer): SimWireTransfer => ({
    id: t.id,
    account_number: t.accountNumber,
    bank_code: t.accountBank,
    full_name: t.fullName,
    created_at: t.createdAt,
    currency: t.currency,
    debit_currency: t.debitCurrency,
    amount: fromMilli(t.amountMilli),
    fee: fromMilli(t.feeMilli),
    status: t.status,
    reference: t.reference,
    meta: t.meta,
    narration: t.narration,
    approver: null,
    complete_message: t.completeMessage,
    requires_approval: 0,
    is_approved: 1,
    bank_name: t.bankName,
  });

  const view = (t: Transfer): SimTransferView => ({
    ...wire(t),
    createCalls: createCalls.get(t.reference) ?? 0,
    reversed: t.reversed,
  });

  function sendWebhook(t: Transfer): void {
    const { full_name: fullname, ...rest } = wire(t);
    emitWebhook(
      { event: 'transfer.completed', 'event.type': 'Transfer', data: { ...rest, fullname } },
      t.reference,
    );
  }

  function finish(t: Transfer): void {
    // A transfer from before a reset is gone: its timers must not settle it or send its webhook.
    if (transfers.get(t.id) !== t) return;
    if (t.status === 'SUCCESSFUL' || t.status === 'FAILED') return;
    t.held = false;
    t.status = t.failWith ? 'FAILED' : 'SUCCESSFUL';
    t.completeMessage = t.failWith ?? 'Successful';
    if (t.status === 'FAILED')
      wallet.set(t.currency, (wallet.get(t.currency) ?? 0) + t.amountMilli + t.feeMilli);
    log('transfer finished', { reference: t.reference, id: t.id, status: t.status });
    sendWebhook(t);
  }

  function schedule(t: Transfer): void {
    later(opts.pendingMs, () => {
      if (t.status === 'NEW') t.status = 'PENDING';
      if (t.held) return;
      later(opts.settleMs, () => {
        if (!t.held) finish(t);
      });
    });
  }

  /** Validates and books a transfer; problems Flutterwave reports later become its failure reason. */
  function create(body: Record<string, unknown>, failWith?: string): Transfer {
    const { account_bank: bank, account_number: number, currency } = body;
    if (typeof bank !== 'string' || !bank) throw new DeskError(400, 'account_bank is required');
    if (typeof number !== 'string' || !number) throw new DeskError(400, 'account_number is required');
    if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency))
      throw new DeskError(400, 'Invalid currency');
    const amountMilli = toMilli(body.amount);
    const decimals = DECIMALS[currency] ?? 2;
    if (amountMilli === undefined || amountMilli <= 0 || amountMilli % 10 ** (3 - decimals) !== 0)
      throw new DeskError(400, 'Invalid amount');
    const reference =
      typeof body.reference === 'string' && body.reference
        ? body.reference
        : `sim-${now().getTime()}-${nextId}`;
    const mobileMoney = MOBILE_MONEY.has(bank);
    const feeMilli = feeMilliFor(currency, amountMilli, mobileMoney);
    if (opts.enforceBalance && (wallet.get(currency) ?? 0) < amountMilli + feeMilli)
      throw new DeskError(400, `DISBURSE FAILED: Insufficient ${currency} balance`);
    const meta = (body.meta ?? null) as WireMeta;
    const metaOf = (k: string) => {
      const m = Array.isArray(meta) ? meta[0] : meta;
      return m && typeof m[k] === 'string' && m[k] ? m[k] : undefined;
    };
    const beneficiary = typeof body.beneficiary_name === 'string' ? body.beneficiary_name.trim() : '';
    let problem: string | undefined;
    if (mobileMoney && !beneficiary) problem = 'beneficiary_name is required';
    else if (
      bank === 'MPS' &&
      currency === 'KES' &&
      !(metaOf('sender') && metaOf('sender_country') && metaOf('mobile_number'))
    )
      problem = 'DISBURSE FAILED: Unable to obtain user details (meta.sender, sender_country, mobile_number)';
    else if (!mobileMoney && BRANCH_CODE_CURRENCIES.has(currency) && !body.destination_branch_code)
      problem = 'destination_branch_code is required';
    const t: Transfer = {
      id: nextId++,
      reference,
      accountBank: bank,
      accountNumber: number,
      bankName: mobileMoney
        ? (OPERATOR_NAMES[bank] ?? 'N/A')
        : (Object.values(BANKS)
            .flat()
            .find((b) => b.code === bank)
            ?.name.toUpperCase() ?? 'N/A'),
      fullName: beneficiary || accounts.get(`${bank}:${number}`) || 'N/A',
      amountMilli,
      feeMilli,
      currency,
      debitCurrency: typeof body.debit_currency === 'string' ? body.debit_currency : null,
      status: 'NEW',
      narration: typeof body.narration === 'string' ? body.narration : null,
      meta,
      completeMessage: '',
      createdAt: now().toISOString(),
      failWith: problem ?? failWith,
      reversed: false,
      held: holding,
    };
    transfers.set(t.id, t);
    byReference.set(reference, [...(byReference.get(reference) ?? []), t.id]);
    wallet.set(currency, (wallet.get(currency) ?? 0) - amountMilli - feeMilli);
    log('transfer queued', { reference, id: t.id, currency });
    schedule(t);
    return t;
  }

  const envelope = (res: Response, status: number, message: string, data: unknown = null) =>
    res.status(status).json({ status: status < 400 ? 'success' : 'error', message, data });

  const router = express.Router();

  router.get('/banks/:country', (req, res) => {
    const list = BANKS[req.params.country.toUpperCase()];
    if (!list) throw new DeskError(400, 'Invalid country code');
    envelope(res, 200, 'Banks fetched successfully', list);
  });

  router.post('/accounts/resolve', (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const number = typeof b.account_number === 'string' ? b.account_number : '';
    const bank = typeof b.account_bank === 'string' ? b.account_bank : '';
    if (!number || !bank) throw new DeskError(400, 'account_number and account_bank are required');
    const known = accounts.get(`${bank}:${number}`);
    const nigerian = BANKS.NG!.some((x) => x.code === bank) && /^\d{10}$/.test(number);
    if (!known && !nigerian)
      throw new DeskError(400, 'Sorry, that account number is invalid, please check and try again');
    envelope(res, 200, 'Account details fetched', {
      account_number: number,
      account_name: known ?? `SIMULATED HOLDER ${number.slice(-4)}`,
    });
  });

  router.post('/transfers', (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const ref = typeof body.reference === 'string' ? body.reference : '';
    if (ref) createCalls.set(ref, (createCalls.get(ref) ?? 0) + 1);
    if (ref && byReference.has(ref) && duplicateReferences === 'refuse')
      throw new DeskError(400, 'Transfer with this reference already exists');
    const [outage, outagesLeft] = take(outages);
    outages = outagesLeft;
    if (outage) {
      if (outage.processed) create(body);
      log('transfer answered with a simulated outage', { reference: ref, status: outage.status });
      return envelope(res, outage.status, `Simulated provider failure (HTTP ${outage.status})`);
    }
    const [failure, failuresLeft] = take(failures);
    failures = failuresLeft;
    if (failure?.at === 'request') throw new DeskError(400, failure.message);
    const t = create(body, failure?.message);
    const [timeout, timeoutsLeft] = take(timeouts);
    timeouts = timeoutsLeft;
    if (timeout) {
      // Created, but the caller never hears so: held, then the connection is cut.
      log('transfer answer withheld (steered time-out)', { reference: t.reference, holdMs: timeout.holdMs });
      const answer = wire(t); // as it stood when it was created (NEW)
      void wait(timeout.holdMs).then(
        () =>
          timeout.answer ? envelope(res, 200, 'Transfer Queued Successfully', answer) : req.socket.destroy(),
        () => req.socket.destroy(),
      );
      return;
    }
    envelope(res, 200, 'Transfer Queued Successfully', wire(t));
  });

  router.get('/transfers/fee', (req, res) => {
    const currency = typeof req.query.currency === 'string' ? req.query.currency : '';
    const amountMilli = toMilli(req.query.amount);
    if (!/^[A-Z]{3}$/.test(currency)) throw new DeskError(400, 'currency is required');
    if (amountMilli === undefined) throw new DeskError(400, 'amount is required');
    const fee = feeMilliFor(currency, amountMilli, req.query.type === 'mobilemoney');
    envelope(res, 200, 'Transfer fee fetched', [{ currency, fee_type: 'value', fee: fromMilli(fee) }]);
  });

  router.get('/transfers', (req, res) => {
    const reference = typeof req.query.reference === 'string' ? req.query.reference : undefined;
    const page = Math.max(1, Number(req.query.page) || 1);
    const all = [...transfers.values()]
      .filter((t) => reference === undefined || t.reference === reference)
      .sort((a, b) => b.id - a.id);
    const pageSize = 10; // Flutterwave's list pages hold 10 transfers (newest first)
    const totalPages = Math.max(1, Math.ceil(all.length / pageSize));
    res.status(200).json({
      status: 'success',
      message: 'Transfers fetched',
      meta: { page_info: { total: all.length, current_page: page, total_pages: totalPages } },
      data: all.slice((page - 1) * pageSize, page * pageSize).map(wire),
    });
  });

  router.get('/transfers/:id', (req, res) => {
    const t = transfers.get(Number(req.params.id));
    if (!t) throw new DeskError(404, 'Transfer not found');
    envelope(res, 200, 'Transfer fetched', wire(t));
  });

  router.get('/balances/:currency', (req, res) => {
    const currency = req.params.currency.toUpperCase();
    if (!/^[A-Z]{3}$/.test(currency)) throw new DeskError(400, 'Invalid currency');
    const b = desk.balance(currency);
    envelope(res, 200, 'Wallet balance fetched', {
      currency,
      available_balance: b.available,
      ledger_balance: b.ledger,
    });
  });

  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (err instanceof DeskError) return envelope(res, err.status, err.message);
    next(err);
  });

  const controlRouter = express.Router();
  const body = (req: Request) => (req.body ?? {}) as Record<string, unknown>;
  const num = (v: unknown, def: number) => (typeof v === 'number' && Number.isFinite(v) ? v : def);
  controlRouter.post('/fail-next', (req, res) => {
    const b = body(req);
    desk.failNextTransfer({
      count: num(b.count, 1),
      message: typeof b.message === 'string' ? b.message : undefined,
      at: b.at === 'request' ? 'request' : 'settlement',
    });
    res.status(204).end();
  });
  controlRouter.post('/timeout-next', (req, res) => {
    const b = body(req);
    desk.timeoutNextTransfer({
      count: num(b.count, 1),
      holdMs: num(b.hold_ms, 30_000),
      answer: b.answer === true,
    });
    res.status(204).end();
  });
  controlRouter.post('/outage-next', (req, res) => {
    const b = body(req);
    desk.failNextTransferWith5xx({
      count: num(b.count, 1),
      status: num(b.status, 503),
      processed: b.processed === true,
    });
    res.status(204).end();
  });
  controlRouter.post('/settle', (_req, res) => {
    desk.settleTransfers();
    res.status(204).end();
  });
  controlRouter.post('/hold', (_req, res) => {
    desk.holdTransfers();
    res.status(204).end();
  });
  controlRouter.post('/release', (_req, res) => {
    desk.releaseTransfers();
    res.status(204).end();
  });
  controlRouter.post('/:ref/reverse', (req, res) => {
    const b = body(req);
    res.json(desk.reverseTransfer(req.params.ref, typeof b.message === 'string' ? b.message : undefined));
  });
  controlRouter.post('/duplicate-references', (req, res) => {
    desk.setDuplicateReferences(body(req).mode === 'accept' ? 'accept' : 'refuse');
    res.status(204).end();
  });
  controlRouter.post('/accounts', (req, res) => {
    const b = body(req);
    if (
      typeof b.account_bank !== 'string' ||
      typeof b.account_number !== 'string' ||
      typeof b.account_name !== 'string'
    )
      throw new DeskError(400, 'account_bank, account_number and account_name are required');
    desk.registerAccount(b.account_bank, b.account_number, b.account_name);
    res.status(204).end();
  });
  controlRouter.post('/balances', (req, res) => {
    const b = body(req);
    if (typeof b.currency !== 'string' || (typeof b.amount !== 'number' && typeof b.amount !== 'string'))
      throw new DeskError(400, 'currency and amount are required');
    desk.setBalance(b.currency, b.amount);
    res.status(204).end();
  });
  controlRouter.get('/', (req, res) => {
    const ref = typeof req.query.reference === 'string' ? req.query.reference : undefined;
    res.json({ items: ref ? desk.transfersWithReference(ref) : desk.transfers() });
  });
  controlRouter.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (err instanceof DeskError) return envelope(res, err.status, err.message);
    next(err);
  });

  const find = (idOrReference: number | string): Transfer | undefined => {
    if (typeof idOrReference === 'number') return transfers.get(idOrReference);
    const ids = byReference.get(idOrReference);
    if (ids?.length) return transfers.get(ids[ids.length - 1]!);
    return /^\d+$/.test(idOrReference) ? transfers.get(Number(idOrReference)) : undefined;
  };

  const desk: TransferDesk = {
    router,
    controlRouter,
    failNextTransfer(f = {}) {
      failures.push({
        remaining: f.count ?? 1,
        message: f.message ?? 'DISBURSE FAILED: Insufficient wallet balance (simulated)',
        at: f.at ?? 'settlement',
      });
    },
    timeoutNextTransfer(t = {}) {
      timeouts.push({ remaining: t.count ?? 1, holdMs: t.holdMs ?? 30_000, answer: t.answer ?? false });
    },
    failNextTransferWith5xx(o = {}) {
      outages.push({ remaining: o.count ?? 1, status: o.status ?? 503, processed: o.processed ?? false });
    },
    holdTransfers() {
      holding = true;
    },
    releaseTransfers() {
      holding = false;
      for (const t of transfers.values()) {
        if (t.held) {
          t.held = false;
          later(opts.settleMs, () => finish(t));
        }
      }
    },
    reverseTransfer(
      idOrReference,
      message = 'Transfer reversed: returned by the beneficiary bank (simulated)',
    ) {
      const t = find(idOrReference);
      if (!t) throw new DeskError(404, `No transfer ${String(idOrReference)}`);
      if (t.status !== 'SUCCESSFUL') throw new DeskError(409, 'Only a SUCCESSFUL transfer can be reversed');
      t.status = 'FAILED';
      t.reversed = true;
      t.completeMessage = message;
      wallet.set(t.currency, (wallet.get(t.currency) ?? 0) + t.amountMilli);
      log('transfer reversed', { reference: t.reference, id: t.id });
      sendWebhook(t);
      return view(t);
    },
    settleTransfers() {
      for (const t of transfers.values()) finish(t);
    },
    setDuplicateReferences(mode) {
      duplicateReferences = mode;
    },
    registerAccount(bankCode, accountNumber, accountName) {
      accounts.set(`${bankCode}:${accountNumber}`, accountName);
    },
    credit(currency, amountMajor) {
      const negative = typeof amountMajor === 'number' ? amountMajor < 0 : amountMajor.trim().startsWith('-');
      const milli = toMilli(
        typeof amountMajor === 'number' ? Math.abs(amountMajor) : amountMajor.replace('-', ''),
      );
      if (milli === undefined) throw new DeskError(400, 'Invalid amount');
      wallet.set(currency, (wallet.get(currency) ?? 0) + (negative ? -milli : milli));
    },
    setBalance(currency, amountMajor) {
      wallet.set(currency, 0);
      desk.credit(currency, amountMajor);
    },
    balance(currency) {
      const milli = wallet.get(currency) ?? 0;
      return { available: fromMilli(milli), ledger: fromMilli(milli) };
    },
    transfers: () => [...transfers.values()].map(view),
    transfersWithReference: (reference) =>
      (byReference.get(reference) ?? []).map((id) => view(transfers.get(id)!)),
    reset() {
      transfers.clear();
      byReference.clear();
      createCalls.clear();
      accounts.clear();
      openingBalances();
      failures = [];
      timeouts = [];
      outages = [];
      holding = false;
      duplicateReferences = opts.duplicateReferences ?? 'refuse';
    },
  };
  return desk;
}
