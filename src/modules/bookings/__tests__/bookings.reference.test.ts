import { newReference, parseBookingReference } from '../index';
import { REFERENCE_ALPHABET } from '../bookings.reference';

describe('booking references', () => {
  it('when a reference is drawn, then it is XXXX-XXXX from the alphabet without look-alikes', () => {
    const shape = new RegExp(`^[${REFERENCE_ALPHABET}]{4}-[${REFERENCE_ALPHABET}]{4}$`);
    for (let i = 0; i < 1000; i++) expect(newReference()).toMatch(shape);
    expect(REFERENCE_ALPHABET).not.toMatch(/[01ILOU]/);
  });

  it('when a person types a reference, then it is read in the one shown form, or refused', () => {
    expect(parseBookingReference('K7D4-QX9M')).toBe('K7D4-QX9M');
    expect(parseBookingReference(' k7d4qx9m ')).toBe('K7D4-QX9M');
    expect(parseBookingReference('k7d4 qx9m')).toBe('K7D4-QX9M');
    const drawn = newReference();
    expect(parseBookingReference(drawn.toLowerCase().replace('-', ''))).toBe(drawn);
    // Look-alikes are not in the alphabet, 8 hex digits of an id are not a reference, nor other lengths.
    expect(parseBookingReference('K7D4-QX9O')).toBeNull();
    expect(parseBookingReference('0A1B2C3D')).toBeNull();
    expect(parseBookingReference('K7D4-QX9')).toBeNull();
    expect(parseBookingReference('K7D4-QX9MM')).toBeNull();
    expect(parseBookingReference('')).toBeNull();
  });
});
