import crypto from 'node:crypto';
import {
  makeSeller,
  signIn,
  signInAdmin,
  startAuthApp,
  type AuthTestEnv,
  type TestSession,
} from '../support/auth';

/**
 * Every route of the OpenAPI document, sent what a hostile client sends: wrong types, arrays
 * and objects for scalars, NUL bytes and lone surrogates, huge, negative and fractional
 * numbers, 1 MB strings, prototype keys, broken UTF-8 and percent-escapes, dates outside
 * PostgreSQL's range, unknown fields: anonymous, as a buyer and as a seller (with the CSRF
 * token, so the request reaches validation and the service). No answer may be a 5xx. The routes
 * come from /api/docs, so a new route is covered without anyone remembering to add it.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: Json[];
  format?: string;
  anyOf?: Schema[];
  oneOf?: Schema[];
  $ref?: string;
}
interface Operation {
  parameters?: Array<{ name: string; in: string; schema?: Schema }>;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}
interface Probe {
  method: string;
  path: string;
  query?: string;
  body?: Buffer | string;
  contentType?: string;
  headers?: Record<string, string>;
  label: string;
}

const NUL = 'a\u0000b';
const LONE_SURROGATE = '"\\ud800x"';
const MEGABYTE = 'x'.repeat(1024 * 1024);

/** Raw JSON texts for a scalar field; strings here are JSON source, so lone surrogates survive. */
const HOSTILE_VALUES: Array<[string, string]> = [
  ['array', '["a","b"]'],
  ['array of one uuid', `["${crypto.randomUUID()}"]`],
  ['object', '{"a":1}'],
  ['null', 'null'],
  ['true', 'true'],
  ['NUL', JSON.stringify(NUL)],
  ['lone surrogate', LONE_SURROGATE],
  ['empty string', '""'],
  ['huge number', '1e308'],
  ['2^63', '9223372036854775808'],
  ['negative', '-1'],
  ['fraction', '1.5'],
  ['1 MB string', JSON.stringify(MEGABYTE.slice(0, 90_000))],
  ['date past PostgreSQL', '"+275760-09-13T00:00:00.000Z"'],
  ['date before PostgreSQL', '"-271821-04-20T00:00:00.000Z"'],
  ['not a uuid', '"not-a-uuid"'],
  ['uppercase uuid', `"${crypto.randomUUID().toUpperCase()}"`],
];

const HOSTILE_PATH_VALUES = [
  crypto.randomUUID(),
  'not-a-uuid',
  '%00',
  '%E0%A4%A',
  '%C3%28',
  '1e20',
  '-1',
  'x'.repeat(3000),
  '..%2F..%2Fetc',
];

const HOSTILE_QUERY = [
  'limit=5&limit=5',
  'limit=1e20',
  'limit=-1',
  'limit=1.5',
  'cursor=%00',
  'cursor=eyJhdCI6Ii0yNzE4MjEtMDQtMjBUMDA6MDA6MDAuMDAwWiIsImlkIjoieCJ9',
  `cursor=${Buffer.from(JSON.stringify({ at: '+275760-09-13T00:00:00.000Z', id: crypto.randomUUID() })).toString('base64url')}`,
  'q=%00',
  'q=%E0%A4%A',
  'q[a]=1',
  '__proto__[x]=1',
  `q=${'x'.repeat(4000)}`,
];

function resolve(doc: Record<string, unknown>, s: Schema | undefined): Schema | undefined {
  if (!s?.$ref) return s;
  const name = s.$ref.split('/').pop()!;
  return ((doc.components as { schemas?: Record<string, Schema> })?.schemas ?? {})[name];
}

/** A plausible value for a schema, so that one mutated field is all that is wrong. */
function sample(doc: Record<string, unknown>, s: Schema | undefined, depth = 0): Json {
  const schema = resolve(doc, s);
  if (!schema || depth > 4) return 'x';
  if (schema.enum?.length) return schema.enum[0]!;
  const alt = schema.anyOf ?? schema.oneOf;
  if (alt?.length) return sample(doc, alt[0], depth + 1);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object':
      return Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([k, v]) => [k, sample(doc, v, depth + 1)]),
      );
    case 'array':
      return [sample(doc, schema.items, depth + 1)];
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return true;
    default:
      if (schema.format === 'uuid') return crypto.randomUUID();
      if (schema.format === 'date-time') return new Date(Date.now() + 86_400_000).toISOString();
      if (schema.format === 'email') return 'someone@example.test';
      if (schema.format === 'uri') return 'https://example.test/x';
      return 'x';
  }
}

