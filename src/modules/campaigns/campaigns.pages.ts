import { Router, type Request, type Response } from 'express';
import { AppError } from '../../shared/errors';
import { hasRole, signInUrl, type Actor } from '../../shared/http/authorize';
import { decodeCursor, pageOf } from '../../shared/http/cursor';
import type { Platform } from '../../shared/platform';
import { renderPage } from '../../web/views';
import { campaignDto, ticketTypeDto } from './campaigns.dto';
import type { CampaignsService } from './campaigns.service';
import { CAMPAIGN_KINDS, type CampaignRecord } from './campaigns.types';
import { recordVisit, viewsByDay } from './campaigns.views';
import { publicMediaType } from './campaigns.images';
import type { Storage } from '../../shared/storage';
import { sellerPageHelpers } from './campaigns.page-helpers';

function requireSellerPage(req: Request, res: Response): boolean {
  if (!req.actor) {
    res.redirect(signInUrl(req.originalUrl));
    return false;
  }
  if (!hasRole(req.actor, 'SELLER', 'SUPER_ADMIN'))
    throw AppError.forbidden(
      'FORBIDDEN',
      'Only sellers can manage campaigns. Apply to sell from your profile.',
    );
  return true;
}

const PAGE_SIZE = 24;
const HOME_COUNT = 6;

const isUuid = (s: string) => /^[0-9a-f-]{36}$/i.test(s);

/** What a campaign card shows: lowest visible price, what is left, and whether that is few. */
async function cardsOf(service: CampaignsService, page: CampaignRecord[]) {
  const types = await service.ticketTypesFor(page.map((c) => c.id));
  return page.map((c) => {
    const visible = types.filter((t) => t.campaignId === c.id && !t.hidden);
    const capacity = visible.reduce((n, t) => n + t.capacity, 0);
    const available = visible.reduce((n, t) => n + Math.max(0, t.capacity - t.sold - t.reserved), 0);
    return {
      ...campaignDto(c),
      priceFromMinor: visible.length ? Math.min(...visible.map((t) => t.priceMinor)) : null,
      available,
      fewLeft: available > 0 && available <= Math.max(10, Math.floor(capacity / 10)),
    };
  });
}

/** Public campaign list and page; the seller's dashboard and campaign editor. */
/**
 * A block another module adds to the public campaign page (reviews): the eta partial (a path
 * relative to the campaigns views) and its data, or null to show nothing.
 */
export type CampaignPageSection = (
  viewer: Actor | undefined,
  campaign: CampaignRecord,
) => Promise<{ partial: string; data: Record<string, unknown> } | null>;

/** The venues a seller may create a seated campaign on (the venues module answers; wired in the registry). */
export type VenueChoices = (
  actor: Actor,
) => Promise<Array<{ id: string; name: string; city: string; sectionCount: number }>>;

