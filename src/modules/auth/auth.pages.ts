import { Router, type Request, type RequestHandler, type Response } from 'express';
import { validationResult, type ValidationChain } from 'express-validator';
import { AppError } from '../../shared/errors';
import { actorOf, requireOwnRole, requireRole, requireSignIn } from '../../shared/http/authorize';
import { SESSION_COOKIE, flash } from '../../shared/http/session';
import { validated } from '../../shared/http/validate';
import type { Platform } from '../../shared/platform';
import { renderPage } from '../../web/views';
import {
  applyToSell,
  approveSellerApplication,
  listSellerApplications,
  rejectSellerApplication,
  type ApplyToSellInput,
} from './auth.applications.service';
import {
  APPLICATION_STATUSES,
  BUSINESS_TYPES,
  type ApplicationStatus,
  type TeamRole,
} from './auth.constants';
import type { authLimiters } from './auth.routes';
import { getProfile } from './auth.service';
import {
  assignMemberCampaigns,
  inviteTeamMember,
  listTeamMembers,
  removeTeamMember,
} from './auth.team.service';
import {
  applyChains,
  campaignsChains,
  idParam,
  inviteChains,
  listApplicationsChains,
  rejectChains,
} from './auth.validators';

/**
 * Server-rendered pages of the auth module. Forms post here (with the session's CSRF token in
 * `_csrf`), run the same validation and services as the JSON API, and answer with a redirect
 * and a flash message; a business refusal (409/422) becomes a message, not an error page.
 */
export function authPages(platform: Platform, limits: ReturnType<typeof authLimiters>): Router {
  const router = Router();

  router.get('/profile', requireSignIn(), async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    renderPage(req, res, 'auth/profile', {
      title: 'Your profile',
      profile: await getProfile(platform, actorOf(req)),
    });
  });

  router.get('/become-seller', requireSignIn(), async (req, res) => {
    const actor = actorOf(req);
    if (actor.roles.includes('SELLER')) {
      flash(req, 'info', 'You are already a seller.');
      return res.redirect(303, '/profile');
    }
    const profile = await getProfile(platform, actor);
    renderBecomeSeller(req, res, profile.sellerApplication, {}, {});
  });

  router.post('/become-seller', requireSignIn(), limits.apply, async (req, res) => {
    const errors = await checkForm(req, applyChains);
    if (Object.keys(errors).length) {
      const profile = await getProfile(platform, actorOf(req));
      res.status(400);
      return renderBecomeSeller(
        req,
        res,
        profile.sellerApplication,
        req.body as Record<string, string>,
        errors,
      );
    }
    await formAction(req, res, '/profile', async () => {
      await applyToSell(platform, actorOf(req), validated<ApplyToSellInput & Record<string, unknown>>(req));
      return 'Your application was sent. We will review it soon.';
    });
  });

  router.get('/admin/seller-applications', requireRole('SUPER_ADMIN'), async (req, res) => {
    await checkForm(req, listApplicationsChains);
    const q = validated<{ status?: ApplicationStatus; cursor?: string }>(req);
    const status = q.status ?? 'PENDING';
    const page = await listSellerApplications(platform, { status, cursor: q.cursor, limit: 50 });
    renderPage(req, res, 'auth/admin-applications', {
      title: 'Seller applications',
      page,
      status,
      statuses: APPLICATION_STATUSES,
    });
  });

  router.post('/admin/seller-applications/:id/approve', requireRole('SUPER_ADMIN'), async (req, res) => {
    await formAction(req, res, '/admin/seller-applications', async () => {
      await requireValid(req, [idParam]);
      const a = await approveSellerApplication(platform, actorOf(req), validated<{ id: string }>(req).id);
      return `Approved ${a.businessName}: they can sell now.`;
    });
  });

  router.post('/admin/seller-applications/:id/reject', requireRole('SUPER_ADMIN'), async (req, res) => {
    await formAction(req, res, '/admin/seller-applications', async () => {
      await requireValid(req, rejectChains);
      const { id, reason } = validated<{ id: string; reason: string }>(req);
      const a = await rejectSellerApplication(platform, actorOf(req), id, reason);
      return `Rejected ${a.businessName}.`;
    });
  });

  router.get('/team', requireOwnRole('SELLER'), async (req, res) => {
    const members = await listTeamMembers(platform, actorOf(req));
    renderPage(req, res, 'auth/team', { title: 'Your team', members });
  });

  router.post('/team/members', requireOwnRole('SELLER'), async (req, res) => {
    await formAction(req, res, '/team', async () => {
      await requireValid(req, inviteChains);
      const m = await inviteTeamMember(
        platform,
        actorOf(req),
        validated<{ email: string; role: TeamRole }>(req),
      );
      return `Invited ${m.email} as ${m.role}.`;
    });
  });

  router.post('/team/members/:id/remove', requireOwnRole('SELLER'), async (req, res) => {
    await formAction(req, res, '/team', async () => {
      await requireValid(req, [idParam]);
      await removeTeamMember(platform, actorOf(req), validated<{ id: string }>(req).id);
      return 'Member removed; their access has ended.';
    });
  });

  router.post('/team/members/:id/campaigns', requireOwnRole('SELLER'), async (req, res) => {
    await formAction(req, res, '/team', async () => {
      const body = req.body as Record<string, unknown>;
      const text = typeof body.campaignIds === 'string' ? body.campaignIds : '';
      body.campaignIds = text.split(/[\s,]+/).filter(Boolean);
      await requireValid(req, campaignsChains);
      const { id, campaignIds } = validated<{ id: string; campaignIds: string[] }>(req);
      await assignMemberCampaigns(platform, actorOf(req), id, campaignIds);
      return 'Campaigns saved.';
    });
  });

  router.post('/sign-out', signOut(platform));

  return router;
}

