import { Router, type Request, type RequestHandler } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import { actorOf, requireOwnRole, requireRole, requireSignIn } from '../../shared/http/authorize';
import { defineApi } from '../../shared/http/api';
import { ensureCsrfToken } from '../../shared/http/csrf';
import type { ApiModule } from '../../shared/http/openapi';
import { createRateLimit } from '../../shared/http/rate-limit';
import { text, z } from '../../shared/http/schema';
import { SESSION_COOKIE } from '../../shared/http/session';
import type { Platform } from '../../shared/platform';
import {
  ADMIN_APPLICATIONS_PREFIX,
  APPLICATION_STATUSES,
  AUTH_PREFIX,
  BUSINESS_TYPES,
  TEAM_PREFIX,
  TEAM_ROLES,
} from './auth.constants';
import {
  applyToSell,
  approveSellerApplication,
  listSellerApplications,
  rejectSellerApplication,
} from './auth.applications.service';
import type { createPassport } from './auth.passport';
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
  signInQuery,
} from './auth.validators';

type AuthPassport = ReturnType<typeof createPassport>;

/** Rate limiters of the auth routes: sign-in per client IP, applications per user. */
export function authLimiters(platform: Platform): { signIn: RequestHandler; apply: RequestHandler } {
  const { config, redis } = platform;
  return {
    signIn: createRateLimit(redis, config.REDIS_PREFIX, {
      name: 'sign-in',
      windowMs: config.SIGN_IN_RATE_LIMIT_WINDOW_MS,
      limit: config.SIGN_IN_RATE_LIMIT_MAX,
      key: (req) => `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`,
    }),
    apply: createRateLimit(redis, config.REDIS_PREFIX, {
      name: 'apply-seller',
      windowMs: config.APPLY_RATE_LIMIT_WINDOW_MS,
      limit: config.APPLY_RATE_LIMIT_MAX,
      key: (req: Request) =>
        req.actor ? `u:${req.actor.userId}` : `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`,
    }),
  };
}

/** /api/v1/auth: sign-in, session, CSRF token, profile and the seller application. */
export function authApi(
  platform: Platform,
  auth: AuthPassport,
  limits: ReturnType<typeof authLimiters>,
): ApiModule {
  const api = defineApi({ name: 'auth', prefix: AUTH_PREFIX, tags: ['auth'] });

  api.get(
    '/google',
    {
      summary: 'Start Google sign-in (redirects to the provider)',
      description:
        'Redirects (302) to Google, or to the local OpenID provider when no Google client is configured. ' +
        'With `login_hint` the local provider approves at once, so scripts can sign in with plain redirects. ' +
        'Rate-limited per client IP.',
      use: [limits.signIn],
      query: signInQuery,
      responses: { 302: 'Redirect to the provider', 400: e400, 429: e429 },
    },
    (_input, req, res, next) => auth.start(req, res, next),
  );
  api.get(
    '/google/callback',
    {
      summary: 'OAuth callback: signs in on a new session and redirects to returnTo',
      description:
        'Verifies state and PKCE, exchanges the code, reads userinfo, upserts the user by Google subject id and regenerates the session id. ' +
        'An unverified email, a denied consent or a bad state redirects to `/?signInError=CODE` with no session user.',
      use: [limits.signIn],
      query: z.object({ code: text({ max: 2048 }).optional(), state: text({ max: 2048 }).optional() }),
      responses: { 303: 'Signed in (to returnTo) or refused (to /?signInError=...)', 429: e429 },
    },
    (_input, req, res, next) => auth.callback(req, res, next),
  );

  api.post(
    '/logout',
    {
      summary: 'Sign out: destroys the session',
      security: 'csrf',
      responses: { 204: 'Signed out; the old cookie is worthless', 403: e403 },
    },
    (_input, req, res, next) => {
      req.session.destroy((err) => {
        if (err) return next(err);
        res.clearCookie(SESSION_COOKIE, {
          path: '/',
          httpOnly: true,
          sameSite: 'lax',
          secure: platform.config.NODE_ENV === 'production',
        });
        res.status(204).end();
      });
    },
  );

  api.get(
    '/csrf',
    {
      summary: "The session's CSRF token, for the X-CSRF-Token header",
      responses: {
        200: {
          description: 'The token',
          schema: { type: 'object', properties: { csrfToken: { type: 'string' } }, required: ['csrfToken'] },
        },
      },
    },
    (_input, req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      res.json({ csrfToken: ensureCsrfToken(req) });
    },
  );

  api.get(
    '/profile',
    {
      summary: 'The signed-in user, roles, team memberships and seller application',
      security: 'session',
      use: [requireSignIn()],
      responses: { 200: { description: 'The profile', schema: profileSchema }, 401: e401 },
    },
    async (_input, req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      res.json(await getProfile(platform, actorOf(req)));
    },
  );

  api.post(
    '/apply-seller',
    {
      summary: 'Apply to become a seller (one open application per user)',
      security: 'csrf',
      use: [requireSignIn(), limits.apply],
      body: applyBody,
      responses: {
        201: { description: 'The PENDING application', schema: applicationSchema },
        400: e400,
        401: e401,
        403: 'Missing/invalid CSRF token (CSRF_INVALID), or platform staff (admins, platform finance), who do not sell (PLATFORM_STAFF_CANNOT_SELL)',
        409: 'An application is already open (APPLICATION_ALREADY_OPEN) or already a seller (ALREADY_SELLER)',
        429: e429,
      },
    },
    async ({ body }, req, res) => {
      res.status(201).json(await applyToSell(platform, actorOf(req), body));
    },
  );

  return api.module();
}

