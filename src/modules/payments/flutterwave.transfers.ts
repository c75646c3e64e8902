import { AppError } from '../../shared/errors';
import { isCurrencyCode, tryFromMajor, type CurrencyCode } from '../../shared/money';
import { FlutterwaveError, wireAmount, type CallOptions, type FlutterwaveClient } from './flutterwave.client';
import type {
  FlwBalance,
  FlwBank,
  FlwCreateTransferRequest,
  FlwResolveAccountRequest,
  FlwResolvedAccount,
  FlwTransfer,
  FlwTransferFee,
  FlwTransferWebhookData,
} from './flutterwave.types';

/**
 * Flutterwave's payout side (banks, account resolution, transfers, fees, balances) over the
 * payments client's request code (time-outs, envelope, error mapping, redacted logs).
 *
 * What a caller may conclude from an answer:
 * - POST /v3/transfers is sent once: it is retried only when the request provably never left
 *   (connection refused). A time-out, a dropped connection or a 5xx throws FlutterwaveError
 *   with `outcomeUnknown: true`: the transfer may exist. Flutterwave documents our `reference`
 *   as the way to find a transfer again, not as a promise that a second one is refused, so the
 *   caller looks it up (findTransfersByReference) before it ever sends again.
 * - NEW and PENDING are not final; only SUCCESSFUL and FAILED are, and a SUCCESSFUL transfer
 *   can still be reversed later by the beneficiary's bank (it is then reported FAILED).
 * - Amounts are major-unit decimals. A transfer's amount is converted to minor units exactly or
 *   not at all (null: a mismatch for the caller). Fees come with up to three decimals
 *   (26.875 NGN), which no currency's minor unit can hold: they are kept as the exact decimal
 *   text Flutterwave sent, and rounded only where money moves, by the code that moves it.
 */

/** POST /v3/transfers input in our terms: minor units + ISO currency instead of a decimal. */
export type CreateTransferParams = Omit<FlwCreateTransferRequest, 'amount' | 'currency'> & {
  amountMinor: number;
  currency: CurrencyCode;
};

export type TransferState = 'NEW' | 'PENDING' | 'SUCCESSFUL' | 'FAILED' | 'UNKNOWN';
const FINAL: readonly TransferState[] = ['SUCCESSFUL', 'FAILED'];

/** A transfer as Flutterwave reports it, in our terms; `raw` keeps its record as received. */
export interface ProviderTransfer {
  id: number;
  reference: string;
  /** UNKNOWN for a status Flutterwave never documented: treated like PENDING (look again). */
  state: TransferState;
  final: boolean;
  /** The amount in minor units, or null when it is not an exact amount of `currency`. */
  amountMinor: number | null;
  currency: string;
  /** Flutterwave's fee as exact decimal text in major units ("26.875"), or null if absent. */
  fee: string | null;
  /** full_name or fullname; null when Flutterwave has none ("N/A"). */
  beneficiaryName: string | null;
  bankCode: string;
  completeMessage: string | null;
  createdAt: string;
  raw: FlwTransfer | FlwTransferWebhookData;
}

/** A fee in the provider's terms: `fee` is exact decimal text (an amount, or a percentage). */
export interface ProviderFee {
  currency: string;
  feeType: string;
  fee: string;
}

/** A wallet balance: exact decimal text, and minor units when the decimal fits the currency. */
export interface ProviderBalance {
  currency: string;
  available: string;
  ledger: string;
  availableMinor: number | null;
  ledgerMinor: number | null;
}

/**
 * A JSON number as the decimal text it was written with. `String(n)` prints the shortest decimal
 * that round-trips to the same double, which is the text on the wire for anything with at most
 * 15 significant digits (every fee and balance Flutterwave sends); exponent forms (1e21, 1e-7)
 * are refused rather than guessed at.
 */
export function decimalText(value: unknown): string | null {
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return value;
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  const text = String(value);
  return /^-?\d+(\.\d+)?$/.test(text) ? text : null;
}

