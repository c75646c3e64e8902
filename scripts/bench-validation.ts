/*
 * Microbenchmark: validating the booking request body (POST /api/v1/bookings) with the
 * express-validator chain the route used before (plus its onlyFields check) against the zod
 * schema it uses now (through parseRequest, as the route runs it, NUL/depth scan included).
 * Prints ops/s for a valid and an invalid body. Runs about 15 s on one core: `npx tsx scripts/bench-validation.ts`.
 */
import crypto from 'node:crypto';
import { body, matchedData, validationResult } from 'express-validator';
import { reserveBody } from '../src/modules/bookings';
import { parseRequest, z } from '../src/shared/http/schema';

const BODY_FIELDS = ['campaignId', 'items', 'issuance', 'accessCode'];
const ISSUANCES = ['SINGLE', 'SEPARATE'];
const chains = [
  body('campaignId').isUUID().withMessage('a campaign id'),
  body('items').isArray({ min: 1, max: 20 }).withMessage('1 to 20 items'),
  body('items.*.ticketTypeId').isUUID().withMessage('a ticket type id'),
  body('items.*.quantity').isInt({ min: 1, max: 1000 }).withMessage('an integer from 1').toInt(),
  body('issuance')
    .isIn([...ISSUANCES])
    .withMessage(`one of ${ISSUANCES.join(', ')}`),
  body('accessCode').optional().isString().isLength({ min: 1, max: 64 }),
];

/** The old route's work: onlyFields, the chains, validationResult and matchedData. */
async function oldValidate(b: Record<string, unknown>): Promise<boolean> {
  const req = { body: b, params: {}, query: {}, headers: {}, cookies: {} };
  if (Object.keys(req.body).some((k) => !BODY_FIELDS.includes(k))) return false;
  for (const chain of chains) await chain.run(req);
  if (!validationResult(req).isEmpty()) return false;
  matchedData(req, { includeOptionals: false });
  return true;
}

function newValidate(b: Record<string, unknown>, schema: z.ZodType = reserveBody): boolean {
  try {
    parseRequest({ body: schema }, { body: b, params: {}, query: {} });
    return true;
  } catch {
    return false;
  }
}

const valid = {
  campaignId: crypto.randomUUID(),
  items: [
    { ticketTypeId: crypto.randomUUID(), quantity: 2 },
    { ticketTypeId: crypto.randomUUID(), quantity: 1 },
  ],
  issuance: 'SINGLE',
};
const invalid = { ...valid, items: [{ ticketTypeId: 'nope', quantity: 1.5 }], issuance: 'BOTH' };

/** ops/s of fn over `ms`. */
async function rate(fn: () => unknown, ms: number): Promise<number> {
  let n = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(ms) * 1_000_000n;
  while (process.hrtime.bigint() < end) {
    for (let i = 0; i < 100; i++) await fn();
    n += 100;
  }
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ops: number) => Math.round(ops).toLocaleString('en').padStart(10);

/**
 * The two validators measured in alternating short rounds (the machine is shared: a load swing
 * then hits both alike); medians of ops/s and of the per-round ratio.
 */
async function compare(
  label: string,
  oldFn: () => unknown,
  newFn: () => unknown,
  rounds = 9,
  names = ['express-validator', 'zod'],
  ms = 300,
) {
  for (let i = 0; i < 2000; i++) {
    await oldFn();
    await newFn();
  }
  const olds: number[] = [];
  const news: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const o = await rate(oldFn, ms);
    const n = await rate(newFn, ms);
    olds.push(o);
    news.push(n);
    ratios.push(n / o);
  }
  console.log(
    `${label.padEnd(13)} ${names[0]} ${fmt(median(olds))} ops/s | ${names[1]} ${fmt(median(news))} ops/s | ${names[1]}/${names[0]} ${median(ratios).toFixed(1)}x`,
  );
}

async function main() {
  const compiled = (z as unknown as { compile?: (s: z.ZodType) => z.ZodType }).compile?.(reserveBody);
  if (
    !(await oldValidate(valid)) ||
    !newValidate(valid) ||
    (await oldValidate(invalid)) ||
    newValidate(invalid)
  ) {
    throw new Error('the two validators disagree on the sample bodies');
  }
  console.log(`Booking body validation, Node ${process.version}, ${new Date().toISOString()}`);
  await compare(
    'valid body',
    () => oldValidate(valid),
    () => newValidate(valid),
  );
  await compare(
    'invalid body',
    () => oldValidate(invalid),
    () => newValidate(invalid),
  );
  if (compiled) {
    await compare(
      'valid body',
      () => newValidate(valid),
      () => newValidate(valid, compiled),
      5,
      ['zod', 'z.compile (not used by the app)'],
    );
  }
}

void main();
