/**
 * Money is an integer count of a currency's minor unit (kobo, cents, pesewas) plus its ISO 4217
 * code. This file is the one place that turns minor units into the major-unit decimals that
 * payment providers speak (Flutterwave's `amount: 1500.5` is NGN 1,500.50) and back.
 *
 * Invariant: no conversion goes through floating-point arithmetic. Minor → major is done on the
 * decimal digits of the integer; major → minor parses the decimal text. A provider's number is
 * read through `String(n)`, which prints the shortest decimal that round-trips to the same double
 * (ECMAScript Number::toString), i.e. exactly the decimal the provider put on the wire for any
 * amount below 10^15. If this were done with `Math.round(x * 100)` instead, amounts such as
 * 1.005 or 4.35 * 100 = 434.99999999999994 would be off by a minor unit.
 */

/** Digits after the decimal point per ISO 4217 (the currency's minor-unit exponent). */
export const MINOR_UNIT_EXPONENT = {
  NGN: 2, // Nigerian naira: kobo
  GHS: 2, // Ghanaian cedi: pesewas
  KES: 2, // Kenyan shilling: cents
  UGX: 0, // Ugandan shilling: no minor unit in use
  TZS: 2, // Tanzanian shilling: cents
  RWF: 0, // Rwandan franc
  ZAR: 2, // South African rand
  ZMW: 2, // Zambian kwacha
  MWK: 2, // Malawian kwacha
  EGP: 2, // Egyptian pound
  MAD: 2, // Moroccan dirham
  ETB: 2, // Ethiopian birr
  XOF: 0, // West African CFA franc
  XAF: 0, // Central African CFA franc
  USD: 2,
  EUR: 2,
  GBP: 2,
  CAD: 2,
} as const;

export type CurrencyCode = keyof typeof MINOR_UNIT_EXPONENT;

export const SUPPORTED_CURRENCIES = Object.keys(MINOR_UNIT_EXPONENT) as CurrencyCode[];

/** An amount in minor units with its currency, the shape money takes everywhere in our code. */
export interface Money {
  amountMinor: number;
  currency: CurrencyCode;
}

export class MoneyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MoneyError';
  }
}

/**
 * Largest minor-unit magnitude we convert to a provider's decimal number: below 10^15 a decimal
 * string survives the trip through a JSON number unchanged (doubles hold 15 significant digits).
 */
export const MAX_WIRE_MINOR = 10 ** 15 - 1;

export function isCurrencyCode(value: unknown): value is CurrencyCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(MINOR_UNIT_EXPONENT, value);
}

/** The ISO 4217 exponent of a currency we support; throws MoneyError for any other code. */
export function minorUnitExponent(currency: string): number {
  if (!isCurrencyCode(currency)) throw new MoneyError(`Unsupported currency "${currency}"`);
  return MINOR_UNIT_EXPONENT[currency];
}

/** Throws unless `amountMinor` is a safe integer (negative allowed: refunds, reversals). */
export function assertMinorUnits(amountMinor: number): void {
  if (!Number.isSafeInteger(amountMinor)) {
    throw new MoneyError(`A minor-unit amount must be a safe integer, got ${String(amountMinor)}`);
  }
}

/** Minor units as the exact major-unit decimal text: (150050, 'NGN') → "1500.50"; (5000, 'UGX') → "5000". */
export function toMajorString(amountMinor: number, currency: string): string {
  return minorToDecimal(amountMinor, minorUnitExponent(currency));
}

/**
 * Minor units as the number a JSON API expects (Flutterwave's `amount`). The number is built
 * from the exact decimal text, and JSON.stringify prints it back as that same decimal.
 */