function stateOf(status: unknown): TransferState {
  const s = typeof status === 'string' ? status.toUpperCase() : '';
  return s === 'NEW' || s === 'PENDING' || s === 'SUCCESSFUL' || s === 'FAILED' ? s : 'UNKNOWN';
}

/** A transfer record (create, get, list or webhook shape) in our terms. */
export function toProviderTransfer(t: FlwTransfer | FlwTransferWebhookData): ProviderTransfer {
  const state = stateOf(t.status);
  const name = 'full_name' in t ? t.full_name : (t as FlwTransferWebhookData).fullname;
  return {
    id: t.id,
    reference: t.reference,
    state,
    final: FINAL.includes(state),
    amountMinor: tryFromMajor(t.amount, t.currency) ?? null,
    currency: t.currency,
    fee: decimalText(t.fee),
    beneficiaryName: typeof name === 'string' && name && name !== 'N/A' ? name : null,
    bankCode: t.bank_code,
    completeMessage: t.complete_message || null,
    createdAt: t.created_at,
    raw: t,
  };
}

/** What a transfer should be, from our own database (the withdrawal), never from a webhook. */
export interface ExpectedTransfer {
  reference: string;
  amountMinor: number;
  currency: CurrencyCode;
}

export type TransferVerdict =
  /** Final and successful, our reference, our amount and currency: the payout happened. */
  | { outcome: 'PAID'; transfer: ProviderTransfer }
  /** Final and failed (or reversed after success): the money is back in our balance. */
  | { outcome: 'FAILED'; transfer: ProviderTransfer; reason: string }
  /** Not final (NEW, PENDING or a status we do not know): ask again later. */
  | { outcome: 'PENDING'; transfer: ProviderTransfer }
  /** Successful but not what we sent: nobody should post anything before a person looks. */
  | { outcome: 'MISMATCH'; transfer: ProviderTransfer; problems: string[] };

/**
 * The provider's record of a transfer judged against our withdrawal. A record of another
 * reference is refused outright (the caller looked up the wrong thing).
 */
export function assessTransfer(t: ProviderTransfer, expected: ExpectedTransfer): TransferVerdict {
  if (t.reference !== expected.reference) {
    return { outcome: 'MISMATCH', transfer: t, problems: [`reference is ${t.reference}`] };
  }
  if (t.state === 'FAILED') {
    return { outcome: 'FAILED', transfer: t, reason: t.completeMessage ?? 'failed' };
  }
  if (t.state !== 'SUCCESSFUL') return { outcome: 'PENDING', transfer: t };
  const problems: string[] = [];
  if (t.currency !== expected.currency)
    problems.push(`currency is ${t.currency}, expected ${expected.currency}`);
  else if (t.amountMinor !== expected.amountMinor) {
    problems.push(
      `amount is ${String(t.raw.amount)} ${t.currency}, expected ${expected.amountMinor} minor units`,
    );
  }
  return problems.length ? { outcome: 'MISMATCH', transfer: t, problems } : { outcome: 'PAID', transfer: t };
}

function malformed(message: string): FlutterwaveError {
  return new FlutterwaveError('unavailable', 'PROVIDER_UNAVAILABLE', message, {
    retryable: true,
    outcomeUnknown: false,
    attempts: 1,
  });
}

function isTransferRecord(v: unknown): v is FlwTransfer {
  const t = v as Partial<FlwTransfer> | null;
  return !!t && typeof t.id === 'number' && typeof t.reference === 'string' && typeof t.currency === 'string';
}

const COUNTRY = /^[A-Z]{2}$/;

export class FlutterwaveTransfers {
  constructor(private readonly client: FlutterwaveClient) {}

