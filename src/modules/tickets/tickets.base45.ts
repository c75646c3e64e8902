/**
 * Base45 (RFC 9285): every 2 bytes become 3 characters of the QR alphanumeric set, so a QR
 * code can carry binary data in alphanumeric mode (5.5 bits per character) instead of byte
 * mode. For our 125-byte signed payload that is a version 8 code at level M, where base64url
 * in byte mode needs version 9 (see tickets.qr.ts).
 */
const CHARSET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const VALUE = new Map([...CHARSET].map((c, i) => [c, i]));

export function encodeBase45(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    let n = bytes[i]! * 256 + bytes[i + 1]!;
    const c = n % 45;
    n = (n - c) / 45;
    const d = n % 45;
    const e = (n - d) / 45;
    out += CHARSET[c]! + CHARSET[d]! + CHARSET[e]!;
  }
  if (bytes.length % 2 === 1) {
    const n = bytes[bytes.length - 1]!;
    out += CHARSET[n % 45]! + CHARSET[Math.floor(n / 45)]!;
  }
  return out;
}

/** Decodes Base45; throws on characters outside the set, a stray length or an overflowing group. */
export function decodeBase45(text: string): Buffer {
  if (text.length % 3 === 1) throw new Error('base45: invalid length');
  const out = Buffer.alloc(Math.floor(text.length / 3) * 2 + (text.length % 3 === 2 ? 1 : 0));
  let o = 0;
  for (let i = 0; i < text.length; i += 3) {
    const group = text.slice(i, i + 3);
    let n = 0;
    for (let j = group.length - 1; j >= 0; j--) {
      const v = VALUE.get(group[j]!);
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
