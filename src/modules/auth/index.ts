/**
 * The auth module's public API. Other modules use these functions and events; they never
 * read the users, seller_applications or team_members tables.
 *
 * Authorization itself lives in src/shared/http/authorize.ts (req.actor, requireSignIn,
 * requireRole, actsForSeller, canScanCampaign), filled in by this module's middleware.
 */
export { authWebModule, type ViewUser } from './auth.module';
// The demo seed (scripts/seed.ts) makes its accounts through the same use cases as the pages.
export { signInWithGoogle, type AuthDeps } from './auth.service';
export { applyToSell, approveSellerApplication, listSellerApplications } from './auth.applications.service';
export { assignMemberCampaigns, inviteTeamMember, listTeamMembers } from './auth.team.service';
export {
  getSellerApplication,
  getSellerProfile,
  getUserSummaries,
  userSummarySql,
  findUserIdsMatching,
  listPlatformAdmins,
  listPlatformFinance,
  loadActor,
  type SellerApplicationSummary,
  type SellerPublicProfile,
  type UserSummary,
} from './auth.service';
export {
  AuthEvents,
  type ApplicationDecidedPayload,
  type ApplicationSubmittedPayload,
  type MemberInvitedPayload,
  type MemberRemovedPayload,
  type SellerApprovedPayload,
  type UserRegisteredPayload,
} from './auth.events';
export {
  ADMIN_APPLICATIONS_PREFIX,
  AUTH_PREFIX,
  BUSINESS_TYPES,
  GOOGLE_CALLBACK_PATH,
  GOOGLE_SIGN_IN_PATH,
  TEAM_PREFIX,
  type BusinessType,
  type TeamRole,
} from './auth.constants';
