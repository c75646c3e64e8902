import { countryCode, int, oneOf, queryInt, text, uuid, z } from '../../shared/http/schema';
import { countryOptions, PAYOUT_COUNTRIES } from '../../shared/markets';
import { MAX_WIRE_MINOR, SUPPORTED_CURRENCIES } from '../../shared/money';

/*
 * Request shapes of the finance API, built from the shared schema builders (src/shared/http/
 * schema.ts): they validate the request and are what /api/docs documents (defineApi), so the two
 * cannot drift. Names and numbers refuse control characters; amounts are safe JSON integers;
 * bodies are strict (FIELD_NOT_ALLOWED for anything else). NUL bytes and lone surrogates are
 * refused for the whole input by parseInput.
 */

/** Printable text without control characters, trimmed, 1..max characters. */
const name = (max: number) =>
  text({
    min: 1,
    max,
    trim: true,
    pattern: /^[^\p{Cc}]*$/u,
    message: `1 to ${max} characters, no control characters`,
  });

const currency = oneOf(
  SUPPORTED_CURRENCIES as unknown as readonly [string, ...string[]],
  'a supported ISO 4217 currency',
);
const digits = (min: number, max: number) =>
  text({ min, max, pattern: new RegExp(`^\\d{${min},${max}}$`), message: `${min} to ${max} digits` });
const providerCode = text({
  min: 2,
  max: 20,
  pattern: /^[A-Za-z0-9_-]{2,20}$/,
  message: 'a bank code or operator (e.g. 044, MPS, MTN)',
});

/** A country Flutterwave pays this kind of payout method in (PAYOUT_COUNTRIES), any case. */
const payoutCountry = (type: keyof typeof PAYOUT_COUNTRIES) => {
  const allowed: readonly string[] = PAYOUT_COUNTRIES[type];
  const what = type === 'BANK_ACCOUNT' ? 'bank accounts' : 'mobile money wallets';
  const names = countryOptions(allowed).map((c) => c.name);
  const error = `choose a country from the list: we pay ${what} in ${names.join(', ')}`;
  return z
    .string({ error })
    .trim()
    .max(2, { error })
    .toUpperCase()
    .refine((c) => allowed.includes(c), { error })
    .meta({ description: `ISO 3166 code, one of ${allowed.join(', ')}`, examples: [allowed[0]] });
};

export const amountMinor = int(1, MAX_WIRE_MINOR, 'a positive integer number of minor units');

export const bankMethodSchema = z.strictObject({
  type: z.literal('BANK_ACCOUNT'),
  country: payoutCountry('BANK_ACCOUNT'),
  currency,
  bankCode: providerCode.meta({ description: "The bank's code from GET /v3/banks/:country" }),
  bankName: name(120),
  accountNumber: digits(6, 20),
  accountName: name(120).meta({
    description: 'The name the account resolve returned, as the seller confirmed it',
  }),
  branchCode: text({ min: 1, max: 20, pattern: /^[A-Za-z0-9]{1,20}$/, message: 'letters and digits' })
    .optional()
    .meta({ description: 'Required by Flutterwave for Ghana, Uganda and Tanzania banks' }),
});

export const mobileMoneyMethodSchema = z
  .strictObject({
    type: z.literal('MOBILE_MONEY'),
    country: payoutCountry('MOBILE_MONEY'),
    currency,
    operator: providerCode.meta({ description: 'MPS (M-Pesa), MTN, AIRTEL, VODAFONE, TIGO…' }),
    operatorName: name(120).optional(),
    phoneNumber: digits(9, 15).meta({
      description: 'With the country calling code, digits only: 2547…, 233…',
    }),
    beneficiaryName: name(120),
    mpesa: z
      .strictObject({ sender: name(120), senderCountry: countryCode(), mobileNumber: digits(9, 15) })
      .optional()
      .meta({
        description: "M-Pesa (MPS) only: the sender's name, country and mobile number Flutterwave requires",
      }),
  })
  .refine((m) => m.operator.toUpperCase() !== 'MPS' || m.mpesa, {
    message: 'M-Pesa (MPS) needs mpesa.sender, mpesa.senderCountry and mpesa.mobileNumber',
    path: ['mpesa'],
  });

export const payoutMethodSchema = z.discriminatedUnion('type', [bankMethodSchema, mobileMoneyMethodSchema], {
  error: 'type must be BANK_ACCOUNT or MOBILE_MONEY',
});
export type PayoutMethodBody = z.infer<typeof payoutMethodSchema>;

export const withdrawalSchema = z.strictObject({
  amountMinor,
  currency,
  methodId: uuid('a payout method id'),
});
export const rejectSchema = z.strictObject({ reason: name(500) });
export const resolveSchema = z.strictObject({ resolution: name(500) });

const sellerId = uuid('a seller id').optional().meta({
  description: 'The seller whose money (default: your own, or the seller you are a FINANCE member of)',
});
export const sellerQuery = z.object({ sellerId });
/** GET /banks: the country whose bank list to show. */
export const banksQuery = z.object({ sellerId, country: countryCode() });
/** POST /payout-methods/resolve: whose account is this (before saving it). */
export const resolveAccountSchema = z.strictObject({
  country: countryCode(),
  bankCode: providerCode.meta({ description: "The bank's code from GET /banks" }),
  accountNumber: digits(6, 20),
});

export const statementQuery = z.object({
  sellerId,
  currency: currency.optional(),
  limit: queryInt(1, 200).optional(),
  cursor: text({ max: 19, pattern: /^\d{1,19}$/, message: 'use nextCursor from a previous page' }).optional(),
});
export const queueQuery = z.object({ view: oneOf(['queue', 'history']).optional() });
export const differencesQuery = z.object({ open: oneOf(['true', 'false']).optional() });
export const idParam = z.object({ id: uuid('not a valid id') });
