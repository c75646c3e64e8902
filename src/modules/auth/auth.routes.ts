import { Router, type Request, type RequestHandler } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import { actorOf, requireOwnRole, requireRole, requireSignIn } from '../../shared/http/authorize';
import { ensureCsrfToken } from '../../shared/http/csrf';
import { errorResponse, type ApiModule, type OpenApiPaths } from '../../shared/http/openapi';
import { createRateLimit } from '../../shared/http/rate-limit';
import { SESSION_COOKIE } from '../../shared/http/session';
import { validate, validated } from '../../shared/http/validate';
import type { Platform } from '../../shared/platform';
import {
  ADMIN_APPLICATIONS_PREFIX,
  APPLICATION_STATUSES,
  AUTH_PREFIX,
  BUSINESS_TYPES,
  TEAM_PREFIX,
  TEAM_ROLES,
  type ApplicationStatus,
  type TeamRole,
} from './auth.constants';
import {
  applyToSell,
  approveSellerApplication,
  listSellerApplications,
  rejectSellerApplication,
  type ApplyToSellInput,
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
  applyChains,
  campaignsChains,
  idParam,
  inviteChains,
  listApplicationsChains,
  rejectChains,
  signInChains,
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
  const router = Router();

  router.get('/google', limits.signIn, validate(...signInChains), auth.start);
  router.get('/google/callback', limits.signIn, auth.callback);

  router.post('/logout', (req, res, next) => {
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
  });

  router.get('/csrf', (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ csrfToken: ensureCsrfToken(req) });
  });

  router.get('/profile', requireSignIn(), async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(await getProfile(platform, actorOf(req)));
  });

  router.post('/apply-seller', requireSignIn(), limits.apply, validate(...applyChains), async (req, res) => {
    res
      .status(201)
      .json(
        await applyToSell(platform, actorOf(req), validated<ApplyToSellInput & Record<string, unknown>>(req)),
      );
  });

  return { name: 'auth', prefix: AUTH_PREFIX, router, paths: authPaths };
}

/** /api/v1/admin/seller-applications: the admin queue and decisions (SUPER_ADMIN only). */
export function adminApplicationsApi(platform: Platform): ApiModule {
  const router = Router();
  router.use(requireRole('SUPER_ADMIN'));

  router.get('/', validate(...listApplicationsChains), async (req, res) => {
    const q = validated<{ status?: ApplicationStatus; cursor?: string; limit?: number }>(req);
    res.json(await listSellerApplications(platform, q));
  });

  router.post('/:id/approve', validate(idParam), async (req, res) => {
    res.json(await approveSellerApplication(platform, actorOf(req), validated<{ id: string }>(req).id));
  });

  router.post('/:id/reject', validate(...rejectChains), async (req, res) => {
    const { id, reason } = validated<{ id: string; reason: string }>(req);
    res.json(await rejectSellerApplication(platform, actorOf(req), id, reason));
  });

  return { name: 'admin-seller-applications', prefix: ADMIN_APPLICATIONS_PREFIX, router, paths: adminPaths };
}

/** /api/v1/team: the signed-in seller's team. */
export function teamApi(platform: Platform): ApiModule {
  const router = Router();
  router.use(requireOwnRole('SELLER'));

  router.get('/members', async (req, res) => {
    res.json({ items: await listTeamMembers(platform, actorOf(req)), nextCursor: null });
  });

  router.post('/members', validate(...inviteChains), async (req, res) => {
    res
      .status(201)
      .json(
        await inviteTeamMember(platform, actorOf(req), validated<{ email: string; role: TeamRole }>(req)),
      );
  });

  router.delete('/members/:id', validate(idParam), async (req, res) => {
    await removeTeamMember(platform, actorOf(req), validated<{ id: string }>(req).id);
    res.status(204).end();
  });

  router.post('/members/:id/campaigns', validate(...campaignsChains), async (req, res) => {
    const { id, campaignIds } = validated<{ id: string; campaignIds: string[] }>(req);
    res.json(await assignMemberCampaigns(platform, actorOf(req), id, campaignIds));
  });

  return { name: 'team', prefix: TEAM_PREFIX, router, paths: teamPaths };
}

// ---------------------------------------------------------------- OpenAPI

