import { Router, type Request, type Response } from 'express';
import { AppError } from '../../shared/errors';
import { hasRole, signInUrl } from '../../shared/http/authorize';
import { flash } from '../../shared/http/session';
import { parseInput, uuid, z } from '../../shared/http/schema';
import { MoneyInputError, parseMoneyInput } from '../../shared/money';
import { formatZoned, zonedToUtc } from '../../shared/zoned-time';
import { createRateLimit } from '../../shared/http/rate-limit';
import type { Platform } from '../../shared/platform';
import { renderPage } from '../../web/views';
import { promoCodesCsv } from './promotions.routes';
import type { PromotionsService } from './promotions.service';
import type { PromoCodeInput } from './promotions.types';

const byCampaign = z.object({ id: uuid('not a valid id') });
const byCode = z.object({ id: uuid('not a valid id'), codeId: uuid('not a valid id') });
const CODE = /^[A-Za-z0-9_-]{3,32}$/;

/** The form's fields as the browser sends them (strings; arrays when several boxes are ticked). */
const formBody = z.object({
  mode: z.enum(['one', 'batch']),
  code: z.string().max(32).optional(),
  count: z.string().max(5).optional(),
  prefix: z.string().max(12).optional(),
  kind: z.enum(['PERCENT', 'FIXED']),
  value: z.string().max(20),
  ticketTypeIds: z.union([uuid(), z.array(uuid()).max(50)]).optional(),
  unlocksTicketTypeIds: z.union([uuid(), z.array(uuid()).max(50)]).optional(),
  validFrom: z.string().max(20).optional(),
  validUntil: z.string().max(20).optional(),
  maxUses: z.string().max(9).optional(),
  maxUsesPerBuyer: z.string().max(5).optional(),
});

const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
/** The form's labels, for messages that name what the seller sees (never a field name). */
const LABELS: Record<string, string> = {
  value: 'The value',
  count: 'How many',
  maxUses: 'Uses in all',
  maxUsesPerBuyer: 'Per buyer',
  validFrom: 'Valid from',
  validUntil: 'Valid until',
};
const optionalInt = (v: string | undefined, field: string, min: number, max: number) => {
  if (!v?.trim()) return null;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw AppError.validation(`${LABELS[field] ?? field}: a whole number from ${min} to ${max}`, [
      { field, message: 'out of range' },
    ]);
  return n;
};
/** A datetime-local value, typed as a wall time in the campaign's zone (as the page shows times). */
const zonedInput = (v: string | undefined, field: string, timeZone: string) => {
  if (!v?.trim()) return null;
  try {
    return zonedToUtc(v, timeZone);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw AppError.validation(`${LABELS[field] ?? field}: a date and time`, [
      { field, message: 'not a date and time' },
    ]);
  }
};

const amountOf = (v: string, currency: string) => {
  try {
    return parseMoneyInput(v, currency);
  } catch (err) {
    if (err instanceof MoneyInputError)
      throw AppError.validation(err.message, [{ field: 'value', message: err.code }]);
    throw err;
  }
};

function requireSellerPage(req: Request, res: Response): boolean {
  if (!req.actor) {
    res.redirect(signInUrl(req.originalUrl));
    return false;
  }
  if (!hasRole(req.actor, 'SELLER', 'SUPER_ADMIN'))
    throw AppError.forbidden('FORBIDDEN', 'Only sellers manage promo codes.');
  return true;
}

