import express from 'express';
import request from 'supertest';
import { AppError } from '../errors';
import { defineApi } from '../http/api';
import { decodeCursor } from '../http/cursor';
import { errorHandler } from '../http/errors';
import { date, findUnsafeInput, int, parseInput, queryInt, text, uuid, z } from '../http/schema';
import { createLogger } from '../logger';

const errorOf = (fn: () => unknown): AppError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
};

describe('request schema builders', () => {
  it('when a UUID comes in upper case, then it is accepted and answered lowercase; anything else is refused', () => {
    const id = '6F1C7C43-3A8E-4F4E-9D5E-3B0D2F3F8A11';
    expect(uuid().parse(id)).toBe(id.toLowerCase());
    for (const bad of ['6f1c7c43-3a8e-4f4e-9d5e', `${id}x`, [id], 42])
      expect(uuid().safeParse(bad).success).toBe(false);
  });

  it('when an integer is a float, huge, a string or an array, then it is refused', () => {
    const n = int(1, 1000);
    expect(n.parse(7)).toBe(7);
    for (const bad of [1.5, 1e20, 2 ** 63, '5', [5], Number.NaN, Infinity, 0, 1001]) {
      expect({ bad, ok: n.safeParse(bad).success }).toEqual({ bad, ok: false });
    }
  });

  it('when a query integer is repeated, a float or an exponent, then it is refused; plain digits are a number', () => {
    const q = queryInt(1, 50);
    expect(q.parse('20')).toBe(20);
    for (const bad of [['5', '5'], '2.5', '1e3', '', ' 5', '51', '0x10']) {
      expect({ bad, ok: q.safeParse(bad).success }).toEqual({ bad, ok: false });
    }
  });

  it('when a date is outside 0001–9999 or not ISO 8601, then it is refused; ISO dates and times are Dates', () => {
    const d = date();
    expect(d.parse('2026-12-01T18:30:00.000Z')).toEqual(new Date('2026-12-01T18:30:00.000Z'));
    expect(d.parse('2026-12-01')).toEqual(new Date('2026-12-01T00:00:00.000Z'));
    for (const bad of [
      '+275760-09-13T00:00:00.000Z',
      '-271821-04-20T00:00:00.000Z',
      '10000-01-01',
      '2026-13-45',
      'tomorrow',
      1764612000000,
      ['2026-12-01'],
    ]) {
      expect({ bad, ok: d.safeParse(bad).success }).toEqual({ bad, ok: false });
    }
  });

  it('when any string or key holds NUL or a lone surrogate, then its path is named; deep nesting is refused quickly', () => {
    const field = (v: unknown) => findUnsafeInput(v)?.field;
    expect(field({ a: [{ b: 'ok' }, { c: 'x\u0000' }] })).toBe('a[1].c');
    expect(field({ a: { 'k\ud800': 1 } })).toBe('a.k\ud800');
    expect(field({ a: '\udc00 trailing' })).toBe('a');
    expect(
      findUnsafeInput({ a: 'emoji 😀 is a pair', b: ['fine'], c: { d: [1, null, true] } }),
    ).toBeUndefined();
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const started = Date.now();
    expect(findUnsafeInput(deep)?.message).toMatch(/nests deeper than 32 levels/);
    expect(Date.now() - started).toBeLessThan(1000);
    const wide = Array.from({ length: 100_000 }, (_, i) => ({ ['k' + i]: 'v' }));
    expect(findUnsafeInput([...wide, 'bad\u0000'])?.field).toBe('[100000]');
  });

  it('when a strict body has unknown fields, then FIELD_NOT_ALLOWED names each; otherwise one detail per bad field', () => {
    const schema = z.strictObject({ name: text({ min: 1, max: 5 }), n: int(1, 2).optional() });
    const unknown = errorOf(() => parseInput('body', schema, { name: 'a', sold: 1, status: 'X' }));
    expect(unknown).toMatchObject({
      code: 'FIELD_NOT_ALLOWED',
      details: [
        { field: 'sold', location: 'body' },
        { field: 'status', location: 'body' },
      ],
    });
    const bad = errorOf(() => parseInput('body', schema, { n: 3 }));
    expect(bad).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [
        { field: 'name', location: 'body', message: 'is required' },
        { field: 'n', location: 'body' },
      ],
    });
    expect(errorOf(() => parseInput('body', schema, ['a'])).message).toBe('The body must be a JSON object');
  });

  it('when a cursor carries a time outside 0001–9999, then 400 INVALID_CURSOR before any query', () => {
    const id = '6f1c7c43-3a8e-4f4e-9d5e-3b0d2f3f8a11';
    const cursor = (at: string) => Buffer.from(JSON.stringify({ at, id })).toString('base64url');
    expect(decodeCursor(cursor('2026-12-01T00:00:00.000Z'))).toEqual({
      at: new Date('2026-12-01T00:00:00.000Z'),
      id,
    });
    for (const at of ['-271821-04-20T00:00:00.000Z', '+275760-09-13T00:00:00.000Z']) {
      expect(errorOf(() => decodeCursor(cursor(at))).code).toBe('INVALID_CURSOR');
    }
  });
});

describe('defineApi', () => {
  const api = defineApi({ name: 'probe', prefix: '/api/v1/probe', tags: ['probe'] });
  api.post(
    '/:id/items',
    {
      summary: 'Add items',
      security: 'csrf',
      params: z.object({ id: uuid() }),
      query: z.object({ limit: queryInt(1, 50).optional() }),
      body: z.strictObject({ quantity: int(1, 10), note: text({ max: 20 }).optional() }),
      responses: {
        201: { description: 'Added', schema: z.object({ added: z.int() }) },
        400: 'VALIDATION_FAILED',
      },
    },
    ({ params, query, body }, _req, res) => {
      res.status(201).json({ id: params.id, limit: query.limit ?? null, quantity: body.quantity });
    },
  );
  const app = express();
  app.use(express.json());
  app.use(api.router);
  app.use(errorHandler(createLogger({ level: 'error' })));

  it('when a route is declared, then its document has the parameters, the strict body schema and the responses', () => {
    const op = api.module().paths['/api/v1/probe/{id}/items']!.post!;
    expect(op).toMatchObject({
      summary: 'Add items',
      tags: ['probe'],
      security: [{ session: [], csrf: [] }],
      parameters: [
        { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
        { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 50 } },
      ],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              additionalProperties: false,
              required: ['quantity'],
              properties: {
                quantity: { type: 'integer', minimum: 1, maximum: 10 },
                note: { type: 'string', maxLength: 20 },
              },
            },
          },
        },
      },
      responses: {
        '201': { description: 'Added', content: { 'application/json': { schema: { type: 'object' } } } },
        '400': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    });
  });

  it('when the request is valid, then the handler gets the parsed input; when not, 400 in the one error shape', async () => {
    const id = '6F1C7C43-3A8E-4F4E-9D5E-3B0D2F3F8A11';
    const ok = await request(app).post(`/${id}/items?limit=5`).send({ quantity: 2 });
    expect(ok.status).toBe(201);
    expect(ok.body).toEqual({ id: id.toLowerCase(), limit: 5, quantity: 2 });
    const bad = await request(app).post('/nope/items?limit=5&limit=6').send({ quantity: 1.5 });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({
      error: {
        code: 'VALIDATION_FAILED',
        message: 'The request has invalid fields',
        details: [
          { field: 'id', location: 'params', message: 'must be a UUID' },
          { field: 'limit', location: 'query', message: 'must be an integer from 1 to 50' },
          { field: 'quantity', location: 'body', message: 'must be an integer from 1 to 10' },
        ],
      },
    });
  });
});
