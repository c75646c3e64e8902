import { decodeBase45Bytes, encodeBase45 } from './tickets.qr-layout';

/**
 * Base45 (RFC 9285) for the server, as Buffers. The codec itself lives in tickets.qr-layout.ts,
 * shared with the gate page; see there and tickets.qr.ts for why tickets use it.
 */
export { encodeBase45 };

/** Decodes Base45; throws on characters outside the set, a stray length or an overflowing group. */
export function decodeBase45(text: string): Buffer {
  const bytes = decodeBase45Bytes(text);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