/** The seller's promo codes page: the codes with uses and revenue, a form for one code or a batch, CSV. */
export function promotionsPages(platform: Platform, service: PromotionsService): Router {
  const router = Router();
  const { redis, config } = platform;
  // The same per-seller budget as the API's promo writes (one counter).
  const writeLimit = createRateLimit(redis, config.REDIS_PREFIX, {
    name: 'promotions',
    windowMs: 60_000,
    limit: 60,
    key: (req) => `u:${req.actor?.userId ?? 'anonymous'}`,
  });

  router.get('/seller/campaigns/:id/promo-codes', async (req, res) => {
    if (!requireSellerPage(req, res)) return;
    const { id } = parseInput('params', byCampaign, req.params);
    const r = await service.listPromoCodes(req.actor!, id, { limit: 500, offset: 0 });
    const zone = r.campaign.timezone;
    const names = new Map(r.ticketTypes.map((t) => [t.id, t.name]));
    renderPage(req, res, 'promotions/list', {
      title: `Promo codes · ${r.campaign.title}`,
      campaign: { id: r.campaign.id, title: r.campaign.title, currency: r.campaign.currency, timezone: zone },
      ticketTypes: r.ticketTypes.map((t) => ({ id: t.id, name: t.name, hidden: t.hidden })),
      items: r.items,
      typeNames: (ids: string[]) =>
        ids.length ? ids.map((t) => names.get(t) ?? '?').join(', ') : 'All types',
      when: (d: Date | null) => (d ? formatZoned(d, zone) : ''),
      batchId: typeof req.query.batch === 'string' ? req.query.batch : '',
    });
  });

  router.post('/seller/campaigns/:id/promo-codes', writeLimit, async (req, res) => {
    if (!requireSellerPage(req, res)) return;
    const { id } = parseInput('params', byCampaign, req.params);
    const back = `/seller/campaigns/${id}/promo-codes`;
    try {
      const f = parseInput('body', formBody, req.body ?? {});
      const { campaign } = await service.listPromoCodes(req.actor!, id, { limit: 1, offset: 0 });
      const value = f.value.trim();
      const input: PromoCodeInput = {
        kind: f.kind,
        ...(f.kind === 'PERCENT'
          ? { percentOff: optionalInt(value, 'value', 0, 100) ?? 0 }
          : { amountOffMinor: amountOf(value, campaign.currency) }),
        ticketTypeIds: list(f.ticketTypeIds),
        unlocksTicketTypeIds: list(f.unlocksTicketTypeIds),
        validFrom: zonedInput(f.validFrom, 'validFrom', campaign.timezone),
        validUntil: zonedInput(f.validUntil, 'validUntil', campaign.timezone),
      };
      if (input.kind === 'FIXED' && !(input.amountOffMinor! > 0))
        throw AppError.validation('The amount off must be more than zero', [
          { field: 'value', message: 'must be positive' },
        ]);
      if (f.mode === 'one') {
        const code = (f.code ?? '').trim();
        if (!CODE.test(code))
          throw AppError.validation('The code: 3 to 32 letters, digits, - or _', [
            { field: 'code', message: 'bad code' },
          ]);
        const made = await service.createPromoCode(req.actor!, id, {
          ...input,
          code,
          maxUses: optionalInt(f.maxUses, 'maxUses', 1, 10_000_000),
          maxUsesPerBuyer: optionalInt(f.maxUsesPerBuyer, 'maxUsesPerBuyer', 1, 1000),
        });
        flash(req, 'success', `Code ${made.code} created.`);
        return res.redirect(303, back);
      }
      const count = optionalInt(f.count, 'count', 1, 1000);
      if (!count)
        throw AppError.validation('How many codes: 1 to 1000', [{ field: 'count', message: 'required' }]);
      const prefix = f.prefix?.trim();
      if (prefix && !/^[A-Za-z0-9_-]{1,12}$/.test(prefix))
        throw AppError.validation('The prefix: up to 12 letters, digits, - or _', [
          { field: 'prefix', message: 'bad prefix' },
        ]);
      const batch = await service.generatePromoCodes(req.actor!, id, {
        ...input,
        count,
        prefix: prefix || undefined,
      });
      flash(req, 'success', `${batch.codes.length} single-use codes generated.`);
      return res.redirect(303, `${back}?batch=${batch.batchId}`);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500 || err.status === 401 || err.status === 403)
        throw err;
      flash(req, 'error', err.message);
      return res.redirect(303, back);
    }
  });

  router.post('/seller/campaigns/:id/promo-codes/:codeId/active', writeLimit, async (req, res) => {
    if (!requireSellerPage(req, res)) return;
    const { id, codeId } = parseInput('params', byCode, req.params);
    const active = (req.body as { active?: unknown } | undefined)?.active === 'true';
    const code = await service.setPromoCodeActive(req.actor!, id, codeId, active);
    flash(req, 'success', `Code ${code.code} is ${code.active ? 'on' : 'off'}.`);
    res.redirect(303, `/seller/campaigns/${id}/promo-codes`);
  });

  router.get('/seller/campaigns/:id/promo-codes.csv', async (req, res) => {
    if (!requireSellerPage(req, res)) return;
    const { id } = parseInput('params', byCampaign, req.params);
    const batch =
      typeof req.query.batch === 'string' ? parseInput('query', uuid(), req.query.batch) : undefined;
    const r = await service.listPromoCodes(req.actor!, id, { batchId: batch, limit: 100_000, offset: 0 });
    res.set({
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${r.campaign.slug}-promo-codes.csv"`,
      'Cache-Control': 'no-store',
    });
    res.send(promoCodesCsv(r.items));
  });

  return router;
}