  /** The banks (and mobile-money operators) Flutterwave pays out to in a country (ISO 3166 alpha-2). */
  async listBanks(country: string, call: CallOptions = {}): Promise<FlwBank[]> {
    if (!COUNTRY.test(country)) throw AppError.validation('A two-letter country code', [], 'INVALID_COUNTRY');
    const data = await this.client.request<unknown>({
      method: 'GET',
      path: `/v3/banks/${country}`,
      retry: 'idempotent',
      ...call,
    });
    if (!Array.isArray(data)) throw malformed('GET /v3/banks answered without a list');
    return data
      .filter((b): b is FlwBank => !!b && typeof (b as FlwBank).code === 'string')
      .map((b) => ({ id: Number(b.id), code: String(b.code), name: String(b.name ?? b.code) }));
  }

  /** The name on a bank account, for the account holder to confirm (moves no money). */
  async resolveAccount(
    params: { accountNumber: string; bankCode: string },
    call: CallOptions = {},
  ): Promise<FlwResolvedAccount> {
    const body: FlwResolveAccountRequest = {
      account_number: params.accountNumber,
      account_bank: params.bankCode,
    };
    const data = await this.client.request<FlwResolvedAccount>({
      method: 'POST',
      path: '/v3/accounts/resolve',
      body,
      retry: 'idempotent',
      ...call,
    });
    if (!data || typeof data.account_name !== 'string')
      throw malformed('POST /v3/accounts/resolve answered without account_name');
    return { account_number: String(data.account_number), account_name: data.account_name };
  }

  /**
   * Asks Flutterwave to pay out under our reference. Sent once (see the top of this file): a
   * FlutterwaveError with `info.outcomeUnknown` means "look it up by reference", never "send again".
   */
  async createTransfer(params: CreateTransferParams, call: CallOptions = {}): Promise<ProviderTransfer> {
    const { amountMinor, currency, ...rest } = params;
    if (!rest.reference)
      throw AppError.validation('A transfer needs our reference', [], 'PROVIDER_BAD_REQUEST');
    if (!(amountMinor > 0))
      throw AppError.validation('The amount must be positive', [], 'PROVIDER_BAD_REQUEST');
    const body: FlwCreateTransferRequest = { ...rest, amount: wireAmount(amountMinor, currency), currency };
    const data = await this.client.request<unknown>({
      method: 'POST',
      path: '/v3/transfers',
      body,
      retry: 'unsent-only',
      ...call,
    });
    if (!isTransferRecord(data)) {
      // Accepted (success envelope) but unreadable: it may well exist.
      throw new FlutterwaveError(
        'unavailable',
        'PROVIDER_UNAVAILABLE',
        'POST /v3/transfers answered without a transfer',
        {
          retryable: true,
          outcomeUnknown: true,
          attempts: 1,
        },
      );
    }
    return toProviderTransfer(data);
  }

  /** Flutterwave's current record of a transfer, by its id: what every decision is taken on. */
  async getTransfer(id: number, call: CallOptions = {}): Promise<ProviderTransfer> {
    const data = await this.client.request<unknown>({
      method: 'GET',
      path: `/v3/transfers/${encodeURIComponent(String(id))}`,
      retry: 'idempotent',
      ...call,
    });
    if (!isTransferRecord(data)) throw malformed('GET /v3/transfers/:id answered without a transfer');
    return toProviderTransfer(data);
  }

  /**
   * Every transfer Flutterwave holds under our reference (GET /v3/transfers?reference=). The
   * answer is filtered again here, so a lookup that ignored the filter cannot pass another
   * withdrawal's transfer off as ours. More than one means a reference was paid twice.
   */
  async findTransfersByReference(reference: string, call: CallOptions = {}): Promise<ProviderTransfer[]> {
    const data = await this.client.request<unknown>({
      method: 'GET',
      path: `/v3/transfers?reference=${encodeURIComponent(reference)}`,
      retry: 'idempotent',
      ...call,
    });
    const list = Array.isArray(data) ? data : data ? [data] : [];
    return list
      .filter(isTransferRecord)
      .filter((t) => t.reference === reference)
      .map(toProviderTransfer);
  }

  /** One page of every transfer on our account, newest first (an empty page: past the last one). */
  async listTransfers(page: number, call: CallOptions = {}): Promise<ProviderTransfer[]> {
    const data = await this.client.request<unknown>({
      method: 'GET',
      path: `/v3/transfers?page=${Math.max(1, Math.floor(page))}`,
      retry: 'idempotent',
      ...call,
    });
    return (Array.isArray(data) ? data : []).filter(isTransferRecord).map(toProviderTransfer);
  }