/** /api/v1/admin/seller-applications: the admin queue and decisions (SUPER_ADMIN only). */
export function adminApplicationsApi(platform: Platform): ApiModule {
  const router = Router();
  router.use(requireRole('SUPER_ADMIN'));
  const api = defineApi({
    name: 'admin-seller-applications',
    prefix: ADMIN_APPLICATIONS_PREFIX,
    tags: ['admin'],
    router,
  });
  const decided = (description: string) => ({
    200: { description, schema: applicationSchema },
    400: e400,
    401: e401,
    403: e403,
    404: 'No such application (APPLICATION_NOT_FOUND)',
    409: 'Already decided (APPLICATION_ALREADY_DECIDED)',
  });

  api.get(
    '/',
    {
      summary: 'Seller applications, oldest first (SUPER_ADMIN)',
      security: 'session',
      query: listApplicationsQuery,
      responses: {
        200: { description: 'A page of applications', schema: applicationPageSchema },
        400: e400,
        401: e401,
        403: e403,
      },
    },
    async ({ query }, _req, res) => {
      res.json(await listSellerApplications(platform, query));
    },
  );

  api.post(
    '/:id/approve',
    {
      summary: 'Approve: grants SELLER, emits seller.approved, audited (SUPER_ADMIN)',
      security: 'csrf',
      params: idParams,
      responses: decided('The APPROVED application'),
    },
    async ({ params }, req, res) => {
      res.json(await approveSellerApplication(platform, actorOf(req), params.id));
    },
  );

  api.post(
    '/:id/reject',
    {
      summary: 'Reject with a reason the applicant sees; audited (SUPER_ADMIN)',
      security: 'csrf',
      params: idParams,
      body: rejectBody,
      responses: decided('The REJECTED application'),
    },
    async ({ params, body }, req, res) => {
      res.json(await rejectSellerApplication(platform, actorOf(req), params.id, body.reason));
    },
  );

  return api.module();
}

/** /api/v1/team: the signed-in seller's team. */
export function teamApi(platform: Platform): ApiModule {
  const router = Router();
  router.use(requireOwnRole('SELLER'));
  const api = defineApi({ name: 'team', prefix: TEAM_PREFIX, tags: ['team'], router });
  const memberNotFound = 'Not a member of your team (MEMBER_NOT_FOUND)';

  api.get(
    '/members',
    {
      summary: "The seller's team members and open invitations (SELLER)",
      security: 'session',
      responses: {
        200: {
          description: 'The team',
          schema: {
            type: 'object',
            properties: { items: { type: 'array', items: memberSchema }, nextCursor: { type: 'null' } },
          },
        },
        401: e401,
        403: 'Not a seller (FORBIDDEN, NOT_A_SELLER)',
      },
    },
    async (_input, req, res) => {
      res.json({ items: await listTeamMembers(platform, actorOf(req)), nextCursor: null });
    },
  );

  api.post(
    '/members',
    {
      summary: 'Invite a person by email as MANAGER (gate scanning) or FINANCE (payouts) (SELLER)',
      security: 'csrf',
      body: inviteBody,
      responses: {
        201: {
          description: 'The invitation (accepted when that person signs in with that email)',
          schema: memberSchema,
        },
        400: e400,
        401: e401,
        403: e403,
        409: 'Already in the team with that role (MEMBER_EXISTS)',
        422: 'Cannot add yourself (CANNOT_ADD_SELF)',
      },
    },
    async ({ body }, req, res) => {
      res.status(201).json(await inviteTeamMember(platform, actorOf(req), body));
    },
  );

  api.delete(
    '/members/:id',
    {
      summary: 'Remove a member or withdraw an invitation; their rights end at their next request (SELLER)',
      security: 'csrf',
      params: idParams,
      responses: { 204: 'Removed', 400: e400, 401: e401, 403: e403, 404: memberNotFound },
    },
    async ({ params }, req, res) => {
      await removeTeamMember(platform, actorOf(req), params.id);
      res.status(204).end();
    },
  );

  api.post(
    '/members/:id/campaigns',
    {
      summary: 'Set the campaigns a gate manager may scan for (replaces the list) (SELLER)',
      security: 'csrf',
      params: idParams,
      body: campaignsBody,
      responses: {
        200: { description: 'The member with its campaigns', schema: memberSchema },
        400: e400,
        401: e401,
        403: e403,
        404: memberNotFound,
        422: 'Only MANAGER members get campaigns (NOT_A_MANAGER)',
      },
    },
    async ({ params, body }, req, res) => {
      res.json(await assignMemberCampaigns(platform, actorOf(req), params.id, body.campaignIds));
    },
  );

  return api.module();
}

