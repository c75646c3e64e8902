import type { ApplicationStatus, TeamRole } from './auth.constants';

/**
 * Events the auth module publishes through the outbox. Payloads carry ids and the few facts a
 * consumer (the email worker, campaigns) needs without calling back, never whole objects.
 */
export const AuthEvents = {
  userRegistered: 'user.registered',
  applicationSubmitted: 'seller.application.submitted',
  applicationDecided: 'seller.application.decided',
  sellerApproved: 'seller.approved',
  memberInvited: 'team.member.invited',
  memberRemoved: 'team.member.removed',
} as const;

export type UserRegisteredPayload = {
  userId: string;
};

export type ApplicationSubmittedPayload = {
  applicationId: string;
  userId: string;
};

/** For the applicant's email: who, which application, the outcome and (on rejection) why. */
export type ApplicationDecidedPayload = {
  applicationId: string;
  userId: string;
  decision: Exclude<ApplicationStatus, 'PENDING'>;
  rejectionReason: string | null;
  decidedBy: string;
};

export type SellerApprovedPayload = {
  userId: string;
  applicationId: string;
};

/** The invitee may have no account yet, so the address travels with the event. */
export type MemberInvitedPayload = {
  memberId: string;
  sellerId: string;
  email: string;
  role: TeamRole;
};

export type MemberRemovedPayload = {
  memberId: string;
  sellerId: string;
  userId: string | null;
  role: TeamRole;
};
