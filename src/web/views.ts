import path from 'node:path';
import type { Request, Response } from 'express';
import { Eta } from 'eta';
import { takeFlash } from '../shared/http/session';

const eta = new Eta({
  views: path.join(__dirname, 'views'),
  cache: process.env.NODE_ENV === 'production',
  autoEscape: true,
});

export interface PageData {
  title: string;
  [key: string]: unknown;
}

/**
 * Renders a page inside the layout with what every page needs: the signed-in user (if any),
 * flash messages, the CSRF token for forms and fetch calls, and the sandbox badge flag.
 */
export function renderPage(req: Request, res: Response, view: string, data: PageData): void {
  const html = eta.render(view, {
    ...data,
    user: res.locals.user ?? null,
    csrfToken: res.locals.csrfToken ?? '',
    sandbox: res.locals.sandbox ?? false,
    flash: req.session ? takeFlash(req) : [],
    path: req.path,
    nav: navFor(res),
  });
  res.type('html').send(html);
}

export interface NavItem {
  label: string;
  href: string;
  /** Shown only when this returns true for the current viewer (signed in, a seller…). */
  when?: (user: unknown) => boolean;
}

const navItems: NavItem[] = [{ label: 'Home', href: '/' }];

/** Modules add their pages to the navigation when they mount them. */
export function addNavItem(item: NavItem): void {
  if (!navItems.some((n) => n.href === item.href)) navItems.push(item);
}

function navFor(res: Response): NavItem[] {
  const user: unknown = res.locals.user ?? null;
  return navItems.filter((n) => !n.when || n.when(user));
}

export function renderError(res: Response, status: number, message: string, code: string): void {
  res
    .status(status)
    .type('html')
    .send(
      eta.render('error', {
        title: `Error ${status}`,
        status,
        message,
        code,
        user: null,
        flash: [],
        csrfToken: '',
        sandbox: false,
        path: '',
        nav: navItems.filter((n) => !n.when),
      }),
    );
}
