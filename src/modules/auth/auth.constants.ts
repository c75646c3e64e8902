import { isPlatformStaff, type Role } from '../../shared/http/authorize';
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

/**
 * Who the navigation offers seller onboarding to: buyers only. Sellers already sell; platform
 * staff (admins, platform finance) never sell (isPlatformStaff; applyToSell refuses them too);
 * a seller's gate and finance team members are at work for that seller, so their navigation is
 * about that work; they may still apply from their profile page to run events of their own.
 */
export function sellerOnboardingFor(roles: readonly Role[]): 'nav' | 'profile' | 'never' {
  if (roles.includes('SELLER') || isPlatformStaff(roles)) return 'never';
  if (roles.includes('MANAGER') || roles.includes('FINANCE')) return 'profile';
  return 'nav';
}
