import { body, param, query } from 'express-validator';
import { APPLICATION_STATUSES, BUSINESS_TYPES, TEAM_ROLES } from './auth.constants';

/** Input rules shared by the JSON API and the page forms. */

export const signInChains = [
  query('login_hint').optional().isString().trim().isEmail().withMessage('must be an email address'),
  query('returnTo').optional().isString().isLength({ max: 2048 }),
];

export const applyChains = [
  body('businessName')
    .isString()
    .withMessage('is required')
    .bail()
    .trim()
    .isLength({ min: 2, max: 120 })
    .withMessage('must be 2 to 120 characters'),
  body('businessType')
    .isIn(BUSINESS_TYPES)
    .withMessage(`must be one of ${BUSINESS_TYPES.join(', ')}`),
  body('contactPhone')
    .isString()
    .withMessage('is required')
    .bail()
    .customSanitizer((v: unknown) => (typeof v === 'string' ? v.replace(/[\s().-]/g, '') : v))
    .matches(/^\+[1-9]\d{6,14}$/)
    .withMessage('must be an international phone number, like +256 700 123456'),
  body('country')
    .isString()
    .withMessage('is required')
    .bail()
    .trim()
    .toUpperCase()
    .isISO31661Alpha2()
    .withMessage('must be an ISO 3166 two-letter country code, like UG'),
  body('description')
    .isString()
    .withMessage('is required')
    .bail()
    .trim()
    .isLength({ min: 20, max: 2000 })
    .withMessage('must be 20 to 2000 characters'),
];

export const listApplicationsChains = [
  query('status')
    .optional()
    .isIn(APPLICATION_STATUSES)
    .withMessage(`must be one of ${APPLICATION_STATUSES.join(', ')}`),
  query('cursor').optional().isString().isLength({ min: 1, max: 200 }),
  query('limit').optional().isInt({ min: 1, max: 100 }).withMessage('must be 1 to 100').toInt(),
];

export const idParam = param('id').isUUID().withMessage('must be a UUID');

export const rejectChains = [
  idParam,
  body('reason')
    .isString()
    .withMessage('is required')
    .bail()
    .trim()
    .isLength({ min: 3, max: 1000 })
    .withMessage('must be 3 to 1000 characters'),
];

export const inviteChains = [
  body('email')
    .isString()
    .withMessage('is required')
    .bail()
    .trim()
    .isEmail()
    .withMessage('must be an email address')
    .isLength({ max: 254 })
    .toLowerCase(),
  body('role')
    .isIn(TEAM_ROLES)
    .withMessage(`must be one of ${TEAM_ROLES.join(', ')}`),
];

export const campaignsChains = [
  idParam,
  body('campaignIds').isArray({ max: 500 }).withMessage('must be a list of at most 500 campaign ids'),
  body('campaignIds.*')
    .isString()
    .bail()
    .trim()
    .matches(/^[A-Za-z0-9_-]{1,64}$/)
    .withMessage('must be a campaign id'),
];
