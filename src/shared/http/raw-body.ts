import type { IncomingMessage } from 'node:http';
import type { Request } from 'express';

/*
 * The request body's bytes as received, kept for the few routes that need them (a provider's
 * webhook, so that a signature over the body can be checked and the body stored as sent). Parsing
 * and re-serialising JSON changes bytes (key order, spacing, number formatting), so only the
 * original buffer can be checked against a signature. Kept only for the paths asked for: every
 * other request lets its buffer go as soon as it is parsed.
 */

const RAW_BODY = Symbol('rawBody');

/** express.json's `verify` option: keeps the raw bytes of requests to `paths` (exact path, no query). */
export function keepRawBodyFor(paths: ReadonlySet<string>) {
  return (req: IncomingMessage, _res: unknown, buf: Buffer): void => {
    const path = (req as Partial<Request>).originalUrl ?? req.url ?? '';
    if (paths.has(path.split('?')[0]!))
      (req as unknown as Record<symbol, Buffer>)[RAW_BODY] = Buffer.from(buf);
  };
}

/** The raw body kept for this request, or null (not a raw-body path, or no body). */
export function rawBodyOf(req: Request): Buffer | null {
  return (req as unknown as Record<symbol, Buffer | undefined>)[RAW_BODY] ?? null;
}
