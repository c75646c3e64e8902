import type { KeyObject } from 'node:crypto';
import { publicKeyFromRaw, signBytes, verifyBytes } from './tickets.crypto';
import {
  encodeBase45,
  encodeTicketClaimBytes,
  isPrepared,
  judgeTicketVerification,
  prepareTicketVerification,
  signedMessage,
  type TicketClaims,
  type TicketVerification,
  type VerificationKey,
} from './tickets.qr-layout';

/**
 * The signed QR payload on the server: signing at issuance and verifying at the gate. Its
 * layout (125 bytes: 61 of claims, a 64-byte Ed25519 signature over "TMQR" + claims) and
 * codec are defined once in tickets.qr-layout.ts, which the gate page's bundle also runs.
 */

export {
  QR_PAYLOAD_VERSION,
  QR_SEATED_PAYLOAD_VERSION,
  seatOfPayload,
  seatText,
  type TicketSeat,
  SIGNED_PAYLOAD_BYTES,
  MAX_SCANS_LIMIT,
  type TicketClaims,
  type TicketVerification,
  type VerificationKey,
} from './tickets.qr-layout';
export const QR_ERROR_CORRECTION = 'M' as const;

/** The 61 claim bytes (unsigned). Throws when a claim does not fit its field. */
export function encodeTicketClaims(c: TicketClaims): Buffer {
  const bytes = encodeTicketClaimBytes(c);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Claims + signature: the 125 bytes a ticket's QR carries. */
export function signTicketPayload(claims: TicketClaims, privateKey: KeyObject): Buffer {
  const body = encodeTicketClaims(claims);
  return Buffer.concat([body, signBytes(signedMessage(body), privateKey)]);
}

/** The text put into the QR code (Base45, QR alphanumeric set). */
export function toQrText(payload: Uint8Array): string {
  return encodeBase45(payload);
}

/*
 * Public KeyObjects by raw key (base64url). Building one from a JWK costs more CPU than the
 * Ed25519 verification itself, and a gate checks thousands of tickets against the same few
 * campaign keys. A public key is public and immutable for its bytes, so keeping it is safe;
 * the map is bounded (cleared when full) so keys sent by anyone cannot grow it without limit.
 */
const PUBLIC_KEY_CACHE_MAX = 1_000;
const publicKeys = new Map<string, KeyObject>();

function cachedPublicKey(publicKey: Uint8Array | string): KeyObject {
  const id = typeof publicKey === 'string' ? publicKey : Buffer.from(publicKey).toString('base64url');
  let key = publicKeys.get(id);
  if (!key) {
    key = publicKeyFromRaw(typeof publicKey === 'string' ? Buffer.from(publicKey, 'base64url') : publicKey);
    if (publicKeys.size >= PUBLIC_KEY_CACHE_MAX) publicKeys.clear();
    publicKeys.set(id, key);
  }
  return key;
}

/**
 * Decodes a scanned QR (its text, or the raw payload bytes) and verifies it offline with the
 * campaign's public keys alone. The window is judged only for authentic payloads, so EXPIRED
 * and NOT_YET_VALID are never said about a forgery. Revocation and entry counts are the
 * server's (and the device's downloaded revocation list's) business, not this function's.
 */
export function verifyTicketQr(
  scanned: string | Uint8Array,
  keys: Iterable<VerificationKey>,
  now: Date,
): TicketVerification {
  const prepared = prepareTicketVerification(scanned, keys);
  if (!isPrepared(prepared)) return prepared;
  const { key, message, signature } = prepared;
  return judgeTicketVerification(
    prepared,
    verifyBytes(message, signature, cachedPublicKey(key.publicKey)),
    now,
  );
}
