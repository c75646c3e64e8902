import crypto from 'node:crypto';
import type { Request } from 'express';
import type { Actor } from '../../shared/http/authorize';
import { CSRF_HEADER, hasSessionCookie } from '../../shared/http/csrf';
import { ValidationErrors } from './validation.errors';
import type { DeviceRow } from './validation.repository';

/**
 * Who is scanning. A device authenticates with its secret (`Authorization: Device <token>` from
 * an API client, or the HttpOnly `tikiti_device` cookie from the gate page); a person with the
 * normal session. Only SHA-256 hashes of device secrets are stored.
 *
 * CSRF: a cookie is sent by the browser on its own, so a POST authenticated by the device
 * cookie must carry X-CSRF-Token = HMAC(secret, device id), which only a page we rendered for
 * that device knows. When a session cookie is present too, the shared csrfProtection has
 * already required the session's token on the request (and the page was given that one), so
 * the check here is satisfied by it. A request with the Authorization header needs no token:
 * no browser adds that header by itself.
 */

export const DEVICE_COOKIE = 'tikiti_device';
const AUTH_SCHEME = /^Device ([A-Za-z0-9_-]{20,100})$/;

export type Scanner =
  | {
      kind: 'device';
      device: DeviceRow;
      via: 'header' | 'cookie';
      /**
       * Set when `device` came from the per-process device cache instead of a read for this
       * request: `recheck` resolves the request again with the device read now (and refuses a
       * revoked one). Only the scan path takes cached devices (see scanTicket).
       */
      cached?: { recheck: () => Promise<Scanner> };
    }
  | { kind: 'user'; actor: Actor };

export function newSecret(): string {
  return crypto.randomBytes(32).toString('base64url');
}

export type SecretHash = Uint8Array<ArrayBuffer>;

export function hashSecret(secret: string): SecretHash {
  return new Uint8Array(crypto.hash('sha256', secret, 'buffer'));
}

/** hashSecret in base64, as a map key (one call, no Hash object: the scan path keys its device cache by it). */
export function secretKey(secret: string): string {
  return crypto.hash('sha256', secret, 'base64');
}

/** The device secret a request carries, and how; undefined when none. Throws on a malformed header. */
export function deviceSecretOf(req: Request): { secret: string; via: 'header' | 'cookie' } | undefined {
  const auth = req.get('authorization');
  if (auth !== undefined && /^Device\b/i.test(auth)) {
    const m = AUTH_SCHEME.exec(auth);
    if (!m) throw ValidationErrors.deviceUnknown();
    return { secret: m[1]!, via: 'header' };
  }
  const cookie = cookieValue(req, DEVICE_COOKIE);
  return cookie && /^[A-Za-z0-9_-]{20,100}$/.test(cookie) ? { secret: cookie, via: 'cookie' } : undefined;
}

function cookieValue(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

function hmac(secret: string, message: string): string {
  return crypto.createHmac('sha256', secret).update(message).digest('base64url');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/** The CSRF token the gate page of a device is rendered with. */
export function deviceCsrfToken(serverSecret: string, deviceId: string): string {
  return hmac(serverSecret, `device-csrf:${deviceId}`);
}

/** Refuses a state-changing request authenticated by the device cookie without the device's CSRF token. */
export function checkDeviceCsrf(req: Request, scanner: Scanner, serverSecret: string): void {
  if (scanner.kind !== 'device' || scanner.via !== 'cookie') return;
  if (req.method === 'GET' || req.method === 'HEAD') return;
  // The session's token was already demanded by csrfProtection (see above).
  if (hasSessionCookie(req)) return;
  const sent = req.get(CSRF_HEADER);
  if (!sent || !sameText(sent, deviceCsrfToken(serverSecret, scanner.device.id)))
    throw ValidationErrors.csrfInvalid();
}

/**
 * A token that lets a socket join a campaign's gate room: `<expiry seconds>.<hmac>`, bound to
 * the campaign. Handed to gate staff with their page or bootstrap; stateless, so any web
 * process checks it.
 */
export function roomToken(
  serverSecret: string,
  campaignId: string,
  now: Date,
  ttlMs = 12 * 3_600_000,
): string {
  const exp = Math.floor((now.getTime() + ttlMs) / 1000);
  return `${exp}.${hmac(serverSecret, `gate-room:${campaignId}:${exp}`)}`;
}

export function checkRoomToken(serverSecret: string, campaignId: string, token: unknown, now: Date): boolean {
  if (typeof token !== 'string' || token.length > 200) return false;
  const m = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return false;
  if (Number(m[1]) * 1000 <= now.getTime()) return false;
  return sameText(m[2]!, hmac(serverSecret, `gate-room:${campaignId}:${m[1]}`));
}
