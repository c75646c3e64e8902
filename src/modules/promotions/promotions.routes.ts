import { defineApi } from '../../shared/http/api';
import { actorOf, requireRole } from '../../shared/http/authorize';
import type { ApiModule } from '../../shared/http/openapi';
import { createRateLimit } from '../../shared/http/rate-limit';
import { date, int, oneOf, queryInt, text, uuid, z } from '../../shared/http/schema';
import { currencyDigits, minorToDecimal } from '../../shared/money';
import type { Platform } from '../../shared/platform';
import { toCsv } from '../../shared/csv';
import { MAX_BULK_CODES, type PromotionsService } from './promotions.service';
import {
  PROMO_KINDS,
  type PromoCodeInput,
  type PromoCodeRecord,
  type PromoCodeStats,
} from './promotions.types';

const CODE = /^[A-Za-z0-9_-]+$/;
const byCampaign = z.object({ id: uuid('not a valid id') });
const byCode = z.object({ id: uuid('not a valid id'), codeId: uuid('not a valid id') });

/** What every kind of code takes: the discount, the types, the window. */
const settings = {
  kind: oneOf(PROMO_KINDS),
  percentOff: int(0, 100, 'an integer from 0 to 100 (0: only unlocks hidden types)').optional(),
  amountOffMinor: int(1, 1_000_000_000_000, 'a positive integer amount in minor units').optional(),
  ticketTypeIds: z
    .array(uuid('a ticket type id'), { error: 'up to 50 ticket type ids' })
    .max(50, { error: 'up to 50 ticket type ids' })
    .optional()
    .meta({ description: 'The discount applies to these types only; empty or absent: to every type' }),
  unlocksTicketTypeIds: z
    .array(uuid('a ticket type id'), { error: 'up to 50 ticket type ids' })
    .max(50, { error: 'up to 50 ticket type ids' })
    .optional()
    .meta({ description: 'Hidden types the code makes bookable' }),
  validFrom: date().nullable().optional(),
  validUntil: date().nullable().optional(),
};

const valueCheck = (b: { kind: string; percentOff?: number; amountOffMinor?: number }) =>
  b.kind === 'PERCENT'
    ? b.percentOff !== undefined && b.amountOffMinor === undefined
    : b.amountOffMinor !== undefined && b.percentOff === undefined;
const valueError = {
  error: 'PERCENT takes percentOff, FIXED takes amountOffMinor (and not the other)',
  path: ['kind'],
};

export const createPromoBody = z
  .strictObject({
    code: text({ min: 3, max: 32, pattern: CODE, message: '3 to 32 letters, digits, - or _' }),
    ...settings,
    maxUses: int(1, 10_000_000).nullable().optional().meta({ description: 'Uses in all; absent: unlimited' }),
    maxUsesPerBuyer: int(1, 1000).nullable().optional(),
  })
  .refine(valueCheck, valueError);

export const generatePromoBody = z
  .strictObject({
    count: int(1, MAX_BULK_CODES, `an integer from 1 to ${MAX_BULK_CODES}`),
    prefix: text({ min: 1, max: 12, pattern: CODE, message: '1 to 12 letters, digits, - or _' }).optional(),
    ...settings,
  })
  .refine(valueCheck, valueError);

