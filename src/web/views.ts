import path from 'node:path';
import type { Request, Response } from 'express';
import { Eta } from 'eta';
import { takeFlash } from '../shared/http/session';
import { currencyDigits, formatMoney } from '../shared/money';
import { statusLabel, type StatusKind } from './status-labels';

const eta = new Eta({
  views: path.join(__dirname, 'views'),
  cache: process.env.NODE_ENV === 'production',
  autoEscape: true,
});

const countryNames = new Intl.DisplayNames(['en'], { type: 'region' });

/** Formatting helpers every template gets as `it.fmt`. */
export const fmt = {
  /** Integer minor units → "₦12,500.00" (src/shared/money.ts: exact, the currency's own decimals). */
  money(minor: number, currency: string): string {
    return formatMoney(minor, currency);
  },
  /** A status code in words ("CONFIRMED" → "Confirmed"): src/web/status-labels.ts. */
  status(kind: StatusKind, code: string): string {
    return statusLabel(kind, code);
  },
  /** The currency's decimals, for pages whose scripts format totals (static/js/money.js). */
  currencyDigits(currency: string): number {
    return currencyDigits(currency);
  },
  /** A time shown in the campaign's own time zone. */
  date(iso: string | null, timeZone = 'UTC'): string {
    if (!iso) return '';
    return new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(
      new Date(iso),
    );
  },
  /** "Sat 12 Dec 2026, 18:00 · Lagos time": a time in the campaign's zone, with the zone named. */
  when(iso: string | null, timeZone = 'UTC'): string {
    if (!iso) return '';
    const text = new Intl.DateTimeFormat('en-GB', {
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZone,
    }).format(new Date(iso));
    return `${text} · ${fmt.zoneName(timeZone)}`;
  },
  /**
   * "Sun 13 Dec 2026, 18:00 – 23:00 · Lagos time": a start and end in the campaign's zone, the
   * end's date written only when it falls on another day.
   */
  range(startIso: string, endIso: string, timeZone = 'UTC'): string {
    const day = (iso: string) =>
      new Intl.DateTimeFormat('en-GB', { dateStyle: 'full', timeZone }).format(new Date(iso));
    const time = (iso: string) =>
      new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', timeZone }).format(
        new Date(iso),
      );
    const start = fmt.when(startIso, timeZone).replace(` · ${fmt.zoneName(timeZone)}`, '');
    const end =
      day(startIso) === day(endIso)
        ? time(endIso)
        : fmt.when(endIso, timeZone).replace(` · ${fmt.zoneName(timeZone)}`, '');
    return `${start} – ${end} · ${fmt.zoneName(timeZone)}`;
  },
  /** "NG" → "Nigeria" (the code itself when the runtime does not know it). */
  country(code: string): string {
    try {
      return countryNames.of(code) ?? code;
    } catch {
      return code;
    }
  },
  /** "Africa/Lagos" → "Lagos time"; "UTC" stays "UTC". */
  zoneName(timeZone: string): string {
    if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return 'UTC';
    const city = timeZone.split('/').pop() ?? timeZone;
    return `${city.replace(/_/g, ' ')} time`;
  },
  /** Value for <input type="datetime-local"> in UTC. */
  inputDate(iso: string | null): string {
    return iso ? iso.slice(0, 16) : '';
  },
};

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
    // The bell (src/modules/notifications): the viewer's unread count, and whether it updates live.
    unread: res.locals.unreadNotifications ?? null,
    liveNotifications: res.locals.liveNotifications ?? false,
    csrfToken: res.locals.csrfToken ?? '',
    sandbox: res.locals.sandbox ?? false,
    flash: req.session ? takeFlash(req) : [],
    path: req.path,
    nav: navFor(res),
    fmt,
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

/**
 * An error page inside the normal layout: the viewer's own navigation (signed in or not) and a
 * way back. The machine-readable code stays in the JSON API; a page shows only the message.
 */
export function renderError(res: Response, status: number, message: string, _code: string): void {
  res
    .status(status)
    .type('html')
    .send(
      eta.render('error', {
        title:
          status === 404
            ? 'Page not found'
            : status === 403
              ? 'Not allowed'
              : status < 500
                ? 'That did not work'
                : 'Something went wrong',
        status,
        message,
        user: res.locals.user ?? null,
        flash: [],
        csrfToken: res.locals.csrfToken ?? '',
        sandbox: res.locals.sandbox ?? false,
        path: '',
        nav: navFor(res),
        fmt,
      }),
    );
}
