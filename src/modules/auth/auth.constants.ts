/** Route paths other code (the local provider, tests, pages) must agree on. */
export const AUTH_PREFIX = '/api/v1/auth';
export const GOOGLE_SIGN_IN_PATH = `${AUTH_PREFIX}/google`;
export const GOOGLE_CALLBACK_PATH = `${AUTH_PREFIX}/google/callback`;
export const ADMIN_APPLICATIONS_PREFIX = '/api/v1/admin/seller-applications';
export const TEAM_PREFIX = '/api/v1/team';

export const BUSINESS_TYPES = ['bars', 'sports', 'hotels', 'events', 'other'] as const;
export type BusinessType = (typeof BUSINESS_TYPES)[number];

export const APPLICATION_STATUSES = ['PENDING', 'APPROVED', 'REJECTED'] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

export const TEAM_ROLES = ['MANAGER', 'FINANCE'] as const;
export type TeamRole = (typeof TEAM_ROLES)[number];
export type MemberStatus = 'INVITED' | 'ACTIVE';

/** Roles stored on the user row; CUSTOMER is implicit and MANAGER/FINANCE come from memberships. */
export type GrantedRole = 'SELLER' | 'SUPER_ADMIN' | 'PLATFORM_FINANCE';