  /** Flutterwave's fee for a payout of this amount (shown to the approver; nothing is charged). */
  async transferFee(
    params: { amountMinor: number; currency: CurrencyCode; type: 'account' | 'mobilemoney' },
    call: CallOptions = {},
  ): Promise<ProviderFee[]> {
    const amount = wireAmount(params.amountMinor, params.currency);
    const query = new URLSearchParams({
      amount: String(amount),
      currency: params.currency,
      type: params.type,
    });
    const data = await this.client.request<unknown>({
      method: 'GET',
      path: `/v3/transfers/fee?${query.toString()}`,
      retry: 'idempotent',
      ...call,
    });
    const list = (Array.isArray(data) ? data : [data]) as Array<Partial<FlwTransferFee> | null>;
    const fees: ProviderFee[] = [];
    for (const f of list) {
      const fee = decimalText(f?.fee);
      if (f && typeof f.currency === 'string' && fee !== null)
        fees.push({ currency: f.currency, feeType: String(f.fee_type ?? 'value'), fee });
    }
    if (!fees.length) throw malformed('GET /v3/transfers/fee answered without a fee');
    return fees;
  }

  /** Our Flutterwave wallet in one currency. */
  async getBalance(currency: CurrencyCode, call: CallOptions = {}): Promise<ProviderBalance> {
    const data = await this.client.request<Partial<FlwBalance> | null>({
      method: 'GET',
      path: `/v3/balances/${currency}`,
      retry: 'idempotent',
      ...call,
    });
    const available = decimalText(data?.available_balance);
    const ledger = decimalText(data?.ledger_balance);
    if (!data || available === null || ledger === null)
      throw malformed('GET /v3/balances answered without balances');
    return {
      currency: data.currency ?? currency,
      available,
      ledger,
      availableMinor: tryFromMajor(available, currency) ?? null,
      ledgerMinor: tryFromMajor(ledger, currency) ?? null,
    };
  }
}

/** A provider 4xx (it refuses or does not know what was asked) as null; outages still throw. */
async function nullWhenRejected<T>(call: () => Promise<T>): Promise<T | null> {
  try {
    return await call();
  } catch (err) {
    if (
      err instanceof FlutterwaveError &&
      (err.code === 'PROVIDER_REJECTED' || err.code === 'PROVIDER_NOT_FOUND')
    )
      return null;
    throw err;
  }
}

/**
 * The finance module's provider hooks over these calls: the bank list per country (null when
 * Flutterwave pays no bank there), the account holder's name (null when
 * Flutterwave cannot resolve the account: a 4xx) and the approver's fee quote (exact decimal
 * text; null when Flutterwave quotes in another currency than asked).
 */
export function payoutProviderHooks(transfers: FlutterwaveTransfers) {
  return {
    bankDirectory: {
      listBanks: (country: string) =>
        nullWhenRejected(async () =>
          (await transfers.listBanks(country)).map((b) => ({ code: b.code, name: b.name })),
        ),
    },
    accountResolver: {
      resolveAccountName: (q: { accountNumber: string; bankCode: string; country: string }) =>
        nullWhenRejected(
          async () =>
            (await transfers.resolveAccount({ accountNumber: q.accountNumber, bankCode: q.bankCode }))
              .account_name,
        ),
    },
    transferFees: {
      async quoteTransferFee(q: { amountMinor: number; currency: string; type: 'account' | 'mobilemoney' }) {
        if (!isCurrencyCode(q.currency)) return null;
        const fees = await transfers.transferFee({
          amountMinor: q.amountMinor,
          currency: q.currency,
          type: q.type,
        });
        const fee = fees.find((f) => f.currency === q.currency && f.feeType === 'value');
        return fee ? { fee: fee.fee, currency: fee.currency } : null;
      },
    },
  };
}
