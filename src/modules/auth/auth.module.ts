import type { RequestHandler } from 'express';
import { currentContext } from '../../shared/context';
import { isAdmin, signInUrl, type Actor } from '../../shared/http/authorize';
import { sellerOnboardingFor } from './auth.constants';
import { csrfProtection } from '../../shared/http/csrf';
import type { Platform } from '../../shared/platform';
import type { WebModule } from '../registry';
import { authPages } from './auth.pages';
import { createPassport, sessionActor } from './auth.passport';
import { adminApplicationsApi, authApi, authLimiters, teamApi } from './auth.routes';

/** What pages see as `it.user` (res.locals.user). */
export interface ViewUser {
  id: string;
  name: string;
  email: string;
  roles: Actor['roles'];
  isSeller: boolean;
  isAdmin: boolean;
  /** The navigation offers "Become a seller" (sellerOnboardingFor). */
  offerSelling: boolean;
}

type NavUser = ViewUser | null;

/**
 * The auth module in the web process. Its middleware runs for every request after the
 * session: CSRF check, then passport reads the user id from the session and loads the actor
 * from PostgreSQL (every request: a removed team member loses access at once), then the actor
 * is exposed as req.actor and res.locals.user.
 */
/** The seller's campaigns as the team page offers them (the campaigns module, given by the registry). */
export type SellerCampaignLister = (
  actor: Actor,
) => Promise<Array<{ id: string; title: string; status: string }>>;

export function authWebModule(platform: Platform, sellerCampaigns?: SellerCampaignLister): WebModule {
  const passport = createPassport(platform);
  const limits = authLimiters(platform);

  const exposeActor: RequestHandler = (req, res, next) => {
    const actor = sessionActor(req);
    if (actor) {
      req.actor = actor;
      const view: ViewUser = {
        id: actor.userId,
        name: actor.name,
        email: actor.email,
        roles: actor.roles,
        isSeller: actor.roles.includes('SELLER'),
        isAdmin: isAdmin(actor),
        offerSelling: sellerOnboardingFor(actor.roles) === 'nav',
      };
      res.locals.user = view;
      const ctx = currentContext();
      if (ctx) ctx.userId = actor.userId;
    }
    next();
  };

  return {
    name: 'auth',
    middleware: [csrfProtection(), ...passport.middleware, exposeActor],
    api: [authApi(platform, passport, limits), adminApplicationsApi(platform), teamApi(platform)],
    pages: authPages(platform, limits, sellerCampaigns),
    nav: [
      { label: 'Sign in', href: signInUrl(), when: (u) => !u },
      { label: 'Profile', href: '/profile', when: (u) => !!u },
      {
        label: 'Become a seller',
        href: '/become-seller',
        when: (u) => !!(u as NavUser)?.offerSelling,
      },
      { label: 'Team', href: '/team', when: (u) => !!(u as NavUser)?.isSeller },
      { label: 'Applications', href: '/admin/seller-applications', when: (u) => !!(u as NavUser)?.isAdmin },
    ],
  };
}