export function campaignsPages(
  platform: Platform,
  service: CampaignsService,
  storage: Storage,
  sections: CampaignPageSection[] = [],
  venueChoices: VenueChoices = async () => [],
): Router {
  const router = Router();

  router.get('/media/campaigns/:campaignId/:file', async (req, res) => {
    const key = `campaigns/${String(req.params.campaignId)}/${String(req.params.file)}`;
    const type = publicMediaType(key);
    const data = type ? await storage.get(key) : null;
    if (!type || !data) throw AppError.notFound('MEDIA_NOT_FOUND', 'No such image');
    // Keys carry the content hash: the bytes behind a URL never change.
    res.set({
      'Content-Type': type,
      'Cache-Control': 'public, max-age=31536000, immutable',
      'X-Content-Type-Options': 'nosniff',
    });
    res.send(data);
  });
  const { redis, config, clock, prisma } = platform;

  // The home page: what is on sale next, and how to start selling.
  router.get('/', async (req, res) => {
    const rows = await service.browseCampaigns({ sort: 'date', availableOnly: true, limit: HOME_COUNT });
    renderPage(req, res, 'home', { title: 'Tickets', items: await cardsOf(service, rows) });
  });

  router.get('/campaigns', async (req, res) => {
    const q = req.query;
    const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim().slice(0, 100) : undefined);
    const date = (v: unknown) => {
      const s = str(v);
      const d = s ? new Date(s) : undefined;
      return d && !Number.isNaN(d.getTime()) ? d : undefined;
    };
    const kind = str(q.kind);
    const filters = {
      kind: kind && (CAMPAIGN_KINDS as readonly string[]).includes(kind) ? kind : undefined,
      q: str(q.q),
      city: str(q.city),
      from: date(q.from),
      to: date(q.to),
      tag: str(q.tag)?.toLowerCase(),
      availableOnly: q.available === 'true' || q.available === 'on',
      sort: (q.sort === 'newest' ? 'newest' : 'date') as 'date' | 'newest',
    };
    // Keyset pages (src/shared/http/cursor.ts): a bad cursor is a 400 like the API's.
    const cursor = typeof q.cursor === 'string' && q.cursor ? q.cursor.slice(0, 300) : undefined;
    const after = cursor ? decodeCursor(cursor) : undefined;
    const rows = await service.browseCampaigns({
      ...filters,
      limit: PAGE_SIZE + 1,
      after: after && { key: after.at, id: after.id },
    });
    const { items: page, nextCursor } = pageOf(rows, PAGE_SIZE, (c) => ({
      at: filters.sort === 'date' ? c.startsAt : (c.publishedAt ?? c.startsAt),
      id: c.id,
    }));
    const items = await cardsOf(service, page);
    const shown = {
      q: filters.q,
      kind: filters.kind,
      city: filters.city,
      tag: filters.tag,
      from: str(q.from),
      to: str(q.to),
      available: filters.availableOnly || undefined,
      sort: filters.sort === 'newest' ? 'newest' : undefined,
    };
    const query = (extra: Record<string, string | undefined>) => {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries({ ...shown, ...extra }))
        if (v !== undefined && v !== '') p.set(k, String(v));
      const s = p.toString();
      return s ? `/campaigns?${s}` : '/campaigns';
    };
    const filtered = Object.entries(shown).some(([k, v]) => k !== 'sort' && v !== undefined);
    renderPage(req, res, 'campaigns/list', {
      title: 'Events',
      items,
      filters: shown,
      filtered,
      firstPage: !cursor,
      nextUrl: nextCursor ? query({ cursor: nextCursor }) : null,
      firstUrl: query({}),
      kinds: CAMPAIGN_KINDS,
    });
  });

  router.get('/campaigns/:slug', async (req, res) => {
    const code = typeof req.query.code === 'string' ? req.query.code : undefined;
    const { campaign, ticketTypes } = await service.getPublicCampaign(
      String(req.params.slug),
      req.actor,
      code,
    );
    recordVisit(redis, config.REDIS_PREFIX, campaign, req, clock.now());
    renderPage(req, res, 'campaigns/show', {
      title: campaign.title,
      campaign: campaignDto(campaign),
      ticketTypes: ticketTypes.map((t) => ticketTypeDto(t, campaign.currency)),
      accessCode: code ?? '',
      sections: (await Promise.all(sections.map((s) => s(req.actor, campaign)))).filter(Boolean),
    });
  });

  router.get('/seller/campaigns', async (req, res) => {
    if (!requireSellerPage(req, res)) return;
    const rows = await service.listMyCampaigns(req.actor!);
    renderPage(req, res, 'campaigns/seller-list', {
      title: 'My campaigns',
      items: rows.map(campaignDto),
      ...sellerPageHelpers(),
    });
  });

  router.get('/seller/campaigns/new', async (req, res) => {
    if (!requireSellerPage(req, res)) return;
    const venues = (await venueChoices(req.actor!)).filter((v) => v.sectionCount > 0);
    renderPage(req, res, 'campaigns/seller-edit', {
      title: 'New campaign',
      campaign: null,
      ticketTypes: [],
      kinds: CAMPAIGN_KINDS,
      views: [],
      venues: venues.map((v) => ({ id: v.id, name: v.name, city: v.city })),
      seatZones: null,
      ...sellerPageHelpers(),
    });
  });

  router.get('/seller/campaigns/:id', async (req, res) => {
    if (!requireSellerPage(req, res)) return;
    const id = String(req.params.id);
    if (!isUuid(id)) throw AppError.notFound('CAMPAIGN_NOT_FOUND', 'No such campaign');
    const { campaign, ticketTypes } = await service.getManagedCampaign(req.actor!, id);
    const views = await viewsByDay(redis, config.REDIS_PREFIX, prisma, id, clock.now(), campaign.timezone);
    // A seated campaign's price zones, each with the type that sells it (if any): what the
    // ticket type form offers. null: general admission only.
    const map = await service.getCampaignSeatMap(id, req.actor).catch((err: unknown) => {
      if (err instanceof AppError && err.code === 'CAMPAIGN_NOT_SEATED') return null;
      throw err;
    });
    const seatZones = map
      ? map.map.zones.map((z) => ({
          ...z,
          seats: map.map.sections
            .flatMap((sec) => sec.rows.flatMap((r) => r.cells))
            .filter((cell) => cell.kind === 'SEAT' && cell.zone === z.code).length,
          soldBy: ticketTypes.find((t) => t.seatZone === z.code)?.name ?? null,
        }))
      : null;
    renderPage(req, res, 'campaigns/seller-edit', {
      title: `Edit ${campaign.title}`,
      campaign: campaignDto(campaign),
      ticketTypes: ticketTypes.map((t) => ticketTypeDto(t, campaign.currency, { manager: true })),
      kinds: CAMPAIGN_KINDS,
      views,
      venues: [],
      seatZones,
      venueName: map?.map.venueName ?? null,
      // Shown before publishing: the platform fee and when sales money becomes available (the
      // finance module applies these same settings when it posts each payment).
      fees: {
        basisPoints: config.FINANCE_FEE_BPS,
        perTicketMinor: config.FINANCE_FEE_PER_TICKET_MINOR[campaign.currency] ?? 0,
        settlementDelayHours: config.SETTLEMENT_DELAY_HOURS,
      },
      ...sellerPageHelpers(campaign.currency),
    });
  });

  return router;
}
