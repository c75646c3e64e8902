import { Router, type Request, type Response } from 'express';
import { AppError } from '../../shared/errors';
import { signInUrl } from '../../shared/http/authorize';
import type { Platform } from '../../shared/platform';
import { renderPage } from '../../web/views';
import { DEVICE_COOKIE, deviceCsrfToken, roomToken } from './validation.auth';
import { getGateCounts } from './validation.live';
import { resolveScanner, VALIDATION_PREFIX } from './validation.routes';
import type { ValidationService } from './validation.service';

const ONE_YEAR_MS = 365 * 24 * 3_600_000;
const TOKEN_RE = /^[A-Za-z0-9_-]{20,100}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The gate's pages: the enrolment link a phone opens, the scanner page itself
 * (views/validation/gate.eta, data as docs/validation-api.md says) and the seller's gates and
 * devices page.
 */
export function validationPages(platform: Platform, service: ValidationService): Router {
  const { config, clock, prisma } = platform;
  const router = Router();
  const scanner = resolveScanner(platform, service);

  router.get('/gate/enrol/:token', async (req, res) => {
    const token = String(req.params.token);
    // The link is a secret: never kept by a cache or sent on as a referrer.
    res.set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
    try {
      if (!TOKEN_RE.test(token)) throw new Error('malformed');
      const { secret } = await service.enrolDevice(token);
      res.cookie(DEVICE_COOKIE, secret, {
        httpOnly: true,
        sameSite: 'lax',
        secure: config.NODE_ENV === 'production',
        maxAge: ONE_YEAR_MS,
        path: '/',
      });
      res.redirect(303, '/gate');
    } catch {
      res.status(410);
      renderPage(req, res, 'validation/enrol-failed', { title: 'Setup link expired' });
    }
  });

  router.get(
    '/gate',
    (req: Request, res: Response, next) => {
      // A person who is not signed in and has no device cookie is sent to sign in first.
      if (!req.actor && !req.headers.cookie?.includes(`${DEVICE_COOKIE}=`))
        return res.redirect(303, signInUrl(req.originalUrl));
      next();
    },
    scanner,
    async (req, res) => {
      const s = req.scanner!;
      const campaigns = await service.scannableCampaigns(s);
      const csrfToken =
        s.kind === 'device' && !res.locals.csrfToken
          ? deviceCsrfToken(config.SESSION_SECRET, s.device.id)
          : String(res.locals.csrfToken ?? '');
      const gate = {
        mode: s.kind,
        device: s.kind === 'device' ? { id: s.device.id, name: s.device.name } : null,
        user: s.kind === 'user' ? { id: s.actor.userId, name: s.actor.name } : null,
        csrfToken,
        bootstrapUrl: `${VALIDATION_PREFIX}/bootstrap`,
        scanUrl: `${VALIDATION_PREFIX}/scan`,
        revocationsUrl: `${VALIDATION_PREFIX}/campaigns/{campaignId}/revocations`,
        gateId: s.kind === 'device' ? s.device.gateId : null,
        campaigns: campaigns.map((c) => ({ id: c.id, title: c.title, timezone: c.timezone })),
      };
      res.set('Cache-Control', 'private, no-cache');
      renderPage(req, res, 'validation/gate', { title: 'Gate', gate, gateJson: JSON.stringify(gate) });
    },
  );

  router.get('/seller/campaigns/:id/gates', async (req, res) => {
    if (!req.actor) return res.redirect(303, signInUrl(req.originalUrl));
    const id = String(req.params.id);
    if (!UUID_RE.test(id)) throw AppError.notFound('CAMPAIGN_NOT_FOUND', 'No such campaign');
    const campaign = await service.authorizeStaff(req.actor, id.toLowerCase());
    const [gates, devices, counts, conflicts] = await Promise.all([
      service.listGates({ kind: 'user', actor: req.actor }, campaign.id),
      service.listDevices(req.actor, campaign.id),
      getGateCounts(prisma, campaign.id, clock),
      service.listConflicts(req.actor, campaign.id),
    ]);
    renderPage(req, res, 'validation/seller-gates', {
      title: `Gates · ${campaign.title}`,
      campaign: {
        id: campaign.id,
        title: campaign.title,
        status: campaign.status,
        timezone: campaign.timezone,
      },
      gates,
      devices,
      counts,
      conflicts,
      roomToken: roomToken(config.SESSION_SECRET, campaign.id, clock.now()),
    });
  });

  return router;
}
