import { z } from 'zod';
import type { ErrorDetail } from '../../shared/errors';
import { ValidationErrors } from './validation.errors';

/**
 * Request shapes of the validation API, one definition each: the routes parse with them and the
 * OpenAPI document shows `requestSchema(...)` of the same object, so the two cannot drift.
 * Objects are strict (an unknown field is a 400, not silently dropped) and scalars refuse
 * arrays, objects, NUL bytes and out-of-range numbers.
 */

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Control characters (NUL included) have no place in a name a person typed.
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f]/;

export const uuid = z
  .string()
  .regex(UUID_RE, 'must be a uuid')
  .transform((s) => s.toLowerCase());

const displayName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(80, 'at most 80 characters')
  .refine((s) => !CONTROL_RE.test(s), 'must not contain control characters');

/** A device time: ISO 8601 with a zone, between 2000 and 2100 (a phone with a dead clock says 1970). */
const instant = z
  .string()
  .max(40)
  .refine((s) => {
    const t = Date.parse(s);
    return /T.*(Z|[+-]\d\d:?\d\d)$/i.test(s) && t >= Date.UTC(2000, 0, 1) && t < Date.UTC(2100, 0, 1);
  }, 'must be an ISO 8601 time with a time zone')
  .transform((s) => new Date(s));

export const SCAN_REASONS = [
  'invalid_code',
  'invalid_signature',
  'unknown_key',
  'wrong_campaign',
  'revoked',
  'already_used',
  'not_yet_valid',
  'expired',
  'campaign_not_active',
  'reentry_not_allowed',
  'not_inside',
] as const;
export type ScanReason = (typeof SCAN_REASONS)[number];

export const scanBody = z
  .strictObject({
    // Never trimmed: Base45 has a space among its digits. 1000 is far above the 188 we print.
    qr: z.string().min(1).max(1000),
    scanId: uuid,
    type: z.enum(['entry', 'exit']),
    scannedAt: instant,
    gateId: uuid.optional(),
    offline: z.boolean().optional(),
    deviceResult: z.enum(['ok', 'refused']).optional(),
    deviceReason: z.enum(SCAN_REASONS).optional(),
  })
  .refine((b) => b.deviceResult === undefined || b.offline === true, {
    message: 'deviceResult is sent with offline scans only',
    path: ['deviceResult'],
  })
  .refine((b) => b.offline !== true || b.deviceResult !== undefined, {
    message: 'an offline scan says what the device decided (deviceResult)',
    path: ['deviceResult'],
  });
export type ScanInput = z.output<typeof scanBody>;

export const gateBody = z.strictObject({ name: displayName });
export const deviceBody = z.strictObject({ name: displayName, gateId: uuid.optional() });
export const devicePatchBody = z
  .strictObject({ name: displayName.optional(), gateId: uuid.nullable().optional() })
  .refine((b) => b.name !== undefined || b.gateId !== undefined, 'send name and/or gateId');
export const enrolBody = z.strictObject({
  token: z
    .string()
    .min(20)
    .max(100)
    .regex(/^[A-Za-z0-9_-]+$/),
});
export const revocationsQuery = z.strictObject({
  after: z
    .string()
    .regex(/^\d{1,15}$/, 'must be a whole number')
    .transform(Number)
    .optional(),
});
export const idParam = z.strictObject({ id: uuid });
export const campaignParam = z.strictObject({ campaignId: uuid });

/** Parses `value` with `schema`, or throws 400 VALIDATION_FAILED with one detail per problem. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, location: string): z.output<S> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const details: ErrorDetail[] = r.error.issues.map((i) => ({
    field: i.path.length ? i.path.join('.') : undefined,
    location,
    message: i.message,
  }));
  throw ValidationErrors.invalidInput(details);
}

/** The JSON Schema (2020-12, as OpenAPI 3.1 uses) of a request shape, for the docs. */
export function requestSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return rest;
}
