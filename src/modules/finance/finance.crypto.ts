import crypto from 'node:crypto';
import type { PayoutDestination } from './finance.types';

/*
 * Payout details at rest: AES-256-GCM under a finance master key named by a key id, so keys can be
 * rotated (new methods use the first key; old rows name the key that sealed them, which stays in
 * FINANCE_KEYS until they are re-encrypted or removed). The additional authenticated data binds a
 * ciphertext to its method and seller: copied onto another row it no longer decrypts. A random
 * 96-bit IV per encryption (never reused under one key: 2^-32 collision risk after 2^32 methods).
 *
 * Duplicates are found without decrypting through a blind index: HMAC-SHA256 of the normalised
 * destination under a separate key, which reveals equality only (and only to someone holding
 * the key, so a database dump does not let anyone test guessed account numbers offline).
 */

export interface FinanceKeyring {
  activeKeyId: string;
  keys: Map<string, Buffer>;
  blindIndexKey: Buffer;
}

/** Parses `id:base64,id2:base64` (first = active) and the blind-index key (base64, 32 bytes). */
export function parseKeyring(financeKeys: string, blindIndexKey: string): FinanceKeyring {
  const keys = new Map<string, Buffer>();
  let activeKeyId = '';
  for (const part of financeKeys
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const at = part.indexOf(':');
    const id = part.slice(0, at);
    const key = Buffer.from(part.slice(at + 1), 'base64');
    if (at < 1 || key.length !== 32)
      throw new Error('FINANCE_KEYS: each entry must be id:base64-of-32-bytes');
    keys.set(id, key);
    activeKeyId ||= id;
  }
  if (!activeKeyId) throw new Error('FINANCE_KEYS: at least one key');
  const blind = Buffer.from(blindIndexKey, 'base64');
  if (blind.length !== 32) throw new Error('FINANCE_BLIND_INDEX_KEY: 32 bytes in base64');
  return { activeKeyId, keys, blindIndexKey: blind };
}

const aadOf = (methodId: string, sellerId: string) => Buffer.from(`payout-method:${methodId}:${sellerId}`);

export interface SealedDestination {
  keyId: string;
  iv: Buffer;
  ciphertext: Buffer;
  authTag: Buffer;
}

export function sealDestination(
  ring: FinanceKeyring,
  methodId: string,
  sellerId: string,
  destination: PayoutDestination,
): SealedDestination {
  const key = ring.keys.get(ring.activeKeyId)!;
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aadOf(methodId, sellerId));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(destination), 'utf8'), cipher.final()]);
  return { keyId: ring.activeKeyId, iv, ciphertext, authTag: cipher.getAuthTag() };
}

/** Decrypts a sealed destination; throws when the key is unknown or the data was tampered with. */
export function openDestination(
  ring: FinanceKeyring,
  methodId: string,
  sellerId: string,
  sealed: SealedDestination,
): PayoutDestination {
  const key = ring.keys.get(sealed.keyId);
  if (!key)
    throw new Error(`finance: payout method ${methodId} is sealed under unknown key id ${sealed.keyId}`);
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, sealed.iv);
  decipher.setAAD(aadOf(methodId, sellerId));
  decipher.setAuthTag(sealed.authTag);
  const plain = Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
  return JSON.parse(plain) as PayoutDestination;
}

/** The number a destination pays into (account number or wallet number), digits only. */
export function numberOf(d: PayoutDestination): string {
  return (d.type === 'BANK_ACCOUNT' ? d.accountNumber : d.phoneNumber).replace(/\D/g, '');
}

/** Equality-only fingerprint of (type, country, provider code, number). */
export function blindIndexOf(
  ring: FinanceKeyring,
  parts: { type: string; country: string; providerCode: string; number: string },
): string {
  return crypto
    .createHmac('sha256', ring.blindIndexKey)
    .update(
      [parts.type, parts.country.toUpperCase(), parts.providerCode.toUpperCase(), parts.number].join('|'),
    )
    .digest('base64url');
}

/** "•••• 1234": what people and APIs see of a destination. */
export function maskLast4(last4: string): string {
  return `•••• ${last4}`;
}
