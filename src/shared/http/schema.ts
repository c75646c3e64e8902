import { z } from 'zod';
import { AppError, type ErrorDetail } from '../errors';
import { UUID_PATTERN } from '../uuid';

/*
 * Request schemas: one zod schema per request part both validates the request and is the
 * documented schema in /api/docs (z.toJSONSchema). The builders below carry the rules every
 * field of the API shares, so a route cannot forget them:
 * - a scalar is a scalar: `["x"]` for a string, `?limit=5&limit=5` for a number is a 400;
 * - integers are JSON integers within stated bounds (no 1e20, no 1.5, no "5" in a JSON body);
 * - dates are ISO 8601 with a four-digit year, 0001-01-01 to 9999-12-31 (what PostgreSQL and
 *   every client prints; `+275760-09-13` is a 400, never reaches the driver);
 * - no string anywhere in the input (keys included) holds NUL or a lone surrogate, and nothing
 *   nests deeper than MAX_INPUT_DEPTH: checked once for the whole input in parseInput, so
 *   free-form JSON (ticket type attributes) is covered too.
 * Unknown body fields are refused where the schema is a `z.strictObject` (FIELD_NOT_ALLOWED).
 */

export { z };

/** The wire form of schemas whose zod input is not what a client sends (query strings, dates). */
const wireDocs = new WeakMap<object, Record<string, unknown>>();
function documented<T extends z.ZodType>(schema: T, json: Record<string, unknown>): T {
  wireDocs.set(schema, json);
  return schema;
}

/** JSON Schema (2020-12, as OpenAPI 3.1 uses) of a zod schema, as a client sends or receives it. */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const json = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      const wire = wireDocs.get(zodSchema);
      if (!wire) return;
      const description = jsonSchema.description;
      for (const k of Object.keys(jsonSchema)) delete (jsonSchema as Record<string, unknown>)[k];
      Object.assign(jsonSchema, wire, description ? { description } : {});
    },
  }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

/**
 * A UUID (any version, either case), as a path parameter or a field, answered in lowercase:
 * services compare ids as strings with what PostgreSQL returns (lowercase), so an upper-case id
 * from a client must not become "another" campaign or ticket type.
 */
export const uuid = (message = 'must be a UUID') =>
  documented(
    z
      .string({ error: message })
      .regex(UUID_PATTERN, { error: message })
      .transform((s) => s.toLowerCase()),
    { type: 'string', format: 'uuid' },
  );

/** A string of `min` to `max` characters (after trimming when `trim`), optionally matching a pattern. */
export function text(o: { max: number; min?: number; trim?: boolean; pattern?: RegExp; message?: string }) {
  const error = o.message ?? `must be ${o.min ?? 0} to ${o.max} characters`;
  let s = z.string({ error });
  if (o.trim) s = s.trim();
  s = s.min(o.min ?? 0, { error }).max(o.max, { error });
  return o.pattern ? s.regex(o.pattern, { error }) : s;
}

/** An email address (trimmed, at most 254 characters). */
export const email = (message = 'must be an email address') =>
  documented(
    z
      .string({ error: message })
      .trim()
      .max(254, { error: message })
      .pipe(z.email({ error: message })),
    {
      type: 'string',
      format: 'email',
      maxLength: 254,
    },
  );

/** A JSON integer from min to max (a safe integer: no floats, no 1e20, no numeric strings). */
export const int = (min: number, max: number, message = `must be an integer from ${min} to ${max}`) =>
  z.int({ error: message }).min(min, { error: message }).max(max, { error: message });

/** A JSON number from min to max (coordinates). */
export const num = (min: number, max: number, message = `must be a number from ${min} to ${max}`) =>
  z.number({ error: message }).min(min, { error: message }).max(max, { error: message });

/** An integer in a query string (`?limit=20`): digits only, one value. */
export const queryInt = (min: number, max: number, message = `must be an integer from ${min} to ${max}`) =>
  documented(
    z
      .string({ error: message })
      .regex(/^-?\d{1,15}$/, { error: message })
      .transform(Number)
      .pipe(int(min, max, message)),
    { type: 'integer', minimum: min, maximum: max },
  );

/** A boolean in a query string: true, false, 1 or 0. */
export const queryBool = (message = 'must be true or false') =>
  documented(
    z.enum(['true', 'false', '1', '0'], { error: message }).transform((v) => v === 'true' || v === '1'),
    { type: 'boolean' },
  );

/** One of the listed strings. */
export const oneOf = <const T extends readonly [string, ...string[]]>(
  values: T,
  message = `must be one of ${values.join(', ')}`,
) => z.enum(values, { error: message });

/** ISO 3166-1 alpha-2 codes (the list express-validator's isISO31661Alpha2 used). */
const COUNTRY_CODES = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS ' +
    'BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE ' +
    'EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM ' +
    'HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC ' +
    'LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA ' +
    'NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW ' +
    'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO ' +
    'TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
  ).split(' '),
);

/** An ISO 3166-1 alpha-2 country code, either case, answered uppercase. */
export const countryCode = (message = 'must be an ISO 3166 two-letter country code, like UG') =>
  z
    .string({ error: message })
    .trim()
    .max(2, { error: message })
    .toUpperCase()
    .refine((c) => COUNTRY_CODES.has(c), { error: message });

/** Earliest and latest instants any date field accepts (four-digit years, within PostgreSQL's range). */
export const MIN_DATE = new Date('0001-01-01T00:00:00.000Z');
export const MAX_DATE = new Date('9999-12-31T23:59:59.999Z');
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/** True for a valid Date within MIN_DATE..MAX_DATE. */
export function isSaneDate(d: Date): boolean {
  const t = d.getTime();
  return Number.isFinite(t) && t >= MIN_DATE.getTime() && t <= MAX_DATE.getTime();
}