export function toMajorNumber(amountMinor: number, currency: string): number {
  assertMinorUnits(amountMinor);
  if (Math.abs(amountMinor) > MAX_WIRE_MINOR) {
    throw new MoneyError(`Amount ${amountMinor} is too large to send as a decimal number`);
  }
  return Number(toMajorString(amountMinor, currency));
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * A major-unit decimal (a provider's JSON number or decimal text) as integer minor units:
 * (1500.5, 'NGN') → 150050. Throws MoneyError when the value has more fraction digits than the
 * currency allows (UGX 10.5) rather than rounding money silently.
 */
export function fromMajor(value: number | string, currency: string): number {
  const exponent = minorUnitExponent(currency);
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new MoneyError(`Not a finite amount: ${String(value)}`);
    text = String(value);
    if (/e/i.test(text)) text = expandExponent(text);
  } else {
    text = value.trim();
  }
  const match = DECIMAL.exec(text);
  if (!match) throw new MoneyError(`Not a decimal amount: "${String(value)}"`);
  const [, sign, whole = '0', rawFraction = ''] = match;
  const fraction = rawFraction.replace(/0+$/, '');
  if (fraction.length > exponent) {
    throw new MoneyError(`${text} ${currency} has more than ${exponent} decimal place(s)`);
  }
  const minorText = `${whole}${fraction.padEnd(exponent, '0')}`.replace(/^0+(?=\d)/, '');
  const minor = Number(minorText);
  if (!Number.isSafeInteger(minor)) throw new MoneyError(`Amount ${text} ${currency} is out of range`);
  return sign && minor !== 0 ? -minor : minor;
}

/** Same as fromMajor, but returns undefined instead of throwing (for values to be flagged, not trusted). */
export function tryFromMajor(value: unknown, currency: unknown): number | undefined {
  if ((typeof value !== 'number' && typeof value !== 'string') || typeof currency !== 'string')
    return undefined;
  try {
    return fromMajor(value, currency);
  } catch {
    return undefined;
  }
}

/** "1e-7" / "1.5e+21" → plain decimal text, by moving the point in the digit string. */
function expandExponent(text: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]?\d+)$/i.exec(text);
  if (!m) return text;
  const [, sign = '', whole = '', fraction = '', exp = '0'] = m;
  const shift = Number(exp);
  const digits = whole + fraction;
  const point = whole.length + shift;
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * Digits after the decimal point of any ISO 4217 currency: ours from the table above, and for a
 * code we do not take payments in (campaigns may be priced in any currency Intl knows), the
 * digits Intl (CLDR) gives it, which is how such prices were entered. Throws MoneyError for a
 * code that is not a currency at all.
 */
export function currencyDigits(currency: string): number {
  if (isCurrencyCode(currency)) return MINOR_UNIT_EXPONENT[currency];
  let digits: number | undefined;
  try {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
      .maximumFractionDigits;
  } catch {
    throw new MoneyError(`Unknown currency "${currency}"`);
  }
  if (digits === undefined) throw new MoneyError(`Unknown currency "${currency}"`);
  return digits;
}

/**
 * Minor units (a safe integer or a bigint, for sums that outgrow 2^53) as exact decimal text with
 * `digits` places: (150050n, 2) → "1500.50". The point is placed in the digit string.
 */
