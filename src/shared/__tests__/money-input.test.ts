import { formatMoney, MoneyInputError, parseMoneyInput } from '../money';

describe('parseMoneyInput', () => {
  it.each([
    ['5,000.00', 'NGN', 500000],
    ['₦5,000.00', 'NGN', 500000],
    ['NGN 5000', 'NGN', 500000],
    ['5000.5', 'NGN', 500050],
    ['0.10', 'NGN', 10],
    ['.5', 'USD', 50],
    ['1.20', 'USD', 120],
    ['4.35', 'USD', 435],
    ['1,234,567.89', 'KES', 123456789],
    ['5,000', 'UGX', 5000],
    ['UGX 5,000', 'UGX', 5000],
    ['5000.00', 'UGX', 5000],
    ['0', 'NGN', 0],
    ['12', 'XOF', 12],
  ])('when %s %s is typed, then %i minor units are stored', (typed, currency, minor) => {
    expect(parseMoneyInput(typed, currency)).toBe(minor);
  });

  it.each([
    ['10.5', 'UGX', 'PRICE_TOO_PRECISE', 'Prices in UGX have no decimals.'],
    ['1.005', 'NGN', 'PRICE_TOO_PRECISE', 'Prices in NGN have at most 2 decimals.'],
    ['-5', 'NGN', 'PRICE_NEGATIVE', 'A price cannot be negative.'],
    ['5,00', 'NGN', 'PRICE_INVALID', 'Type the price as a number, for example 5,000.00.'],
    ['abc', 'UGX', 'PRICE_INVALID', 'Type the price as a number, for example 5,000.'],
    ['1e3', 'NGN', 'PRICE_INVALID', expect.any(String)],
    ['', 'NGN', 'PRICE_INVALID', expect.any(String)],
    ['99999999999999999', 'NGN', 'PRICE_TOO_LARGE', 'That price is too large.'],
  ])('when %s %s is typed, then it is refused with %s', (typed, currency, code, message) => {
    let error: unknown;
    try {
      parseMoneyInput(typed, currency);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MoneyInputError);
    expect(error).toMatchObject({ code, message });
  });

  it('when a price is parsed and formatted again, then the seller sees what they typed', () => {
    expect(formatMoney(parseMoneyInput('5,000.00', 'NGN'), 'NGN')).toBe('₦5,000.00');
    expect(formatMoney(parseMoneyInput('5000', 'UGX'), 'UGX')).toBe('UGX\u00a05,000');
  });
});
