import { isUuid } from '../../shared/uuid';

/**
 * The signed QR payload's layout and codec, written once for the server and the gate page.
 *
 * This file imports only the (dependency-free) UUID check and uses no Node built-ins (no
 * Buffer): the gate page's bundle
 * (src/web/static/gate, built by esbuild) imports it through ./browser.ts and runs the same
 * decoding, key choice and validity-window rules on the phone that tickets.qr.ts runs on the
 * server. Only the Ed25519 call differs (node:crypto here, WebCrypto or @noble/ed25519 there).
 *
 * Version 1: 61 bytes of claims followed by a 64-byte Ed25519 signature.
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
 * Version 2 (seated tickets, issue 18): the same 61 bytes with version 2, then the seat as three
 * length-prefixed UTF-8 strings (section ≤ 24 bytes, row ≤ 8, seat ≤ 8), then the signature over
 * "TMQR" + all the claim bytes. A gate reads the seat from the signed payload, offline. Tickets
 * without a seat stay version 1 (125 bytes), so every QR printed before keeps its size.
 *
 * The "TMQR" prefix binds the signature to this use: a signature made with a campaign key for
 * any other purpose cannot be replayed as a ticket.
 */

export const QR_PAYLOAD_VERSION = 1;
export const QR_SEATED_PAYLOAD_VERSION = 2;
const SEAT_FIELD_MAX = { section: 24, row: 8, seat: 8 } as const;
export const CLAIMS_BYTES = 61;
export const SIGNATURE_BYTES = 64;
export const SIGNED_PAYLOAD_BYTES = CLAIMS_BYTES + SIGNATURE_BYTES;
export const MAX_SCANS_LIMIT = 0xffff;
/** "TMQR": prefixed to the claim bytes before signing and verifying. */
export const SIGNING_CONTEXT: Uint8Array = new Uint8Array([0x54, 0x4d, 0x51, 0x52]);
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
  /** Seated tickets: where the holder sits (version 2 payloads). */
  seat?: TicketSeat;
}

export interface TicketSeat {
  section: string;
  row: string;
  seat: string;
}

/** UTF-8 of `s`, cut at a character boundary to at most `max` bytes. */
function utf8Capped(s: string, max: number): Uint8Array {
  const enc = new TextEncoder();
  let out = enc.encode(s);
  let chars = [...s];
  while (out.length > max) {
    chars = chars.slice(0, -1);
    out = enc.encode(chars.join(''));
  }
  return out;
}

