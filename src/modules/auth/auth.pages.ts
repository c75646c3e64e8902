import { Router, type Request, type RequestHandler, type Response } from 'express';
import { AppError } from '../../shared/errors';
import { actorOf, requireOwnRole, requireRole, requireSignIn } from '../../shared/http/authorize';
import { SESSION_COOKIE, flash } from '../../shared/http/session';
import { parseRequest, type InputLocation, type z } from '../../shared/http/schema';
import type { Platform } from '../../shared/platform';
import { statusLabel } from '../../web/status-labels';
import { sellerCountries } from '../../shared/markets';
import { renderPage } from '../../web/views';
import {
  applyToSell,
  approveSellerApplication,
  listSellerApplications,
  rejectSellerApplication,
} from './auth.applications.service';
import { APPLICATION_STATUSES, BUSINESS_TYPES, sellerOnboardingFor } from './auth.constants';
import { AuthErrors } from './auth.errors';
import type { authLimiters } from './auth.routes';
import type { SellerCampaignLister } from './auth.module';
import { getProfile } from './auth.service';
import {
  assignMemberCampaigns,
  inviteTeamMember,
  listTeamMembers,
  removeTeamMember,
} from './auth.team.service';
import {
  applyBody,
  campaignsBody,
  idParams,
  inviteBody,
  listApplicationsQuery,
  rejectBody,
} from './auth.validators';

/**
 * Server-rendered pages of the auth module. Forms post here (with the session's CSRF token in
 * `_csrf`), run the same validation and services as the JSON API, and answer with a redirect
 * and a flash message; a business refusal (409/422) becomes a message, not an error page.
 */
export function authPages(
  platform: Platform,
  limits: ReturnType<typeof authLimiters>,
  sellerCampaigns: SellerCampaignLister = async () => [],
): Router {
  const router = Router();

  router.get('/profile', requireSignIn(), async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    renderPage(req, res, 'auth/profile', {
      title: 'Your profile',
      profile: await getProfile(platform, actorOf(req)),
      mayApply: sellerOnboardingFor(actorOf(req).roles) !== 'never',
    });
  });

  router.get('/become-seller', requireSignIn(), async (req, res) => {
    const actor = actorOf(req);
    if (actor.roles.includes('SELLER')) {
      flash(req, 'info', 'You are already a seller.');
      return res.redirect(303, '/profile');
    }
    if (sellerOnboardingFor(actor.roles) === 'never') {
      flash(req, 'info', AuthErrors.staffCannotSell().message + '.');
      return res.redirect(303, '/profile');
    }
    const profile = await getProfile(platform, actor);
    renderBecomeSeller(req, res, profile.sellerApplication, {}, {});
  });

  router.post('/become-seller', requireSignIn(), limits.apply, async (req, res) => {
    const { input, errors } = checkForm(req, { body: applyBody });
    if (!input) {
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
      await applyToSell(platform, actorOf(req), input.body);
      return 'Your application was sent. We will review it soon.';
    });
  });

  router.get('/admin/seller-applications', requireRole('SUPER_ADMIN'), async (req, res) => {
    // A bad filter or cursor shows the first page of pending applications.
    const q = checkForm(req, { query: listApplicationsQuery }).input?.query;
    const status = q?.status ?? 'PENDING';
    const page = await listSellerApplications(platform, { status, cursor: q?.cursor, limit: 50 });
    renderPage(req, res, 'auth/admin-applications', {
      title: 'Seller applications',
      page,
      status,
      statuses: APPLICATION_STATUSES,
    });
  });

  router.post('/admin/seller-applications/:id/approve', requireRole('SUPER_ADMIN'), async (req, res) => {
    await formAction(req, res, '/admin/seller-applications', async () => {
      const { params } = requireValid(req, { params: idParams });
      const a = await approveSellerApplication(platform, actorOf(req), params.id);
      return `Approved ${a.businessName}: they can sell now.`;
    });
  });

  router.post('/admin/seller-applications/:id/reject', requireRole('SUPER_ADMIN'), async (req, res) => {
    await formAction(req, res, '/admin/seller-applications', async () => {
      const { params, body } = requireValid(req, { params: idParams, body: rejectBody });
      const a = await rejectSellerApplication(platform, actorOf(req), params.id, body.reason);
      return `Rejected ${a.businessName}.`;
    });
  });

  router.get('/team', requireOwnRole('SELLER'), async (req, res) => {
    const [members, campaigns] = await Promise.all([
      listTeamMembers(platform, actorOf(req)),
      sellerCampaigns(actorOf(req)),
    ]);
    renderPage(req, res, 'auth/team', { title: 'Your team', members, campaigns });
  });

  router.post('/team/members', requireOwnRole('SELLER'), async (req, res) => {
    await formAction(req, res, '/team', async () => {
      const { body } = requireValid(req, { body: inviteBody });
      const m = await inviteTeamMember(platform, actorOf(req), body);
      return `Invited ${m.email} as ${statusLabel('role', m.role).toLowerCase()}.`;
    });
  });

  router.post('/team/members/:id/remove', requireOwnRole('SELLER'), async (req, res) => {
    await formAction(req, res, '/team', async () => {
      const { params } = requireValid(req, { params: idParams });
      await removeTeamMember(platform, actorOf(req), params.id);
      return 'Member removed; their access has ended.';
    });
  });

  router.post('/team/members/:id/campaigns', requireOwnRole('SELLER'), async (req, res) => {
    await formAction(req, res, '/team', async () => {
      // Checkboxes: none ticked sends no field, one sends a string, several an array.
      const body = req.body as Record<string, unknown>;
      if (body.campaignIds === undefined) body.campaignIds = [];
      else if (typeof body.campaignIds === 'string') body.campaignIds = [body.campaignIds];
      const { params, body: input } = requireValid(req, { params: idParams, body: campaignsBody });
      await assignMemberCampaigns(platform, actorOf(req), params.id, input.campaignIds);
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
    countries: sellerCountries(),
  });
}

type Schemas = Partial<Record<InputLocation, z.ZodType>>;
type Parsed<S extends Schemas> = { [K in keyof S]: S[K] extends z.ZodType ? z.output<S[K]> : never };

/** The form's input parsed by the API's schemas, or the first error message per field. */
function checkForm<S extends Schemas>(
  req: Request,
  schemas: S,
): { input?: Parsed<S>; errors: Record<string, string> } {
  try {
    return { input: parseRequest(schemas, req) as Parsed<S>, errors: {} };
  } catch (err) {
    if (!(err instanceof AppError) || err.kind !== 'validation') throw err;
    const errors: Record<string, string> = {};
    for (const d of err.details) errors[d.field ?? ''] ??= d.message;
    if (!err.details.length) errors[''] = err.message;
    return { errors };
  }
}

/** The parsed input, or a 400 naming each bad field (a flash message on a form). */
function requireValid<S extends Schemas>(req: Request, schemas: S): Parsed<S> {
  const { input, errors } = checkForm(req, schemas);
  if (input) return input;
  const entries = Object.entries(errors);
  throw AppError.validation(
    entries.map(([f, m]) => `${f} ${m}`).join('; '),
    entries.map(([field, message]) => ({ field, message })),
  );
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
