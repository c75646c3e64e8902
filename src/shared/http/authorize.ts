import type { Request, RequestHandler } from 'express';
import { AppError } from '../errors';

/**
 * The one authorization layer. The auth module's middleware puts the signed-in user on
 * `req.actor`, re-read from the database on every request (so a removed team member loses
 * access at once). Routes declare who may call them with requireSignIn()/requireRole();
 * services check ownership of the resource with the helpers below.
 */
export type Role = 'CUSTOMER' | 'SELLER' | 'MANAGER' | 'FINANCE' | 'SUPER_ADMIN';
export const ROLES: Role[] = ['CUSTOMER', 'SELLER', 'MANAGER', 'FINANCE', 'SUPER_ADMIN'];

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

export function isAdmin(actor: Actor): boolean {
  return actor.roles.includes('SUPER_ADMIN');
}

/** True when the actor is the seller or one of the seller's team members with `role`. */
export function actsForSeller(actor: Actor, sellerId: string, role?: Membership['role']): boolean {
  if (actor.userId === sellerId && actor.roles.includes('SELLER')) return true;
  return actor.memberships.some((m) => m.sellerId === sellerId && (!role || m.role === role));
}

/** 401 unless signed in. */
export function requireSignIn(): RequestHandler {
  return (req, _res, next) => next(req.actor ? undefined : AppError.unauthenticated());
}

/** 401 unless signed in; 403 unless the actor has one of the roles (SUPER_ADMIN always passes). */
export function requireRole(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    if (!req.actor) return next(AppError.unauthenticated());
    if (!hasRole(req.actor, ...roles, 'SUPER_ADMIN'))
      return next(AppError.forbidden('FORBIDDEN', 'Your role does not allow this'));
    next();
  };
}
