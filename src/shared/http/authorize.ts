import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AppError } from '../errors';

/**
 * The one authorization layer. The auth module's middleware puts the signed-in user on
 * `req.actor`, re-read from the database on every request (so a removed team member loses
 * access at once). Routes declare who may call them with requireSignIn()/requireRole();
 * services check ownership of the resource with the helpers below.
 */
/**
 * FINANCE is a seller's finance team member (a membership); PLATFORM_FINANCE is the platform's own
 * finance staff (FINANCE_EMAILS): they approve withdrawals and watch reconciliation.
 */
export type Role = 'CUSTOMER' | 'SELLER' | 'MANAGER' | 'FINANCE' | 'PLATFORM_FINANCE' | 'SUPER_ADMIN';
export const ROLES: Role[] = ['CUSTOMER', 'SELLER', 'MANAGER', 'FINANCE', 'PLATFORM_FINANCE', 'SUPER_ADMIN'];

export interface Membership {
  /** The seller (a user id) this member works for. */
  sellerId: string;
  role: 'MANAGER' | 'FINANCE';
  /** For gate managers: the campaigns they may scan for. */
  campaignIds: string[];
}

export interface Actor {
  userId: string;
  email: string;
  name: string;
  /** CUSTOMER always; SELLER once approved; MANAGER/FINANCE while a team membership lasts. */
  roles: Role[];
  memberships: Membership[];
}

declare module 'express-serve-static-core' {
  interface Request {
    actor?: Actor;
  }
}

export function actorOf(req: Request): Actor {
  if (!req.actor) throw AppError.unauthenticated();
  return req.actor;
}

export function hasRole(actor: Actor, ...roles: Role[]): boolean {
  return roles.some((r) => actor.roles.includes(r));
}

/**
 * Platform staff work for the platform, never sell on it: admins decide sellers' applications and
 * platform finance approves sellers' withdrawals, so a seller account of their own would let them
 * judge their own business. They are not offered seller onboarding and applyToSell refuses them.
 */
export const PLATFORM_STAFF_ROLES: readonly Role[] = ['SUPER_ADMIN', 'PLATFORM_FINANCE'];

export function isPlatformStaff(roles: readonly Role[]): boolean {
  return PLATFORM_STAFF_ROLES.some((r) => roles.includes(r));
}

export function isAdmin(actor: Actor): boolean {
  return actor.roles.includes('SUPER_ADMIN');
}

/** True when the actor is the seller or one of the seller's team members with `role`. */
export function actsForSeller(actor: Actor, sellerId: string, role?: Membership['role']): boolean {
  if (actor.userId === sellerId && actor.roles.includes('SELLER')) return true;
  return actor.memberships.some((m) => m.sellerId === sellerId && (!role || m.role === role));
}

/**
 * True when the actor may scan tickets of `campaign` at the gate: the seller who owns it, or a
 * MANAGER of that seller assigned to it. Both the seller and the campaign id must match: a
 * seller can write any campaign id into an assignment, so the id alone proves nothing.
 */
export function canScanCampaign(actor: Actor, campaign: { id: string; sellerId: string }): boolean {
  if (actor.userId === campaign.sellerId && actor.roles.includes('SELLER')) return true;
  return actor.memberships.some(
    (m) => m.sellerId === campaign.sellerId && m.role === 'MANAGER' && m.campaignIds.includes(campaign.id),
  );
}

/** Where a person is sent to sign in; `returnTo` brings them back. */
export const SIGN_IN_PATH = '/api/v1/auth/google';

export function signInUrl(returnTo?: string): string {
  return returnTo ? `${SIGN_IN_PATH}?returnTo=${encodeURIComponent(returnTo)}` : SIGN_IN_PATH;
}

/** 401 unless signed in. A person opening a page is sent to sign in and brought back instead. */
export function requireSignIn(): RequestHandler {
  return (req, res, next) => {
    if (req.actor) return next();
    unauthenticated(req, res, next);
  };
}

/** 401 unless signed in; 403 unless the actor has one of the roles (SUPER_ADMIN always passes). */
export function requireRole(...roles: Role[]): RequestHandler {
  return (req, res, next) => {
    if (!req.actor) return unauthenticated(req, res, next);
    if (!hasRole(req.actor, ...roles, 'SUPER_ADMIN'))
      return next(AppError.forbidden('FORBIDDEN', 'Your role does not allow this'));
    next();
  };
}

/**
 * Like requireRole, but the actor must hold the role itself (no SUPER_ADMIN pass): for routes
 * that act on the actor's own account as that role, e.g. a seller's own team. An admin who is
 * not a seller has no team to manage.
 */
export function requireOwnRole(...roles: Role[]): RequestHandler {
  return (req, res, next) => {
    if (!req.actor) return unauthenticated(req, res, next);
    if (!hasRole(req.actor, ...roles))
      return next(AppError.forbidden('FORBIDDEN', 'Your role does not allow this'));
    next();
  };
}

function unauthenticated(req: Request, res: Response, next: NextFunction): void {
  // req.originalUrl, not req.path: inside a mounted router req.path has lost its prefix.
  const isPageView =
    (req.method === 'GET' || req.method === 'HEAD') &&
    !req.originalUrl.startsWith('/api/') &&
    req.accepts(['json', 'html']) === 'html';
  if (isPageView) return res.redirect(303, signInUrl(req.originalUrl));
  next(AppError.unauthenticated());
}
