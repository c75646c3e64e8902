import { countryCode, email, oneOf, queryInt, text, uuid, z } from '../../shared/http/schema';
import { APPLICATION_STATUSES, BUSINESS_TYPES, TEAM_ROLES } from './auth.constants';

/**
 * Input schemas shared by the JSON API and the page forms. Not strict: forms post their CSRF
 * token (`_csrf`) in the body, and only the declared fields reach a service.
 */

export const signInQuery = z.object({
  login_hint: email().optional(),
  returnTo: text({ max: 2048 }).optional().meta({ description: 'Same-site path to return to after sign-in' }),
});

export const applyBody = z.object({
  businessName: text({ min: 2, max: 120, trim: true, message: 'must be 2 to 120 characters' }),
  businessType: oneOf(BUSINESS_TYPES),
  contactPhone: z
    .string({ error: 'is required' })
    .max(40, { error: 'must be an international phone number, like +256 700 123456' })
    .transform((v) => v.replace(/[\s().-]/g, ''))
    .pipe(
      z.string().regex(/^\+[1-9]\d{6,14}$/, {
        error: 'must be an international phone number, like +256 700 123456',
      }),
    )
    .meta({ description: 'International format', examples: ['+256 700 123456'] }),
  country: countryCode().meta({ description: 'ISO 3166-1 alpha-2', examples: ['UG'] }),
  description: text({ min: 20, max: 2000, trim: true, message: 'must be 20 to 2000 characters' }),
});

export const listApplicationsQuery = z.object({
  status: oneOf(APPLICATION_STATUSES).optional(),
  cursor: text({ min: 1, max: 200 }).optional(),
  limit: queryInt(1, 100, 'must be 1 to 100').optional(),
});

export const idParams = z.object({ id: uuid('must be a UUID') });

export const rejectBody = z.object({
  reason: text({ min: 3, max: 1000, trim: true, message: 'must be 3 to 1000 characters' }),
});

export const inviteBody = z.object({
  email: email().transform((v) => v.toLowerCase()),
  role: oneOf(TEAM_ROLES),
});

export const campaignsBody = z.object({
  campaignIds: z
    .array(
      z
        .string({ error: 'must be a campaign id' })
        .trim()
        .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'must be a campaign id' }),
      { error: 'must be a list of at most 500 campaign ids' },
    )
    .max(500, { error: 'must be a list of at most 500 campaign ids' }),
});
