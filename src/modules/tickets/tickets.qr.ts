import type { KeyObject } from 'node:crypto';
import { decodeBase45, encodeBase45 } from './tickets.base45';
import { publicKeyFromRaw, signBytes, verifyBytes } from './tickets.crypto';
import { isUuid } from '../../shared/uuid';

/**
 * The signed QR payload, version 1: 61 bytes of claims followed by a 64-byte Ed25519 signature.
 *
 *   offset size field
 *        0    1 version (1)
 *        1   16 ticket id (uuid)
 *       17   16 campaign id (uuid)
 *       33   16 ticket type id (uuid)
 *       49    2 max scans (uint16, big-endian)
 *       51    4 valid from (uint32 unix seconds)
 *       55    4 valid until (uint32 unix seconds)
 *       59    2 signing key id (uint16, per campaign)
 *       61   64 Ed25519 signature over "TMQR" + bytes 0..60
 *
 * The ticket type travels as its full uuid rather than a short index: an index would tie every
 * issued QR to the campaign's ticket-type order at issuance (owned by the campaigns module and
 * editable), and a gate could mis-label a ticket after a type is added or removed. It costs 15
 * bytes, one QR version (45 → 49 modules at level M), which still scans easily from a phone.
 *
 * The 125 bytes are written as Base45 (188 characters) in the QR alphanumeric mode: version 8
 * (49×49 modules) at error correction M, where base64url (167 characters) in byte mode needs
 * version 9 (53×53). Raw binary would also fit version 8, but phone scanners and browser
 * BarcodeDetector hand back text, and arbitrary bytes do not survive their charset guessing.
 *
 * The "TMQR" prefix binds the signature to this use: a signature made with a campaign key for
 * any other purpose cannot be replayed as a ticket.
 */

export const QR_PAYLOAD_VERSION = 1;
export const QR_ERROR_CORRECTION = 'M' as const;
const SIGNING_CONTEXT = Buffer.from('TMQR');
const CLAIMS_BYTES = 61;
const SIGNATURE_BYTES = 64;
export const SIGNED_PAYLOAD_BYTES = CLAIMS_BYTES + SIGNATURE_BYTES;
export const MAX_SCANS_LIMIT = 0xffff;
const UINT32_MAX = 0xffffffff;

export interface TicketClaims {
  ticketId: string;
  campaignId: string;
  ticketTypeId: string;
  maxScans: number;
  /** Whole seconds: the payload keeps unix seconds, sub-second parts are dropped. */
  validFrom: Date;
  validUntil: Date;
  keyId: number;
}

function uuidToBytes(id: string): Buffer {
  if (!isUuid(id)) throw new Error(`not a uuid: ${id}`);
  return Buffer.from(id.replace(/-/g, ''), 'hex');
}

function bytesToUuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function unixSeconds(d: Date, what: string): number {
  const s = Math.floor(d.getTime() / 1000);
  if (!Number.isFinite(s) || s < 0 || s > UINT32_MAX)
    throw new Error(`${what} is outside the payload's range`);
  return s;
}

/** The 61 claim bytes (unsigned). Throws when a claim does not fit its field. */
export function encodeTicketClaims(c: TicketClaims): Buffer {
  if (!Number.isInteger(c.maxScans) || c.maxScans < 1 || c.maxScans > MAX_SCANS_LIMIT) {
    throw new Error(`maxScans must be 1..${MAX_SCANS_LIMIT}`);
  }
  if (!Number.isInteger(c.keyId) || c.keyId < 1 || c.keyId > 0xffff)
    throw new Error('keyId must be 1..65535');
  const from = unixSeconds(c.validFrom, 'validFrom');
  const until = unixSeconds(c.validUntil, 'validUntil');
  if (until <= from) throw new Error('validUntil must be after validFrom');
  const buf = Buffer.alloc(CLAIMS_BYTES);
  buf.writeUInt8(QR_PAYLOAD_VERSION, 0);
  uuidToBytes(c.ticketId).copy(buf, 1);
  uuidToBytes(c.campaignId).copy(buf, 17);
  uuidToBytes(c.ticketTypeId).copy(buf, 33);
  buf.writeUInt16BE(c.maxScans, 49);
  buf.writeUInt32BE(from, 51);
  buf.writeUInt32BE(until, 55);
  buf.writeUInt16BE(c.keyId, 59);
  return buf;
}

