import {
  MoneyError,
  SUPPORTED_CURRENCIES,
  currencyDigits,
  formatMoney,
  fromMajor,
  minorToDecimal,
  minorUnitExponent,
  toMajorNumber,
  toMajorString,
  tryFromMajor,
} from '../money';

describe('money: minor units ↔ provider decimals', () => {
  it('when asked for ISO 4217 exponents, then zero-decimal currencies say 0 and the rest 2', () => {
    expect(minorUnitExponent('NGN')).toBe(2);
    expect(minorUnitExponent('GHS')).toBe(2);
    expect(minorUnitExponent('KES')).toBe(2);
    expect(minorUnitExponent('TZS')).toBe(2);
    expect(minorUnitExponent('ZAR')).toBe(2);
    expect(minorUnitExponent('USD')).toBe(2);
    expect(minorUnitExponent('EUR')).toBe(2);
    expect(minorUnitExponent('GBP')).toBe(2);
    expect(minorUnitExponent('UGX')).toBe(0);
    expect(minorUnitExponent('XOF')).toBe(0);
    expect(minorUnitExponent('RWF')).toBe(0);
    expect(() => minorUnitExponent('ngn')).toThrow(MoneyError);
    expect(() => minorUnitExponent('XYZ')).toThrow(/Unsupported currency/);
  });

  it('when minor units become decimal text, then digits are placed exactly, signs and zeros kept', () => {
    expect(toMajorString(150050, 'NGN')).toBe('1500.50');
    expect(toMajorString(5, 'USD')).toBe('0.05');
    expect(toMajorString(0, 'EUR')).toBe('0.00');
    expect(toMajorString(-1999, 'GBP')).toBe('-19.99');
    expect(toMajorString(5000, 'UGX')).toBe('5000');
    expect(toMajorString(12500, 'XOF')).toBe('12500');
    expect(toMajorString(Number.MAX_SAFE_INTEGER, 'KES')).toBe('90071992547409.91');
    expect(() => toMajorString(1.5, 'NGN')).toThrow(/safe integer/);
    expect(() => toMajorString(Number.NaN, 'NGN')).toThrow(MoneyError);
  });

  it('when an amount goes on the wire, then JSON carries exactly the decimal (no 0.1+0.2 drift)', () => {
    expect(JSON.stringify({ amount: toMajorNumber(150050, 'NGN') })).toBe('{"amount":1500.5}');
    expect(JSON.stringify({ amount: toMajorNumber(435, 'USD') })).toBe('{"amount":4.35}');
    expect(JSON.stringify({ amount: toMajorNumber(100, 'USD') })).toBe('{"amount":1}');
    expect(JSON.stringify({ amount: toMajorNumber(5000, 'UGX') })).toBe('{"amount":5000}');
    // 0.1 + 0.2 would be 0.30000000000000004; built from digits it is 0.3.
    expect(toMajorNumber(30, 'USD')).toBe(0.3);
    expect(() => toMajorNumber(10 ** 15, 'NGN')).toThrow(/too large/);
  });

  it('when every minor amount up to 100,000 goes out and back, then it comes back unchanged', () => {
    for (const currency of ['NGN', 'UGX'] as const) {
      for (let minor = 0; minor <= 100_000; minor++) {
        const wire = JSON.parse(JSON.stringify(toMajorNumber(minor, currency))) as number;
        if (fromMajor(wire, currency) !== minor) throw new Error(`${minor} ${currency} did not round-trip`);
      }
    }
    // A float multiply would get these wrong: 4.35 * 100 = 434.99999999999994, 1.005 * 100 = 100.49999999999999.
    expect(fromMajor(4.35, 'USD')).toBe(435);
    expect(fromMajor(1.1, 'NGN')).toBe(110);
    expect(fromMajor(19.99, 'GBP')).toBe(1999);
    expect(fromMajor(0.07, 'EUR')).toBe(7);
  });

  it('when a provider decimal is parsed, then numbers and strings both give integer minor units', () => {
    expect(fromMajor(1500.5, 'NGN')).toBe(150050);
    expect(fromMajor('1500.50', 'NGN')).toBe(150050);
    expect(fromMajor('  42 ', 'KES')).toBe(4200);
    expect(fromMajor(5000, 'UGX')).toBe(5000);
    expect(fromMajor('5000.00', 'UGX')).toBe(5000);
    expect(fromMajor(-12.5, 'ZAR')).toBe(-1250);
    expect(fromMajor(1e-2, 'USD')).toBe(1);
    expect(fromMajor(2e3, 'RWF')).toBe(2000);
    expect(fromMajor('0', 'XOF')).toBe(0);
  });

  it('when a decimal has more places than the currency allows, then it is refused, not rounded', () => {
    expect(() => fromMajor(10.5, 'UGX')).toThrow(/more than 0 decimal/);
    expect(() => fromMajor(100.005, 'NGN')).toThrow(/more than 2 decimal/);
    expect(() => fromMajor(1e-7, 'USD')).toThrow(MoneyError);
    expect(() => fromMajor('1,000.00', 'NGN')).toThrow(/Not a decimal/);
    expect(() => fromMajor('12abc', 'NGN')).toThrow(MoneyError);
    expect(() => fromMajor(Number.POSITIVE_INFINITY, 'NGN')).toThrow(/finite/);
    expect(() => fromMajor(1e21, 'NGN')).toThrow(/out of range/);
    expect(() => fromMajor(1, 'ABC')).toThrow(/Unsupported currency/);
    expect(tryFromMajor(10.5, 'UGX')).toBeUndefined();
    expect(tryFromMajor('7.25', 'GHS')).toBe(725);
    expect(tryFromMajor(null, 'GHS')).toBeUndefined();
  });

  it('when money is shown to staff with the code, then it is formatted from the exact decimal with the code', () => {
    expect(formatMoney(150050, 'NGN', { display: 'code' })).toBe('NGN\u00a01,500.50');
    expect(formatMoney(1234567, 'UGX', { display: 'code' })).toBe('UGX\u00a01,234,567');
    expect(formatMoney(5, 'USD', { display: 'code' })).toBe('USD\u00a00.05');
  });

  it('when money is shown to buyers, then each currency gets its ISO 4217 decimals and its symbol where it has one', () => {
    expect(formatMoney(5000, 'UGX')).toBe('UGX\u00a05,000');
    expect(formatMoney(500000, 'NGN')).toBe('₦5,000.00');
    expect(formatMoney(5, 'NGN')).toBe('₦0.05');
    expect(formatMoney(-150050, 'NGN')).toBe('-₦1,500.50');
    expect(formatMoney(250000, 'KES')).toBe('KES\u00a02,500.00');
    expect(formatMoney(1999, 'GHS')).toBe('GH₵19.99');
    expect(formatMoney(1999, 'USD')).toBe('$19.99');
    expect(formatMoney(12500, 'XOF')).toBe('F\u202fCFA\u00a012,500');
    expect(formatMoney(0, 'NGN')).toBe('₦0.00');
    // A currency campaigns may use but we take no payments in: Intl's (CLDR) digits.
    expect(formatMoney(1234, 'JPY')).toBe('¥1,234');
    expect(formatMoney(1234, 'KWD')).toBe('KWD\u00a01.234');
    expect(() => formatMoney(1, 'NOPE')).toThrow(MoneyError);
    expect(() => formatMoney(1.5, 'NGN')).toThrow(/safe integer/);
  });

  it('when an amount is beyond 2^53, then every digit is printed (a float would round it)', () => {
    // 9007199254740993 is 2^53 + 1: as a double it is ...992, and / 100 would drift further.
    expect(formatMoney(9007199254740993n, 'NGN')).toBe('₦90,071,992,547,409.93');
    expect(formatMoney(9007199254740993n, 'UGX')).toBe('UGX\u00a09,007,199,254,740,993');
    expect(formatMoney(Number.MAX_SAFE_INTEGER, 'USD')).toBe('$90,071,992,547,409.91');
    expect(minorToDecimal(-9007199254740993n, 2)).toBe('-90071992547409.93');
    expect(minorToDecimal(7, 3)).toBe('0.007');
    expect(currencyDigits('UGX')).toBe(0);
    expect(currencyDigits('NGN')).toBe(2);
  });

  it('when listing supported currencies, then each has an exponent of 0 or 2', () => {
    expect(SUPPORTED_CURRENCIES.length).toBeGreaterThanOrEqual(11);
    for (const c of SUPPORTED_CURRENCIES) expect([0, 2]).toContain(minorUnitExponent(c));
  });
});