function probesFor(doc: Record<string, unknown>, method: string, path: string, op: Operation): Probe[] {
  const probes: Probe[] = [];
  const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const fill = (value: string) => path.replace(/\{(\w+)\}/g, () => value);
  const goodPath = fill(crypto.randomUUID());
  for (const v of params.length ? HOSTILE_PATH_VALUES : []) {
    probes.push({ method, path: fill(v), label: `path ${v.slice(0, 20)}` });
  }
  const queryParams = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
  if (queryParams.length || method === 'get') {
    for (const q of HOSTILE_QUERY) {
      const renamed = queryParams.length ? q.replace(/^(limit|cursor|q)=/, `${queryParams[0]}=`) : q;
      probes.push({ method, path: goodPath, query: renamed, label: `query ${renamed.slice(0, 40)}` });
    }
    for (const name of queryParams) {
      probes.push({ method, path: goodPath, query: `${name}=a&${name}=b`, label: `query ${name} twice` });
      probes.push({ method, path: goodPath, query: `${name}=%00`, label: `query ${name} NUL` });
    }
  }
  if (!['post', 'put', 'patch', 'delete'].includes(method)) return probes;

  const schema = resolve(doc, op.requestBody?.content?.['application/json']?.schema);
  const base = schema ? sample(doc, schema) : {};
  const baseObject = base && typeof base === 'object' && !Array.isArray(base) ? base : {};
  const json = (body: string, label: string): Probe => ({
    method,
    path: goodPath,
    body,
    contentType: 'application/json',
    label,
  });
  probes.push(json(JSON.stringify(baseObject), 'plausible body'));
  for (const raw of ['[]', '"text"', 'null', '123', '{"a":', '{"__proto__":{"admin":true}}']) {
    probes.push(json(raw, `body ${raw}`));
  }
  probes.push(
    json(JSON.stringify({ ...baseObject, constructor: { prototype: { x: 1 } } }), 'constructor.prototype'),
  );
  probes.push(json(JSON.stringify({ ...baseObject, unknownField: 1 }), 'unknown field'));
  probes.push(json(JSON.stringify({ ...baseObject, big: MEGABYTE }), '1 MB body'));
  probes.push({
    method,
    path: goodPath,
    body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
    contentType: 'application/json',
    label: 'broken UTF-8',
  });
  probes.push({
    method,
    path: goodPath,
    body: '{"a":1}',
    contentType: 'application/json',
    headers: { 'Content-Encoding': 'gzip' },
    label: 'false gzip',
  });
  probes.push({
    method,
    path: goodPath,
    body: Array.from({ length: 1100 }, (_, i) => `f${i}=1`).join('&'),
    contentType: 'application/x-www-form-urlencoded',
    label: 'form with 1100 fields',
  });
  const fields = Object.keys(baseObject);
  for (const field of fields) {
    for (const [name, raw] of HOSTILE_VALUES) {
      const others = JSON.stringify({ ...baseObject, [field]: '__HOLE__' });
      probes.push(json(others.replace('"__HOLE__"', raw), `${field} = ${name}`));
    }
    // Nested: every array field's first element mutated the same way.
    const value = baseObject[field];
    if (Array.isArray(value) && value[0] && typeof value[0] === 'object' && !Array.isArray(value[0])) {
      for (const inner of Object.keys(value[0])) {
        for (const [name, raw] of HOSTILE_VALUES.slice(0, 9)) {
          const nested = JSON.stringify({ ...baseObject, [field]: [{ ...value[0], [inner]: '__HOLE__' }] });
          probes.push(json(nested.replace('"__HOLE__"', raw), `${field}[0].${inner} = ${name}`));
        }
      }
    }
  }
  return probes;
}

