import crypto from 'node:crypto';

/*
 * Booking references are read aloud at gates and typed from emails, so the alphabet leaves out
 * look-alikes (0/O, 1/I/L) and U (fewer accidental words): 30 symbols, 8 of them shown as
 * XXXX-XXXX, about 6.5e11 values. Uniqueness is the database's job (unique index); the
 * repository retries on the rare collision.
 */
export const REFERENCE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';

export function newReference(): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += REFERENCE_ALPHABET[crypto.randomInt(REFERENCE_ALPHABET.length)];
  return `${s.slice(0, 4)}-${s.slice(4)}`;
}