function decodeTicketClaims(buf: Buffer): TicketClaims {
  return {
    ticketId: bytesToUuid(buf.subarray(1, 17)),
    campaignId: bytesToUuid(buf.subarray(17, 33)),
    ticketTypeId: bytesToUuid(buf.subarray(33, 49)),
    maxScans: buf.readUInt16BE(49),
    validFrom: new Date(buf.readUInt32BE(51) * 1000),
    validUntil: new Date(buf.readUInt32BE(55) * 1000),
    keyId: buf.readUInt16BE(59),
  };
}

/** Claims + signature: the 125 bytes a ticket's QR carries. */
export function signTicketPayload(claims: TicketClaims, privateKey: KeyObject): Buffer {
  const body = encodeTicketClaims(claims);
  return Buffer.concat([body, signBytes(Buffer.concat([SIGNING_CONTEXT, body]), privateKey)]);
}

/** The text put into the QR code (Base45, QR alphanumeric set). */
export function toQrText(payload: Uint8Array): string {
  return encodeBase45(payload);
}

/** A public key as gate devices hold it. */
export interface VerificationKey {
  campaignId: string;
  keyId: number;
  /** Raw 32-byte Ed25519 public key, as bytes or base64url. */
  publicKey: Uint8Array | string;
}

export type TicketVerification =
  | { status: 'VALID' | 'EXPIRED' | 'NOT_YET_VALID'; claims: TicketClaims }
  | { status: 'INVALID'; reason: 'MALFORMED' | 'UNSUPPORTED_VERSION' | 'BAD_SIGNATURE' }
  /** `unverified` says which key to fetch; nothing in it is authentic. */
  | { status: 'INVALID'; reason: 'UNKNOWN_KEY'; unverified: { campaignId: string; keyId: number } };

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
  let payload: Buffer;
  try {
    // Only line ends are stripped (some scanners append one): a space is a Base45 digit.
    payload =
      typeof scanned === 'string' ? decodeBase45(scanned.replace(/[\r\n]+$/, '')) : Buffer.from(scanned);
  } catch {
    return { status: 'INVALID', reason: 'MALFORMED' };
  }
  if (payload.length < 1) return { status: 'INVALID', reason: 'MALFORMED' };
  if (payload[0] !== QR_PAYLOAD_VERSION) return { status: 'INVALID', reason: 'UNSUPPORTED_VERSION' };
  if (payload.length !== SIGNED_PAYLOAD_BYTES) return { status: 'INVALID', reason: 'MALFORMED' };
  const body = payload.subarray(0, CLAIMS_BYTES);
  const claims = decodeTicketClaims(body);
  let key: KeyObject | undefined;
  for (const k of keys) {
    if (k.campaignId.toLowerCase() === claims.campaignId && k.keyId === claims.keyId) {
      key = publicKeyFromRaw(
        typeof k.publicKey === 'string' ? Buffer.from(k.publicKey, 'base64url') : k.publicKey,
      );
      break;
    }
  }
  if (!key)
    return {
      status: 'INVALID',
      reason: 'UNKNOWN_KEY',
      unverified: { campaignId: claims.campaignId, keyId: claims.keyId },
    };
  if (!verifyBytes(Buffer.concat([SIGNING_CONTEXT, body]), payload.subarray(CLAIMS_BYTES), key)) {
    return { status: 'INVALID', reason: 'BAD_SIGNATURE' };
  }
  if (now.getTime() < claims.validFrom.getTime()) return { status: 'NOT_YET_VALID', claims };
  if (now.getTime() >= claims.validUntil.getTime()) return { status: 'EXPIRED', claims };
  return { status: 'VALID', claims };
}