/** An ISO 8601 date or time (`2026-12-01`, `2026-12-01T18:00:00Z`), parsed to a Date. */
export const date = (message = 'must be an ISO 8601 time (years 0001 to 9999)') =>
  documented(
    z
      .string({ error: message })
      .max(40, { error: message })
      .regex(ISO_8601, { error: message })
      .transform((s) => new Date(s))
      .refine(isSaneDate, { error: message }),
    { type: 'string', format: 'date-time' },
  );

/** A JSON object (not an array, not null) of at most `maxBytes` when serialised. */
export const jsonObject = (
  maxBytes: number,
  message = `must be a JSON object of at most ${maxBytes} bytes`,
) =>
  z
    .record(z.string(), z.unknown(), { error: message })
    .refine((v) => JSON.stringify(v).length <= maxBytes, { error: message });

/** `?limit=` and `?cursor=` of a keyset-paginated list. */
export const pageQuery = (maxLimit: number) => ({
  limit: queryInt(1, maxLimit).optional(),
  cursor: text({ max: 200, message: 'use nextCursor from a previous page' }).optional(),
});

// ---------------------------------------------------------------- parsing

export type InputLocation = 'params' | 'query' | 'body';

/** `items[0].quantity`, the way express-validator named fields (tests and clients rely on it). */
function fieldOf(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** How deep any request input may nest (objects and arrays); deeper is refused before parsing. */
export const MAX_INPUT_DEPTH = 32;

/**
 * The first problem in an input that no schema should have to think about: a string (value or
 * key) holding NUL or an unpaired surrogate, or nesting deeper than MAX_INPUT_DEPTH. Iterative,
 * linear in the input's size (a path is built only for the value it names), so a hostile body
 * cannot overflow the stack or cost quadratic time.
 */
export function findUnsafeInput(value: unknown): { field: string; message: string } | undefined {
  type Node = { v: unknown; key?: PropertyKey; parent?: Node; depth: number };
  const bad = (s: string) => s.includes('\u0000') || LONE_SURROGATE.test(s);
  const pathOf = (n: Node, last?: PropertyKey) => {
    const path: PropertyKey[] = last === undefined ? [] : [last];
    for (let at: Node | undefined = n; at?.parent; at = at.parent) path.unshift(at.key!);
    return fieldOf(path) || '(root)';
  };
  const text = 'must not contain NUL characters or unpaired surrogates';
  const stack: Node[] = [{ v: value, depth: 0 }];
  while (stack.length) {
    const node = stack.pop()!;
    const { v, depth } = node;
    if (typeof v === 'string') {
      if (bad(v)) return { field: pathOf(node), message: text };
    } else if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
      if (depth >= MAX_INPUT_DEPTH)
        return { field: pathOf(node), message: `nests deeper than ${MAX_INPUT_DEPTH} levels` };
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) stack.push({ v: v[i], key: i, parent: node, depth: depth + 1 });
      } else {
        for (const [k, item] of Object.entries(v)) {
          if (bad(k)) return { field: pathOf(node, k), message: text };
          stack.push({ v: item, key: k, parent: node, depth: depth + 1 });
        }
      }
    }
  }
  return undefined;
}

function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v = input;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

/**
 * Parses one part of a request: its data, or a 400 AppError in the one error shape.
 * VALIDATION_FAILED carries one detail per bad field (`{ field, location, message }`);
 * unknown fields of a strict body are FIELD_NOT_ALLOWED, naming each.
 */
export function parseInput<S extends z.ZodType>(
  location: InputLocation,
  schema: S,
  input: unknown,
): z.output<S> {
  const unsafe = findUnsafeInput(input);
  if (unsafe) throw AppError.validation('The request has invalid fields', [{ ...unsafe, location }]);
  const value = location === 'body' && input === undefined ? {} : input;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues;
  if (issues.some((i) => i.path.length === 0 && i.code === 'invalid_type')) {
    throw AppError.validation(`The ${location === 'body' ? 'body' : location} must be a JSON object`);
  }
  const unknown = issues.flatMap((i) =>
    i.code === 'unrecognized_keys' && i.path.length === 0 ? i.keys : [],
  );
  if (unknown.length) {
    throw AppError.validation(
      `These fields cannot be set: ${unknown.join(', ')}`,
      unknown.map((field) => ({ field, location, message: 'not an accepted field' })),
      'FIELD_NOT_ALLOWED',
    );
  }
  const details: ErrorDetail[] = [];
  const seen = new Set<string>();
  for (const issue of issues) {
    const field = fieldOf(issue.path);
    if (seen.has(field)) continue;
    seen.add(field);
    const missing = issue.code === 'invalid_type' && valueAt(value, issue.path) === undefined;
    details.push({ field, location, message: missing ? 'is required' : issue.message });
  }
  throw AppError.validation('The request has invalid fields', details);
}

/**
 * Parses the declared parts of a request together: a FIELD_NOT_ALLOWED or a body that is not an
 * object answers on its own; otherwise every bad field of every part is one VALIDATION_FAILED.
 */
export function parseRequest(
  schemas: Partial<Record<InputLocation, z.ZodType>>,
  input: Record<InputLocation, unknown>,
): Partial<Record<InputLocation, unknown>> {
  const out: Partial<Record<InputLocation, unknown>> = {};
  const details: ErrorDetail[] = [];
  for (const location of ['params', 'query', 'body'] as const) {
    const schema = schemas[location];
    if (!schema) continue;
    try {
      out[location] = parseInput(location, schema, input[location]);
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'VALIDATION_FAILED' || !err.details.length) throw err;
      details.push(...err.details);
    }
  }
  if (details.length) throw AppError.validation('The request has invalid fields', details);
  return out;
}
