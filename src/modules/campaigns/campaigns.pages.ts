import { Router, type Request, type Response } from 'express';
import { AppError } from '../../shared/errors';
import { hasRole, signInUrl } from '../../shared/http/authorize';
import type { Platform } from '../../shared/platform';
import { renderPage } from '../../web/views';
import { campaignDto, ticketTypeDto } from './campaigns.dto';
import type { CampaignsService } from './campaigns.service';
import { CAMPAIGN_KINDS } from './campaigns.types';
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

const isUuid = (s: string) => /^[0-9a-f-]{36}$/i.test(s);

/** Public campaign list and page; the seller's dashboard and campaign editor. */
export function campaignsPages(platform: Platform, service: CampaignsService, storage: Storage): Router {
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
    const rows = await service.browseCampaigns({ ...filters, limit: 60 });
    const types = await service.ticketTypesFor(rows.map((c) => c.id));
    const items = rows.map((c) => {
      const visible = types.filter((t) => t.campaignId === c.id && !t.hidden);
      return {
        ...campaignDto(c),
        priceFromMinor: visible.length ? Math.min(...visible.map((t) => t.priceMinor)) : null,
        available: visible.reduce((n, t) => n + t.capacity - t.sold - t.reserved, 0),
      };
    });
    renderPage(req, res, 'campaigns/list', {
      title: 'Events',
      items,
      filters: { ...q },
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
    recordVisit(redis, config.REDIS_PREFIX, campaign.id, req, clock.now());
    renderPage(req, res, 'campaigns/show', {
      title: campaign.title,
      campaign: campaignDto(campaign),
      ticketTypes: ticketTypes.map((t) => ticketTypeDto(t, campaign.currency)),
      accessCode: code ?? '',
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

  router.get('/seller/campaigns/new', (req, res) => {
    if (!requireSellerPage(req, res)) return;
    renderPage(req, res, 'campaigns/seller-edit', {
      title: 'New campaign',
      campaign: null,
      ticketTypes: [],
      kinds: CAMPAIGN_KINDS,
      views: [],
      ...sellerPageHelpers(),
    });
  });

  router.get('/seller/campaigns/:id', async (req, res) => {
    if (!requireSellerPage(req, res)) return;
    const id = String(req.params.id);
    if (!isUuid(id)) throw AppError.notFound('CAMPAIGN_NOT_FOUND', 'No such campaign');
    const { campaign, ticketTypes } = await service.getManagedCampaign(req.actor!, id);
    const views = await viewsByDay(redis, config.REDIS_PREFIX, prisma, id, clock.now());
    renderPage(req, res, 'campaigns/seller-edit', {
      title: `Edit ${campaign.title}`,
      campaign: campaignDto(campaign),
      ticketTypes: ticketTypes.map((t) => ticketTypeDto(t, campaign.currency, { manager: true })),
      kinds: CAMPAIGN_KINDS,
      views,
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
