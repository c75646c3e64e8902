import crypto from 'node:crypto';

/*
 * Booking references are read aloud at gates and typed from emails, so the alphabet leaves out
 * look-alikes (0/O, 1/I/L) and U (fewer accidental words): 30 symbols, 8 of them shown as
 * XXXX-XXXX, about 6.5e11 values. Uniqueness is the database's job (unique index); the
 * repository retries on the rare collision.
 *
 * This stored `bookings.reference` is the only reference people see: the booking page, every
 * email, the ticket PDF (page and file name) and searches use it, never a slice of the booking id
 * (that would be a second name for the same booking, and 8 hex digits of a random UUID are not
 * unique).
 */
export const REFERENCE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';

export function newReference(): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += REFERENCE_ALPHABET[crypto.randomInt(REFERENCE_ALPHABET.length)];
  return `${s.slice(0, 4)}-${s.slice(4)}`;
}

const REFERENCE_TEXT = new RegExp(`^[${REFERENCE_ALPHABET}]{8}$`);

/**
 * A reference as a person typed it ("k7d4 qx9m", "K7D4QX9M", " K7D4-QX9M ") in the one form it is
 * stored and shown ("K7D4-QX9M"), or null when it cannot be a booking reference (so a search can
 * answer "no such booking" without a query).
 */
export function parseBookingReference(text: string): string | null {
  const compact = text
    .trim()
    .toUpperCase()
    .replace(/[\s-]+/g, '');
  if (!REFERENCE_TEXT.test(compact)) return null;
  return `${compact.slice(0, 4)}-${compact.slice(4)}`;
}