function signOut(platform: Platform): RequestHandler {
  return (req, res, next) => {
    req.session.destroy((err) => {
      if (err) return next(err);
      res.clearCookie(SESSION_COOKIE, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: platform.config.NODE_ENV === 'production',
      });
      res.redirect(303, '/');
    });
  };
}

function renderBecomeSeller(
  req: Request,
  res: Response,
  application: unknown,
  values: Record<string, string>,
  errors: Record<string, string>,
): void {
  renderPage(req, res, 'auth/become-seller', {
    title: 'Become a seller',
    application,
    values,
    errors,
    businessTypes: BUSINESS_TYPES,
  });
}

/** Runs the chains; returns the first error message per field (empty when valid). */
async function checkForm(req: Request, chains: ValidationChain[]): Promise<Record<string, string>> {
  for (const chain of chains) await chain.run(req);
  const errors: Record<string, string> = {};
  for (const e of validationResult(req).array({ onlyFirstError: true })) {
    if (e.type === 'field') errors[e.path] ??= String(e.msg);
  }
  return errors;
}

async function requireValid(req: Request, chains: ValidationChain[]): Promise<void> {
  const errors = await checkForm(req, chains);
  const entries = Object.entries(errors);
  if (entries.length) {
    throw AppError.validation(
      entries.map(([f, m]) => `${f} ${m}`).join('; '),
      entries.map(([field, message]) => ({ field, message })),
    );
  }
}

/** Runs a form's action; success or a refusal (400/404/409/422) becomes a flash message and a redirect. */
async function formAction(
  req: Request,
  res: Response,
  back: string,
  action: () => Promise<string>,
): Promise<void> {
  try {
    flash(req, 'success', await action());
  } catch (err) {
    // Authorization failures keep their error page; only business refusals become a message.
    if (!(err instanceof AppError) || err.status >= 500 || err.status === 401 || err.status === 403)
      throw err;
    flash(req, 'error', err.message);
  }
  res.redirect(303, back);
}