const cookieAuth = [{ session: [] }];
const cookieAndCsrf = [{ session: [], csrf: [] }];
const json = (schema: object, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const e400 = errorResponse('Validation failed (VALIDATION_FAILED), with one detail per field');
const e401 = errorResponse('Not signed in (UNAUTHENTICATED)');
const e403 = errorResponse(
  'Role does not allow this (FORBIDDEN) or missing/invalid CSRF token (CSRF_INVALID)',
);
const e429 = errorResponse('Too many requests (RATE_LIMITED)');

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

const authPaths: OpenApiPaths = {
  '/api/v1/auth/google': {
    get: {
      summary: 'Start Google sign-in (redirects to the provider)',
      tags: ['auth'],
      description:
        'Redirects (302) to Google, or to the local OpenID provider when no Google client is configured. ' +
        'With `login_hint` the local provider approves at once, so scripts can sign in with plain redirects. ' +
        'Rate-limited per client IP.',
      parameters: [
        { name: 'login_hint', in: 'query', schema: { type: 'string', format: 'email' } },
        {
          name: 'returnTo',
          in: 'query',
          description: 'Same-site path to return to after sign-in',
          schema: { type: 'string', examples: ['/profile'] },
        },
      ],
      responses: { '302': { description: 'Redirect to the provider' }, '400': e400, '429': e429 },
    },
  },
  '/api/v1/auth/google/callback': {
    get: {
      summary: 'OAuth callback: signs in on a new session and redirects to returnTo',
      tags: ['auth'],
      description:
        'Verifies state and PKCE, exchanges the code, reads userinfo, upserts the user by Google subject id and regenerates the session id. ' +
        'An unverified email, a denied consent or a bad state redirects to `/?signInError=CODE` with no session user.',
      parameters: [
        { name: 'code', in: 'query', schema: { type: 'string' } },
        { name: 'state', in: 'query', schema: { type: 'string' } },
      ],
      responses: {
        '303': { description: 'Signed in (to returnTo) or refused (to /?signInError=...)' },
        '429': e429,
      },
    },
  },
  '/api/v1/auth/logout': {
    post: {
      summary: 'Sign out: destroys the session',
      tags: ['auth'],
      security: cookieAndCsrf,
      responses: { '204': { description: 'Signed out; the old cookie is worthless' }, '403': e403 },
    },
  },
  '/api/v1/auth/csrf': {
    get: {
      summary: "The session's CSRF token, for the X-CSRF-Token header",
      tags: ['auth'],
      responses: {
        '200': json(
          { type: 'object', properties: { csrfToken: { type: 'string' } }, required: ['csrfToken'] },
          'The token',
        ),
      },
    },
  },
  '/api/v1/auth/profile': {
    get: {
      summary: 'The signed-in user, roles, team memberships and seller application',
      tags: ['auth'],
      security: cookieAuth,
      responses: {
        '200': json(
          {
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
          },
          'The profile',
        ),
        '401': e401,
      },
    },
  },
  '/api/v1/auth/apply-seller': {
    post: {
      summary: 'Apply to become a seller (one open application per user)',
      tags: ['auth'],
      security: cookieAndCsrf,
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['businessName', 'businessType', 'contactPhone', 'country', 'description'],
              properties: {
                businessName: { type: 'string', minLength: 2, maxLength: 120 },
                businessType: { type: 'string', enum: [...BUSINESS_TYPES] },
                contactPhone: {
                  type: 'string',
                  description: 'International format',
                  examples: ['+256 700 123456'],
                },
                country: { type: 'string', description: 'ISO 3166-1 alpha-2', examples: ['UG'] },
                description: { type: 'string', minLength: 20, maxLength: 2000 },
              },
            },
          },
        },
      },
      responses: {
        '201': json(applicationSchema, 'The PENDING application'),
        '400': e400,
        '401': e401,
        '403': e403,
        '409': errorResponse(
          'An application is already open (APPLICATION_ALREADY_OPEN) or already a seller (ALREADY_SELLER)',
        ),
        '429': e429,
      },
    },
  },
};