describe('hostile input on every documented route', () => {
  let env: AuthTestEnv;
  let actors: Array<{ name: string; session?: TestSession }>;
  let doc: Record<string, unknown>;

  beforeAll(async () => {
    env = await startAuthApp({
      overrides: {
        RATE_LIMIT_MAX: '1000000',
        BOOKING_RATE_LIMIT_MAX: '1000000',
        PAYMENT_RATE_LIMIT_MAX: '1000000',
        APPLY_RATE_LIMIT_MAX: '1000000',
        TICKETS_RESEND_RATE_LIMIT_MAX: '1000000',
        WEBHOOK_AUTH_FAILURE_LIMIT_MAX: '1000000',
        SIGN_IN_RATE_LIMIT_MAX: '1000000',
      },
    });
    const admin = await signInAdmin(env);
    const [buyer, seller] = await Promise.all([
      signIn(env, 'hostile-buyer@example.test'),
      makeSeller(env, 'hostile-seller@example.test', { admin }),
    ]);
    actors = [{ name: 'anonymous' }, { name: 'buyer', session: buyer }, { name: 'seller', session: seller }];
    doc = (await (await fetch(`${env.url}/api/docs`)).json()) as Record<string, unknown>;
  });
  afterAll(async () => {
    await env.close();
  });

  async function send(p: Probe, session?: TestSession): Promise<{ status: number; text: string }> {
    const headers: Record<string, string> = { Accept: 'application/json', ...(p.headers ?? {}) };
    if (p.contentType) headers['Content-Type'] = p.contentType;
    if (session) {
      headers.Cookie = session.cookie;
      headers['X-CSRF-Token'] = session.csrfToken;
      headers['Idempotency-Key'] = crypto.randomUUID();
    }
    const res = await fetch(`${env.url}${p.path}${p.query ? `?${p.query}` : ''}`, {
      method: p.method.toUpperCase(),
      headers,
      body: typeof p.body === 'string' || p.body === undefined ? p.body : new Uint8Array(p.body),
      redirect: 'manual',
    });
    return { status: res.status, text: (await res.text()).slice(0, 300) };
  }

  it('when every route gets hostile input as anonymous, buyer and seller, then no answer is a 5xx', async () => {
    const paths = doc.paths as Record<string, Record<string, Operation>>;
    const routes = Object.entries(paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ method, path, op })),
    );
    // The metrics and docs routes take no input; everything else under /api is probed.
    const probed = routes.filter((r) => r.path.startsWith('/api/'));
    expect(probed.length).toBeGreaterThan(40);

    const failures: string[] = [];
    let sent = 0;
    for (const actor of actors) {
      const probes = probed.flatMap((r) => probesFor(doc, r.method, r.path, r.op));
      // A few at a time: parallel enough to be quick, not so many that the machine's load decides.
      for (let i = 0; i < probes.length; i += 8) {
        const batch = probes.slice(i, i + 8);
        const answers = await Promise.all(batch.map((p) => send(p, actor.session)));
        answers.forEach((a, j) => {
          sent++;
          const p = batch[j]!;
          if (a.status >= 500)
            failures.push(
              `${actor.name} ${p.method.toUpperCase()} ${p.path.slice(0, 80)} [${p.label}] → ${a.status} ${a.text}`,
            );
        });
      }
    }
    expect({ sent: sent > 1000, failures }).toEqual({ sent: true, failures: [] });
  }, 600_000);

  it('when a correctly signed webhook carries hostile ids or text, then it is answered without a 5xx', async () => {
    const hash = env.platform.config.FLUTTERWAVE_SECRET_HASH;
    const bodies = [
      '{"event":"charge.completed","data":{"id":1.5,"tx_ref":"x","status":"successful"}}',
      '{"event":"charge.completed","data":{"id":1e20,"tx_ref":"x","status":"successful"}}',
      '{"event":"charge.completed","data":{"id":9223372036854775808,"tx_ref":"x","status":"successful"}}',
      '{"event":"charge.completed","data":{"id":-5,"tx_ref":"x","status":"successful"}}',
      '{"event":"charge.completed","data":{"id":"12","tx_ref":"a\\u0000b","status":"successful"}}',
      `{"event":"charge.completed","data":{"id":12,"tx_ref":${LONE_SURROGATE},"status":"successful"}}`,
      `{"event":${LONE_SURROGATE},"data":{"id":12}}`,
      '{"event":"charge.completed","data":[1,2]}',
      '{"event":"charge.completed"}',
      '[]',
      '{"id":12,"txRef":"a\\u0000b","status":"successful","event.type":"CARD_TRANSACTION"}',
    ];
    const webhook = (doc.paths as Record<string, unknown>)['/api/v1/payments/webhook'];
    expect(webhook).toBeDefined();
    for (const body of bodies) {
      const res = await fetch(`${env.url}/api/v1/payments/webhook`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'verif-hash': hash },
        body,
      });
      expect([body, res.status < 500]).toEqual([body, true]);
    }
  });
});