// ---------------------------------------------------------------- OpenAPI

const e400 = 'Validation failed (VALIDATION_FAILED), with one detail per field';
const e401 = 'Not signed in (UNAUTHENTICATED)';
const e403 = 'Role does not allow this (FORBIDDEN) or missing/invalid CSRF token (CSRF_INVALID)';
const e429 = 'Too many requests (RATE_LIMITED)';

const dateTime = { type: 'string', format: 'date-time' };
const nullable = (schema: object) => ({ anyOf: [schema, { type: 'null' }] });

const applicationSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    userId: { type: 'string', format: 'uuid' },
    businessName: { type: 'string' },
    businessType: { type: 'string', enum: [...BUSINESS_TYPES] },
    contactPhone: { type: 'string', examples: ['+256700123456'] },
    country: { type: 'string', examples: ['UG'] },
    description: { type: 'string' },
    status: { type: 'string', enum: [...APPLICATION_STATUSES] },
    rejectionReason: nullable({ type: 'string' }),
    decidedBy: nullable({ type: 'string', format: 'uuid' }),
    decidedAt: nullable(dateTime),
    createdAt: dateTime,
    updatedAt: dateTime,
  },
};

const memberSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    email: { type: 'string', format: 'email' },
    role: { type: 'string', enum: [...TEAM_ROLES] },
    status: {
      type: 'string',
      enum: ['INVITED', 'ACTIVE'],
      description: 'INVITED until the person signs in with this email',
    },
    userId: nullable({ type: 'string', format: 'uuid' }),
    name: nullable({ type: 'string' }),
    campaignIds: { type: 'array', items: { type: 'string' } },
    invitedAt: dateTime,
    acceptedAt: nullable(dateTime),
  },
};

const membershipSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    sellerId: { type: 'string', format: 'uuid' },
    sellerName: { type: 'string' },
    role: { type: 'string', enum: [...TEAM_ROLES] },
    status: { type: 'string', enum: ['INVITED', 'ACTIVE'] },
    campaignIds: { type: 'array', items: { type: 'string' } },
    createdAt: dateTime,
    acceptedAt: nullable(dateTime),
  },
};

const profileSchema = {
  type: 'object',
  properties: {
    user: {
      type: 'object',
      properties: {
        id: { type: 'string', format: 'uuid' },
        email: { type: 'string' },
        name: { type: 'string' },
        pictureUrl: nullable({ type: 'string' }),
        createdAt: dateTime,
      },
    },
    roles: {
      type: 'array',
      items: {
        type: 'string',
        enum: ['CUSTOMER', 'SELLER', 'MANAGER', 'FINANCE', 'PLATFORM_FINANCE', 'SUPER_ADMIN'],
      },
    },
    memberships: { type: 'array', items: membershipSchema },
    pendingInvitations: {
      type: 'array',
      items: membershipSchema,
      description: 'Accepted at the next sign-in with this email',
    },
    sellerApplication: nullable({
      type: 'object',
      properties: {
        id: { type: 'string' },
        status: { type: 'string', enum: [...APPLICATION_STATUSES] },
        businessName: { type: 'string' },
        businessType: { type: 'string' },
        rejectionReason: nullable({ type: 'string' }),
        createdAt: dateTime,
        decidedAt: nullable(dateTime),
      },
    }),
  },
};

const applicationPageSchema = {
  type: 'object',
  properties: {
    items: {
      type: 'array',
      items: {
        allOf: [
          applicationSchema,
          {
            type: 'object',
            properties: {
              applicant: {
                type: 'object',
                properties: {
                  id: { type: 'string' },
                  email: { type: 'string' },
                  name: { type: 'string' },
                },
              },
            },
          },
        ],
      },
    },
    nextCursor: nullable({ type: 'string' }),
  },
};