export function minorToDecimal(amountMinor: number | bigint, digits: number): string {
  if (typeof amountMinor === 'number') assertMinorUnits(amountMinor);
  const value = BigInt(amountMinor);
  const negative = value < 0n;
  const text = (negative ? -value : value).toString().padStart(digits + 1, '0');
  const whole = digits ? text.slice(0, -digits) : text;
  const fraction = digits ? `.${text.slice(-digits)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

export interface FormatMoneyOptions {
  /**
   * 'symbol' (default, for buyers: "₦5,000.00", "$0.05", "UGX 5,000" where a currency has no
   * symbol of its own) or 'code' ("NGN 5,000.00", unambiguous between dollars, for staff).
   */
  display?: 'symbol' | 'code';
  locale?: string;
}

// An Intl.NumberFormat costs more to build than to use: one per (locale, currency, display).
const moneyFormats = new Map<string, Intl.NumberFormat>();

/**
 * The one formatter for money shown to people (pages, PDFs, emails): (500000, 'NGN') →
 * "₦5,000.00", (5000, 'UGX') → "UGX 5,000". Exact for any amount: Intl is handed the decimal
 * text of the integer minor units, never a float made by dividing by a power of ten, so
 * 9007199254740993n kobo prints every digit.
 */
export function formatMoney(
  amountMinor: number | bigint,
  currency: string,
  options: FormatMoneyOptions = {},
): string {
  const { display = 'symbol', locale = 'en' } = options;
  const digits = currencyDigits(currency);
  const key = `${locale}|${currency}|${display}`;
  let format = moneyFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency,
      currencyDisplay: display === 'code' ? 'code' : 'narrowSymbol',
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
    moneyFormats.set(key, format);
  }
  // Intl formats decimal strings exactly (ECMA-402 NumberFormat v3), no float in between.
  return format.format(minorToDecimal(amountMinor, digits) as Intl.StringNumericLiteral);
}

/** Why a typed price was refused, in words a seller understands, with a stable code. */
export class MoneyInputError extends MoneyError {
  constructor(
    readonly code: 'PRICE_INVALID' | 'PRICE_TOO_PRECISE' | 'PRICE_NEGATIVE' | 'PRICE_TOO_LARGE',
    message: string,
  ) {
    super(message);
    this.name = 'MoneyInputError';
  }
}

/** The narrow symbol Intl shows for a currency ("₦" for NGN), or the code when it has none. */
function currencySymbol(currency: string): string {
  const parts = new Intl.NumberFormat('en', {
    style: 'currency',
    currency,
    currencyDisplay: 'narrowSymbol',
  }).formatToParts(0);
  return parts.find((p) => p.type === 'currency')?.value ?? currency;
}

const TYPED_AMOUNT = /^\d{1,3}(?:,\d{3})+(?:\.\d*)?$|^\d+(?:\.\d*)?$|^\.\d+$/;

/**
 * A price as a person types it, in major units ("5,000.00", "₦5000", "UGX 5,000", "12.5"), as
 * exact integer minor units of `currency`: ("5,000.00", 'NGN') → 500000, ("5,000", 'UGX') → 5000.
 * Parsed on the decimal digit string, never through a float. Refuses more decimals than the
 * currency has ("10.5" UGX, "1.005" NGN) instead of rounding, negatives, and thousands
 * separators in the wrong places ("5,00").
 */
export function parseMoneyInput(input: string, currency: string, maxMinor = MAX_WIRE_MINOR): number {
  const digits = currencyDigits(currency);
  let text = input.replace(/[\s\u00a0\u202f]+/g, '');
  for (const prefix of [currency, currencySymbol(currency)]) {
    if (text.toUpperCase().startsWith(prefix.toUpperCase())) text = text.slice(prefix.length);
  }
  if (text.startsWith('-')) throw new MoneyInputError('PRICE_NEGATIVE', 'A price cannot be negative.');
  if (!TYPED_AMOUNT.test(text))
    throw new MoneyInputError(
      'PRICE_INVALID',
      `Type the price as a number, for example ${moneyInputExample(currency)}.`,
    );
  const plain = text.replace(/,/g, '').replace(/\.$/, '');
  const fraction = plain.split('.')[1] ?? '';
  if (fraction.replace(/0+$/, '').length > digits)
    throw new MoneyInputError(
      'PRICE_TOO_PRECISE',
      digits === 0
        ? `Prices in ${currency} have no decimals.`
        : `Prices in ${currency} have at most ${digits} decimal${digits === 1 ? '' : 's'}.`,
    );
  const [whole = '', rawFraction = ''] = plain.split('.');
  const minorText = `${whole}${rawFraction.replace(/0+$/, '').padEnd(digits, '0')}`.replace(/^0+(?=\d)/, '');
  const minor = Number(minorText || '0');
  if (!Number.isSafeInteger(minor) || minor > maxMinor)
    throw new MoneyInputError('PRICE_TOO_LARGE', 'That price is too large.');
  return minor;
}

/** "5,000.00" for NGN, "5,000" for UGX: how a price is typed, for hints and messages. */
export function moneyInputExample(currency: string): string {
  const digits = currencyDigits(currency);
  return digits ? `5,000.${'0'.repeat(digits)}` : '5,000';
}
