import { z } from 'zod';
import { AppError } from '../../shared/errors';
import { MAX_WIRE_MINOR, SUPPORTED_CURRENCIES } from '../../shared/money';

/*
 * Request shapes of the finance API, in zod: what is validated here is what the routes document
 * (finance.routes.ts turns these into its OpenAPI request bodies through z.toJSONSchema, so the
 * two cannot drift). Strings refuse control characters (NUL bytes included); numbers are safe
 * integers; unknown fields are refused (strict objects).
 */

/** Printable text without control characters, trimmed, 1..max characters. */
const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters');

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'a uuid');
const currency = z.enum(SUPPORTED_CURRENCIES as [string, ...string[]]);
const country = z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166 country code such as NG, KE, GH');
const digits = (min: number, max: number) =>
  z.string().regex(new RegExp(`^\\d{${min},${max}}$`), `${min} to ${max} digits`);
const providerCode = z
  .string()
  .regex(/^[A-Za-z0-9_-]{2,20}$/, 'a bank code or operator (e.g. 044, MPS, MTN)');

export const amountMinor = z.number().int('an integer number of minor units').positive().max(MAX_WIRE_MINOR);

export const bankMethodSchema = z.strictObject({
  type: z.literal('BANK_ACCOUNT'),
  country,
  currency,
  bankCode: providerCode,
  bankName: text(120),
  accountNumber: digits(6, 20),
  /** The name the provider's account resolve returned, which the seller confirmed. */
  accountName: text(120),
  branchCode: z
    .string()
    .regex(/^[A-Za-z0-9]{1,20}$/)
    .optional(),
});

export const mobileMoneyMethodSchema = z
  .strictObject({
    type: z.literal('MOBILE_MONEY'),
    country,
    currency,
    operator: providerCode,
    operatorName: text(120).optional(),
    /** With the country calling code, digits only: 2547…, 233…, 256… */
    phoneNumber: digits(9, 15),
    beneficiaryName: text(120),
    /** M-Pesa (MPS) only: Flutterwave requires the sender's name, country and mobile number. */
    mpesa: z
      .strictObject({
        sender: text(120),
        senderCountry: country,
        mobileNumber: digits(9, 15),
      })
      .optional(),
  })
  .refine((m) => m.operator.toUpperCase() !== 'MPS' || m.mpesa, {
    message: 'M-Pesa (MPS) needs mpesa.sender, mpesa.senderCountry and mpesa.mobileNumber',
    path: ['mpesa'],
  });

export const payoutMethodSchema = z.discriminatedUnion('type', [bankMethodSchema, mobileMoneyMethodSchema]);
export type PayoutMethodBody = z.infer<typeof payoutMethodSchema>;

export const withdrawalSchema = z.strictObject({ amountMinor, currency, methodId: uuid });

export const rejectSchema = z.strictObject({ reason: text(500) });
export const resolveSchema = z.strictObject({ resolution: text(500) });

export const sellerQuery = z.object({ sellerId: uuid.optional() });
export const statementQuery = z.object({
  sellerId: uuid.optional(),
  currency: currency.optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z
    .string()
    .regex(/^\d{1,19}$/)
    .optional(),
});
export const queueQuery = z.object({ view: z.enum(['queue', 'history']).optional() });
export const differencesQuery = z.object({ open: z.enum(['true', 'false']).optional() });
export const idParam = z.object({ id: uuid });

/** Parses `value` with `schema` or throws 400 VALIDATION_FAILED with one detail per problem. */
export function parseOr400<T extends z.ZodType>(
  schema: T,
  value: unknown,
  where: 'body' | 'query' | 'params',
): z.infer<T> {
  if (where === 'body' && (!value || typeof value !== 'object' || Array.isArray(value)))
    throw AppError.validation('The body must be a JSON object');
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw AppError.validation(
    'The request has invalid fields',
    r.error.issues.map((i) => ({
      field: i.path.join('.') || undefined,
      location: where,
      message: i.message,
    })),
  );
}

/** The JSON Schema of a request body, for the OpenAPI document. */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