/** The seat block of a version 2 payload. */
function encodeSeat(seat: TicketSeat): Uint8Array {
  const parts = (['section', 'row', 'seat'] as const).map((k) => utf8Capped(seat[k], SEAT_FIELD_MAX[k]));
  const out = new Uint8Array(parts.reduce((n, p) => n + 1 + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out[o++] = p.length;
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The seat block at `at` and where it ends, or null when it is malformed. */
function decodeSeat(b: Uint8Array, at: number): { seat: TicketSeat; end: number } | null {
  const dec = new TextDecoder('utf-8', { fatal: true });
  const fields: string[] = [];
  let o = at;
  for (const k of ['section', 'row', 'seat'] as const) {
    const len = b[o];
    if (len === undefined || len > SEAT_FIELD_MAX[k] || o + 1 + len > b.length) return null;
    try {
      fields.push(dec.decode(b.subarray(o + 1, o + 1 + len)));
    } catch {
      return null;
    }
    o += 1 + len;
  }
  return { seat: { section: fields[0]!, row: fields[1]!, seat: fields[2]! }, end: o };
}

/** The seat a payload carries (version 2), read without checking the signature: for printing our own tickets. */
export function seatOfPayload(payload: Uint8Array): TicketSeat | undefined {
  if (payload[0] !== QR_SEATED_PAYLOAD_VERSION) return undefined;
  return decodeSeat(payload, CLAIMS_BYTES)?.seat;
}

/** "Balcony · Row C · Seat 12": how a seat is printed and shown at the gate. */
export function seatText(seat: TicketSeat): string {
  return `${seat.section} · Row ${seat.row} · Seat ${seat.seat}`;
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

// ---- Base45 (RFC 9285) ----
// Every 2 bytes become 3 characters of the QR alphanumeric set, so a QR code can carry binary
// data in alphanumeric mode (5.5 bits per character) instead of byte mode. A space is one of
// its digits: scanned text must never be trimmed.
const BASE45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const BASE45_VALUE = new Map([...BASE45].map((c, i) => [c, i]));

export function encodeBase45(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    let n = bytes[i]! * 256 + bytes[i + 1]!;
    const c = n % 45;
    n = (n - c) / 45;
    const d = n % 45;
    const e = (n - d) / 45;
    out += BASE45[c]! + BASE45[d]! + BASE45[e]!;
  }
  if (bytes.length % 2 === 1) {
    const n = bytes[bytes.length - 1]!;
    out += BASE45[n % 45]! + BASE45[Math.floor(n / 45)]!;
  }
  return out;
}

/** Decodes Base45; throws on characters outside the set, a stray length or an overflowing group. */
export function decodeBase45Bytes(text: string): Uint8Array {
  if (text.length % 3 === 1) throw new Error('base45: invalid length');
  const out = new Uint8Array(Math.floor(text.length / 3) * 2 + (text.length % 3 === 2 ? 1 : 0));
  let o = 0;
  for (let i = 0; i < text.length; i += 3) {
    const group = text.slice(i, i + 3);
    let n = 0;
    for (let j = group.length - 1; j >= 0; j--) {
      const v = BASE45_VALUE.get(group[j]!);
      if (v === undefined) throw new Error('base45: invalid character');
      n = n * 45 + v;
    }
    if (group.length === 3) {
      if (n > 0xffff) throw new Error('base45: group out of range');
      out[o++] = n >> 8;
      out[o++] = n & 0xff;
    } else {
      if (n > 0xff) throw new Error('base45: group out of range');
      out[o++] = n;
    }
  }
  return out;
}

// ---- claims ----

function uuidToBytes(id: string, into: Uint8Array, at: number): void {
  if (!isUuid(id)) throw new Error(`not a uuid: ${id}`);
  const hex = id.replace(/-/g, '');
  for (let i = 0; i < 16; i++) into[at + i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
}

function bytesToUuid(b: Uint8Array, at: number): string {
  let h = '';
  for (let i = at; i < at + 16; i++) h += b[i]!.toString(16).padStart(2, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function unixSeconds(d: Date, what: string): number {
  const s = Math.floor(d.getTime() / 1000);
  if (!Number.isFinite(s) || s < 0 || s > UINT32_MAX)
    throw new Error(`${what} is outside the payload's range`);
  return s;
}

/** The 61 claim bytes (unsigned). Throws when a claim does not fit its field. */
export function encodeTicketClaimBytes(c: TicketClaims): Uint8Array {
  if (!Number.isInteger(c.maxScans) || c.maxScans < 1 || c.maxScans > MAX_SCANS_LIMIT) {
    throw new Error(`maxScans must be 1..${MAX_SCANS_LIMIT}`);
  }
  if (!Number.isInteger(c.keyId) || c.keyId < 1 || c.keyId > 0xffff)
    throw new Error('keyId must be 1..65535');
  const from = unixSeconds(c.validFrom, 'validFrom');
  const until = unixSeconds(c.validUntil, 'validUntil');
  if (until <= from) throw new Error('validUntil must be after validFrom');
  const seat = c.seat ? encodeSeat(c.seat) : new Uint8Array(0);
  const buf = new Uint8Array(CLAIMS_BYTES + seat.length);
  buf.set(seat, CLAIMS_BYTES);
  const view = new DataView(buf.buffer);
  view.setUint8(0, c.seat ? QR_SEATED_PAYLOAD_VERSION : QR_PAYLOAD_VERSION);
  uuidToBytes(c.ticketId, buf, 1);
  uuidToBytes(c.campaignId, buf, 17);
  uuidToBytes(c.ticketTypeId, buf, 33);
  view.setUint16(49, c.maxScans);
  view.setUint32(51, from);
  view.setUint32(55, until);
  view.setUint16(59, c.keyId);
  return buf;
}

function decodeTicketClaims(payload: Uint8Array): TicketClaims {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return {
    ticketId: bytesToUuid(payload, 1),
    campaignId: bytesToUuid(payload, 17),
    ticketTypeId: bytesToUuid(payload, 33),
    maxScans: view.getUint16(49),
    validFrom: new Date(view.getUint32(51) * 1000),
    validUntil: new Date(view.getUint32(55) * 1000),
    keyId: view.getUint16(59),
  };
}

/** "TMQR" + the claim bytes: what the signature covers. */
export function signedMessage(claimBytes: Uint8Array): Uint8Array {
  const message = new Uint8Array(SIGNING_CONTEXT.length + claimBytes.length);
  message.set(SIGNING_CONTEXT, 0);
  message.set(claimBytes, SIGNING_CONTEXT.length);
  return message;
}

/** Raw public key bytes from a VerificationKey (base64url text or bytes). */
export function publicKeyBytes(key: VerificationKey): Uint8Array {
  if (typeof key.publicKey !== 'string') return key.publicKey;
  const b64 = key.publicKey.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A payload whose layout is sound and whose key is known: only the signature is left to check. */
export interface PreparedVerification {
  claims: TicketClaims;
  key: VerificationKey;
  /** "TMQR" + claim bytes. */
  message: Uint8Array;
  signature: Uint8Array;
}

/**
 * Step one of verifying a scanned QR (its text, or the raw payload bytes): decodes it, checks
 * version and length and picks the campaign key the payload names. Either a final INVALID
 * answer or what the signature check needs. Only line ends are stripped from text (some
 * scanners append one): a space is a Base45 digit.
 */
export function prepareTicketVerification(
  scanned: string | Uint8Array,
  keys: Iterable<VerificationKey>,
): PreparedVerification | Extract<TicketVerification, { status: 'INVALID' }> {
  let payload: Uint8Array;
  try {
    payload = typeof scanned === 'string' ? decodeBase45Bytes(scanned.replace(/[\r\n]+$/, '')) : scanned;
  } catch {
    return { status: 'INVALID', reason: 'MALFORMED' };
  }
  if (payload.length < 1) return { status: 'INVALID', reason: 'MALFORMED' };
  if (payload[0] !== QR_PAYLOAD_VERSION && payload[0] !== QR_SEATED_PAYLOAD_VERSION)
    return { status: 'INVALID', reason: 'UNSUPPORTED_VERSION' };
  let claimsEnd = CLAIMS_BYTES;
  let seat: TicketSeat | undefined;
  if (payload[0] === QR_SEATED_PAYLOAD_VERSION) {
    const decoded = payload.length > CLAIMS_BYTES ? decodeSeat(payload, CLAIMS_BYTES) : null;
    if (!decoded) return { status: 'INVALID', reason: 'MALFORMED' };
    [claimsEnd, seat] = [decoded.end, decoded.seat];
  }
  if (payload.length !== claimsEnd + SIGNATURE_BYTES) return { status: 'INVALID', reason: 'MALFORMED' };
  const body = payload.subarray(0, claimsEnd);
  const claims = { ...decodeTicketClaims(body), ...(seat ? { seat } : {}) };
  let key: VerificationKey | undefined;
  for (const k of keys) {
    if (k.campaignId.toLowerCase() === claims.campaignId && k.keyId === claims.keyId) {
      key = k;
      break;
    }
  }
  if (!key)
    return {
      status: 'INVALID',
      reason: 'UNKNOWN_KEY',
      unverified: { campaignId: claims.campaignId, keyId: claims.keyId },
    };
  return { claims, key, message: signedMessage(body), signature: payload.subarray(claimsEnd) };
}

/**
 * Step two, once the signature was checked: the validity window is judged only for authentic
 * payloads, so EXPIRED and NOT_YET_VALID are never said about a forgery.
 */
export function judgeTicketVerification(
  prepared: PreparedVerification,
  signatureValid: boolean,
  now: Date,
): TicketVerification {
  if (!signatureValid) return { status: 'INVALID', reason: 'BAD_SIGNATURE' };
  const { claims } = prepared;
  if (now.getTime() < claims.validFrom.getTime()) return { status: 'NOT_YET_VALID', claims };
  if (now.getTime() >= claims.validUntil.getTime()) return { status: 'EXPIRED', claims };
  return { status: 'VALID', claims };
}

export function isPrepared(
  p: PreparedVerification | Extract<TicketVerification, { status: 'INVALID' }>,
): p is PreparedVerification {
  return !('status' in p);
}