const adminPaths: OpenApiPaths = {
  '/api/v1/admin/seller-applications': {
    get: {
      summary: 'Seller applications, oldest first (SUPER_ADMIN)',
      tags: ['admin'],
      security: cookieAuth,
      parameters: [
        { name: 'status', in: 'query', schema: { type: 'string', enum: [...APPLICATION_STATUSES] } },
        { name: 'cursor', in: 'query', schema: { type: 'string' } },
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 } },
      ],
      responses: {
        '200': json(
          {
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
          },
          'A page of applications',
        ),
        '400': e400,
        '401': e401,
        '403': e403,
      },
    },
  },
  '/api/v1/admin/seller-applications/{id}/approve': {
    post: {
      summary: 'Approve: grants SELLER, emits seller.approved, audited (SUPER_ADMIN)',
      tags: ['admin'],
      security: cookieAndCsrf,
      parameters: [idParameter],
      responses: {
        '200': json(applicationSchema, 'The APPROVED application'),
        '400': e400,
        '401': e401,
        '403': e403,
        '404': errorResponse('No such application (APPLICATION_NOT_FOUND)'),
        '409': errorResponse('Already decided (APPLICATION_ALREADY_DECIDED)'),
      },
    },
  },
  '/api/v1/admin/seller-applications/{id}/reject': {
    post: {
      summary: 'Reject with a reason the applicant sees; audited (SUPER_ADMIN)',
      tags: ['admin'],
      security: cookieAndCsrf,
      parameters: [idParameter],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['reason'],
              properties: { reason: { type: 'string', minLength: 3, maxLength: 1000 } },
            },
          },
        },
      },
      responses: {
        '200': json(applicationSchema, 'The REJECTED application'),
        '400': e400,
        '401': e401,
        '403': e403,
        '404': errorResponse('No such application (APPLICATION_NOT_FOUND)'),
        '409': errorResponse('Already decided (APPLICATION_ALREADY_DECIDED)'),
      },
    },
  },
};

const teamPaths: OpenApiPaths = {
  '/api/v1/team/members': {
    get: {
      summary: "The seller's team members and open invitations (SELLER)",
      tags: ['team'],
      security: cookieAuth,
      responses: {
        '200': json(
          {
            type: 'object',
            properties: { items: { type: 'array', items: memberSchema }, nextCursor: { type: 'null' } },
          },
          'The team',
        ),
        '401': e401,
        '403': errorResponse('Not a seller (FORBIDDEN, NOT_A_SELLER)'),
      },
    },
    post: {
      summary: 'Invite a person by email as MANAGER (gate scanning) or FINANCE (payouts) (SELLER)',
      tags: ['team'],
      security: cookieAndCsrf,
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['email', 'role'],
              properties: {
                email: { type: 'string', format: 'email' },
                role: { type: 'string', enum: [...TEAM_ROLES] },
              },
            },
          },
        },
      },
      responses: {
        '201': json(memberSchema, 'The invitation (accepted when that person signs in with that email)'),
        '400': e400,
        '401': e401,
        '403': e403,
        '409': errorResponse('Already in the team with that role (MEMBER_EXISTS)'),
        '422': errorResponse('Cannot add yourself (CANNOT_ADD_SELF)'),
      },
    },
  },
  '/api/v1/team/members/{id}': {
    delete: {
      summary: 'Remove a member or withdraw an invitation; their rights end at their next request (SELLER)',
      tags: ['team'],
      security: cookieAndCsrf,
      parameters: [idParameter],
      responses: {
        '204': { description: 'Removed' },
        '400': e400,
        '401': e401,
        '403': e403,
        '404': errorResponse('Not a member of your team (MEMBER_NOT_FOUND)'),
      },
    },
  },
  '/api/v1/team/members/{id}/campaigns': {
    post: {
      summary: 'Set the campaigns a gate manager may scan for (replaces the list) (SELLER)',
      tags: ['team'],
      security: cookieAndCsrf,
      parameters: [idParameter],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['campaignIds'],
              properties: { campaignIds: { type: 'array', maxItems: 500, items: { type: 'string' } } },
            },
          },
        },
      },
      responses: {
        '200': json(memberSchema, 'The member with its campaigns'),
        '400': e400,
        '401': e401,
        '403': e403,
        '404': errorResponse('Not a member of your team (MEMBER_NOT_FOUND)'),
        '422': errorResponse('Only MANAGER members get campaigns (NOT_A_MANAGER)'),
      },
    },
  },
};