const listQuery = z.object({
  batchId: uuid('not a valid batch id').optional(),
  limit: queryInt(1, MAX_BULK_CODES).optional(),
  offset: queryInt(0, 1_000_000).optional(),
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function promoCodeDto(c: PromoCodeRecord | PromoCodeStats) {
  return {
    id: c.id,
    campaignId: c.campaignId,
    code: c.code,
    kind: c.kind,
    percentOff: c.percentOff,
    amountOffMinor: c.amountOffMinor,
    currency: c.currency,
    ticketTypeIds: c.ticketTypeIds,
    unlocksTicketTypeIds: c.unlocksTicketTypeIds,
    validFrom: iso(c.validFrom),
    validUntil: iso(c.validUntil),
    maxUses: c.maxUses,
    maxUsesPerBuyer: c.maxUsesPerBuyer,
    uses: c.uses,
    batchId: c.batchId,
    active: c.active,
    createdAt: iso(c.createdAt),
    ...('revenueMinor' in c
      ? {
          confirmedBookings: c.confirmedBookings,
          heldBookings: c.heldBookings,
          revenueMinor: c.revenueMinor,
          discountMinor: c.discountMinor,
        }
      : {}),
  };
}

const inputOf = (
  b: z.output<typeof createPromoBody> | z.output<typeof generatePromoBody>,
): PromoCodeInput => ({
  kind: b.kind,
  percentOff: b.percentOff,
  amountOffMinor: b.amountOffMinor,
  ticketTypeIds: b.ticketTypeIds,
  unlocksTicketTypeIds: b.unlocksTicketTypeIds,
  validFrom: b.validFrom ?? null,
  validUntil: b.validUntil ?? null,
});

/** The codes of one campaign as CSV: what a seller prints or mails out. */
export function promoCodesCsv(items: PromoCodeStats[]): string {
  return (
    '\ufeff' +
    toCsv(
      [
        'Code',
        'Discount',
        'Uses',
        'Max uses',
        'Valid from',
        'Valid until',
        'Active',
        'Confirmed bookings',
        'Revenue',
        'Currency',
      ],
      items.map((c) => {
        const digits = currencyDigits(c.currency);
        return [
          c.code,
          c.kind === 'PERCENT' ? `${c.percentOff}%` : minorToDecimal(c.amountOffMinor ?? 0, digits),
          c.uses,
          c.maxUses ?? '',
          iso(c.validFrom) ?? '',
          iso(c.validUntil) ?? '',
          c.active ? 'yes' : 'no',
          c.confirmedBookings,
          minorToDecimal(c.revenueMinor, digits),
          c.currency,
        ];
      }),
    )
  );
}

/** The seller's promo code API under /api/v1/campaigns/:id/promo-codes. */
export function promotionsApi(platform: Platform, service: PromotionsService): ApiModule {
  const { redis, config } = platform;
  const api = defineApi({ name: 'promotions', prefix: '/api/v1/campaigns', tags: ['promotions'] });
  const writeLimit = createRateLimit(redis, config.REDIS_PREFIX, {
    name: 'promotions',
    windowMs: 60_000,
    limit: 60,
    key: (req) => `u:${req.actor?.userId ?? 'anonymous'}`,
  });
  const sellers = [requireRole('SELLER')];
  const common = {
    400: 'VALIDATION_FAILED or FIELD_NOT_ALLOWED',
    401: 'Not signed in',
    403: "FORBIDDEN: only the campaign's seller",
    404: 'CAMPAIGN_NOT_FOUND',
  };

  api.post(
    '/:id/promo-codes',
    {
      summary: 'Create a promo code for the campaign (percentage or fixed amount off, limits, window)',
      security: 'csrf',
      use: [...sellers, writeLimit],
      params: byCampaign,
      body: createPromoBody,
      responses: { 201: 'The code', ...common, 409: 'PROMO_CODE_EXISTS', 429: 'RATE_LIMITED' },
    },
    async ({ params, body }, req, res) => {
      const code = await service.createPromoCode(actorOf(req), params.id, {
        ...inputOf(body),
        code: body.code,
        maxUses: body.maxUses ?? null,
        maxUsesPerBuyer: body.maxUsesPerBuyer ?? null,
      });
      res.status(201).json(promoCodeDto(code));
    },
  );

  api.post(
    '/:id/promo-codes/generate',
    {
      summary: 'Generate N single-use promo codes sharing the same discount (one batch)',
      security: 'csrf',
      use: [...sellers, writeLimit],
      params: byCampaign,
      body: generatePromoBody,
      responses: { 201: '{ batchId, items }', ...common, 429: 'RATE_LIMITED' },
    },
    async ({ params, body }, req, res) => {
      const r = await service.generatePromoCodes(actorOf(req), params.id, {
        ...inputOf(body),
        count: body.count,
        prefix: body.prefix,
      });
      res.status(201).json({ batchId: r.batchId, items: r.codes.map(promoCodeDto) });
    },
  );

  api.get(
    '/:id/promo-codes',
    {
      summary:
        "The campaign's promo codes with their uses, confirmed bookings and revenue (net of discounts)",
      security: 'session',
      use: sellers,
      params: byCampaign,
      query: listQuery,
      responses: { 200: '{ items }', ...common },
    },
    async ({ params, query }, req, res) => {
      const r = await service.listPromoCodes(actorOf(req), params.id, {
        batchId: query.batchId,
        limit: query.limit ?? 200,
        offset: query.offset ?? 0,
      });
      res.json({ items: r.items.map(promoCodeDto) });
    },
  );

  api.get(
    '/:id/promo-codes.csv',
    {
      summary: "The campaign's promo codes as CSV (batchId: one generated batch)",
      security: 'session',
      use: sellers,
      params: byCampaign,
      query: z.object({ batchId: uuid('not a valid batch id').optional() }),
      responses: { 200: { description: 'CSV', content: { 'text/csv': {} } }, ...common },
    },
    async ({ params, query }, req, res) => {
      const r = await service.listPromoCodes(actorOf(req), params.id, {
        batchId: query.batchId,
        limit: 100_000,
        offset: 0,
      });
      res.set({
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="${r.campaign.slug}-promo-codes.csv"`,
        'Cache-Control': 'no-store',
      });
      res.send(promoCodesCsv(r.items));
    },
  );

  api.post(
    '/:id/promo-codes/:codeId/active',
    {
      summary: 'Switch a promo code on or off (off: refused at reservation; existing bookings keep it)',
      security: 'csrf',
      use: [...sellers, writeLimit],
      params: byCode,
      body: z.strictObject({ active: z.boolean({ error: 'true or false' }) }),
      responses: {
        200: 'The code',
        ...common,
        404: 'CAMPAIGN_NOT_FOUND or PROMO_CODE_NOT_FOUND',
        429: 'RATE_LIMITED',
      },
    },
    async ({ params, body }, req, res) => {
      res.json(
        promoCodeDto(await service.setPromoCodeActive(actorOf(req), params.id, params.codeId, body.active)),
      );
    },
  );

  return api.module();
}
