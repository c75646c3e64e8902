import { timingSafeEqual } from 'node:crypto';
import { tryFromMajor, type CurrencyCode } from '../../shared/money';
import type { FlwTransaction } from './flutterwave.types';
import { findUnsafeInput } from '../../shared/http/schema';

/** What we expect a payment to be, from our own database (never from the buyer or the webhook). */
export interface ExpectedPayment {
  txRef: string;
  amountMinor: number;
  currency: CurrencyCode;
}

export type PaymentVerdict =
  /** status successful, same tx_ref and currency, amount at least what we asked: confirm. */
  | { outcome: 'PAID'; transactionId: number; paidMinor: number; overpaidMinor: number }
  /** The provider says the charge failed: nothing to confirm. */
  | { outcome: 'FAILED'; transactionId: number; reason: string }
  /** Not finished yet (pending, or a status we do not know): ask again later. */
  | { outcome: 'PENDING'; transactionId: number; status: string }
  /** Successful but not the payment we asked for: flag for review, confirm nothing. */
  | { outcome: 'MISMATCH'; transactionId: number; problems: string[] }
  /**
   * The record is of another tx_ref: it says nothing about this payment (its money, if any, is
   * that tx_ref's), so it must neither settle nor flag this one.
   */
  | { outcome: 'OTHER_PAYMENT'; transactionId: number; txRef: string };

/**
 * Flutterwave's documented verification, in one place: a payment counts only when the
 * provider's own record (GET verify, not a webhook or redirect) shows status "successful", our
 * tx_ref, our currency and an amount at least the expected one. Amounts are compared in
 * integer minor units; an amount that does not convert exactly is a mismatch, never rounded.
 */
export function assessTransaction(tx: FlwTransaction, expected: ExpectedPayment): PaymentVerdict {
  const transactionId = tx.id;
  if (tx.tx_ref !== expected.txRef) return { outcome: 'OTHER_PAYMENT', transactionId, txRef: tx.tx_ref };
  if (tx.status === 'failed')
    return { outcome: 'FAILED', transactionId, reason: tx.processor_response || 'failed' };
  if (tx.status !== 'successful') return { outcome: 'PENDING', transactionId, status: String(tx.status) };
  const problems: string[] = [];
  if (tx.currency !== expected.currency)
    problems.push(`currency is ${tx.currency}, expected ${expected.currency}`);
  const paidMinor = tx.currency === expected.currency ? tryFromMajor(tx.amount, tx.currency) : undefined;
  if (tx.currency === expected.currency) {
    if (paidMinor === undefined)
      problems.push(`amount ${String(tx.amount)} is not a valid ${tx.currency} amount`);
    else if (paidMinor < expected.amountMinor) {
      problems.push(`amount is ${paidMinor} minor units, expected at least ${expected.amountMinor}`);
    }
  }
  if (problems.length || paidMinor === undefined) return { outcome: 'MISMATCH', transactionId, problems };
  return { outcome: 'PAID', transactionId, paidMinor, overpaidMinor: paidMinor - expected.amountMinor };
}

/**
 * Whether a webhook's `verif-hash` header equals our configured secret hash, compared in
 * constant time (a timing difference would let an attacker guess the hash byte by byte).
 */
export function isAuthenticWebhook(header: string | string[] | undefined, secretHash: string): boolean {
  if (typeof header !== 'string' || !header) return false;
  const given = Buffer.from(header);
  const wanted = Buffer.from(secretHash);
  // timingSafeEqual needs equal lengths; compare against ourselves to spend the same time.
  if (given.length !== wanted.length) {
    timingSafeEqual(wanted, wanted);
    return false;
  }
  return timingSafeEqual(given, wanted);
}

/**
 * A webhook reduced to what we act on, whichever shape it came in: which provider record to
 * re-verify (by id), the reference it names (tx_ref for charges, our reference for transfers) and
 * the status it claims (part of its de-duplication key only; never believed).
 */
export interface WebhookHint {
  event: 'charge.completed' | 'transfer.completed';
  flwId: number;
  reference: string;
  status: string;
  /** `current`: `{ event, data }`; `legacy`: the older top-level charge body with `event.type`. */
  shape: 'current' | 'legacy';
}

/** `event.type` values of the older top-level body that are charges (Flutterwave's own plugins match `*_TRANSACTION`). */
const LEGACY_CHARGE_TYPE = /^[A-Z][A-Z0-9_]*_TRANSACTION$/;

/**
 * The webhook body as a hint, or undefined for events we do not handle or bodies that lack what
 * we need to act on them (an id to re-verify, a tx_ref or transfer reference). Both charge shapes
 * lead to the same hint, so the same charge reported once in each shape is stored once.
 */
export function parseWebhookEvent(body: unknown): WebhookHint | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  // Stored as JSONB and used in queries: PostgreSQL refuses NUL and lone surrogates, so a body
  // carrying them (authentic or not) is not an event we can take, never a 500 the provider retries.
  if (findUnsafeInput(body)) return undefined;
  const b = body as Record<string, unknown>;
  const { event, data } = b;
  if (event === undefined && data === undefined) {
    const type = b['event.type'];
    if (
      typeof type === 'string' &&
      LEGACY_CHARGE_TYPE.test(type) &&
      isProviderId(b.id) &&
      isReference(b.txRef)
    ) {
      return {
        event: 'charge.completed',
        flwId: b.id as number,
        reference: b.txRef,
        status: String(b.status).toLowerCase(),
        shape: 'legacy',
      };
    }
    return undefined;
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const d = data as Record<string, unknown>;
  // Flutterwave's transaction and transfer ids are positive integers; 1.5, 1e20 or 2^63 would
  // not fit our BIGINT column or the verify URL, so they are refused here, not by the database.
  if (!isProviderId(d.id)) return undefined;
  const status = String(d.status).toLowerCase();
  if (event === 'charge.completed' && isReference(d.tx_ref))
    return { event, flwId: d.id as number, reference: d.tx_ref, status, shape: 'current' };
  if (event === 'transfer.completed' && isReference(d.reference))
    return { event, flwId: d.id as number, reference: d.reference, status, shape: 'current' };
  return undefined;
}

function isProviderId(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}

function isReference(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= 200;
}

/** A customer's phone number from a verify answer, or null: Flutterwave sends "N/A" (or null) when there is none. */
export function phoneNumberOf(tx: Pick<FlwTransaction, 'customer'>): string | null {
  const phone = tx.customer?.phone_number?.trim();
  return phone && phone.toUpperCase() !== 'N/A' ? phone : null;
}
