import type { IncomingMessage } from 'node:http';
import { Router, type Request, type RequestHandler } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import type { z } from 'zod';
import { AppError } from '../../shared/errors';
import { actorOf, hasRole, isAdmin, requireSignIn, type Actor } from '../../shared/http/authorize';
import type { FastRoute } from '../../shared/http/fast-lane';
import { errorResponse, type ApiModule, type OpenApiPaths } from '../../shared/http/openapi';
import { createRateLimit } from '../../shared/http/rate-limit';
import type { Platform } from '../../shared/platform';
import { checkDeviceCsrf, deviceSecretOf, type Scanner } from './validation.auth';
import { ValidationErrors } from './validation.errors';
import { getGateCounts } from './validation.live';
import type { ScanService } from './validation.scan';
import {
  campaignParam,
  deviceBody,
  devicePatchBody,
  enrolBody,
  gateBody,
  idParam,
  parseWith,
  requestSchema,
  revocationsQuery,
  scanBody,
  SCAN_REASONS,
} from './validation.schemas';
import type { ValidationService } from './validation.service';

declare module 'express-serve-static-core' {
  interface Request {
    scanner?: Scanner;
  }
}

export const VALIDATION_PREFIX = '/api/v1/validation';
export const SCAN_PATH = `${VALIDATION_PREFIX}/scan`;

/** Gate staff anywhere: an admin, a seller, or a MANAGER with at least one assigned campaign. */
function isGateStaff(actor: Actor): boolean {
  return (
    isAdmin(actor) ||
    hasRole(actor, 'SELLER') ||
    actor.memberships.some((m) => m.role === 'MANAGER' && m.campaignIds.length > 0)
  );
}

/**
 * Resolves who scans (device first, else the signed-in person) onto req.scanner. A device
 * cookie that no longer works falls back to a signed-in person on the same phone; a device
 * Authorization header that does not work is always refused. With `cachedDevice` (the scan
 * route only) a device may come from the per-process cache, marked `cached` with the way to
 * resolve the request again with the device read now (see scanTicket).
 */
export function resolveScanner(
  platform: Platform,
  service: ValidationService,
  opts: { cachedDevice?: boolean } = {},
): RequestHandler {
  const resolve = async (req: Request, cachedDevice: boolean): Promise<Scanner> => {
    let scanner: Scanner | undefined;
    const sent = deviceSecretOf(req);
    if (sent) {
      try {
        const { device, cached } = cachedDevice
          ? await service.authenticateDeviceCached(sent.secret)
          : { device: await service.authenticateDevice(sent.secret), cached: false };
        scanner = {
          kind: 'device',
          device,
          via: sent.via,
          ...(cached ? { cached: { recheck: () => resolve(req, false) } } : {}),
        };
      } catch (err) {
        if (sent.via === 'header' || !req.actor) throw err;
      }
    }
    if (!scanner) {
      if (!req.actor) throw AppError.unauthenticated();
      if (!isGateStaff(req.actor)) throw ValidationErrors.notGateStaff();
      scanner = { kind: 'user', actor: req.actor };
    }
    checkDeviceCsrf(req, scanner, platform.config.SESSION_SECRET);
    return scanner;
  };
  return async (req, _res, next) => {
    req.scanner = await resolve(req, opts.cachedDevice === true);
    next();
  };
}

/**
 * The scan limit's bucket: the device, else the signed-in person. A request with neither is
 * refused by resolveScanner before the limiter runs; should one get here, it counts against its
 * client address, an IPv6 address by its /56 network (ipKeyGenerator), so that one host cannot
 * take a fresh bucket per address of its subnet.
 */
export function scanLimitKey(req: Request): string {
  const s = req.scanner;
  if (s?.kind === 'device') return `d:${s.device.id}`;
  if (s?.kind === 'user') return `u:${s.actor.userId}`;
  return `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;
}

/**
 * A scan by a gate device that sends its secret in the Authorization header, no cookie at all
 * and a JSON body: nothing for the session, CSRF or the actor load to do (no session to read,
 * nothing a forged cross-site request could ride on), so the scan route takes it on the fast
 * lane (see WebModule.fastRoutes). Anything else goes through the app to the route's normal mount.
 */
function isHeaderOnlyDevice(req: IncomingMessage): boolean {
  return (
    req.headers.cookie === undefined &&
    /^Device /.test(req.headers.authorization ?? '') &&
    /^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')
  );
}

function scannerOf(req: Request): Scanner {
  if (!req.scanner) throw AppError.unauthenticated();
  return req.scanner;
}

const parse = <S extends z.ZodType>(schema: S, req: Request, where: 'body' | 'params' | 'query') =>
  parseWith(
    schema,
    where === 'body' ? req.body : where === 'params' ? { ...req.params } : { ...req.query },
    where,
  );

/** The validation API: scanning, enrolment, revocation sync, and the seller's gates and devices. */
export function validationRoutes(
  platform: Platform,
  service: ValidationService,
  scans: ScanService,
): ApiModule & { fastRoutes: FastRoute[] } {
  const { config, redis, prisma, clock } = platform;
  const router = Router();
  const scanner = resolveScanner(platform, service);
  const scanScanner = resolveScanner(platform, service, { cachedDevice: true });
  const scanLimit = createRateLimit(redis, config.REDIS_PREFIX, {
    name: 'scan',
    windowMs: config.SCAN_RATE_LIMIT_WINDOW_MS,
    limit: config.SCAN_RATE_LIMIT_MAX,
    // After resolveScanner: the bucket is the scanner's.
    key: scanLimitKey,
  });
  // Enrolment tokens are 256-bit secrets; this only keeps guessing from costing us queries.
  const enrolLimit = createRateLimit(redis, config.REDIS_PREFIX, {
    name: 'enrol',
    windowMs: 60_000,
    limit: 30,
  });

  const scan: RequestHandler = async (req, res) => {
    res.json(await scans.scanTicket(scannerOf(req), parse(scanBody, req, 'body')));
  };
  const fastRoutes: FastRoute[] = [
    { method: 'POST', path: SCAN_PATH, takes: isHeaderOnlyDevice, handlers: [scanScanner, scanLimit, scan] },
  ];
  router.post('/scan', scanScanner, scanLimit, scan);
  router.get('/bootstrap', scanner, async (req, res) => {
    res.set('Cache-Control', 'private, no-store').json(await service.bootstrap(scannerOf(req)));
  });
  router.get('/campaigns/:campaignId/revocations', scanner, async (req, res) => {
    const { campaignId } = parse(campaignParam, req, 'params');
    const { after } = parse(revocationsQuery, req, 'query');
    res.set('Cache-Control', 'private, no-store');
    res.json(await service.revocationsAfter(scannerOf(req), campaignId, after ?? 0));
  });
  router.get('/ticket/:id', scanner, async (req, res) => {
    const { id } = parse(idParam, req, 'params');
    res.json(await service.ticketHistory(scannerOf(req), id));
  });
  router.get('/campaigns/:campaignId/gates', scanner, async (req, res) => {
    const { campaignId } = parse(campaignParam, req, 'params');
    res.json({ items: await service.listGates(scannerOf(req), campaignId) });
  });
  router.post('/enrol', enrolLimit, async (req, res) => {
    const { token } = parse(enrolBody, req, 'body');
    const { secret, device } = await service.enrolDevice(token);
    res.json({ deviceToken: secret, device });
  });

  // The seller's side: the campaign's seller, its assigned managers, admins.
  router.post('/campaigns/:campaignId/gates', requireSignIn(), async (req, res) => {
    const { campaignId } = parse(campaignParam, req, 'params');
    const { name } = parse(gateBody, req, 'body');
    res.status(201).json(await service.createGate(actorOf(req), campaignId, name));
  });
  router.get('/campaigns/:campaignId/devices', requireSignIn(), async (req, res) => {
    const { campaignId } = parse(campaignParam, req, 'params');
    res.json({ items: await service.listDevices(actorOf(req), campaignId) });
  });
  router.post('/campaigns/:campaignId/devices', requireSignIn(), async (req, res) => {
    const { campaignId } = parse(campaignParam, req, 'params');
    res
      .status(201)
      .json(await service.createDevice(actorOf(req), campaignId, parse(deviceBody, req, 'body')));
  });
  router.patch('/devices/:id', requireSignIn(), async (req, res) => {
    const { id } = parse(idParam, req, 'params');
    res.json(await service.updateDevice(actorOf(req), id, parse(devicePatchBody, req, 'body')));
  });
  router.post('/devices/:id/revoke', requireSignIn(), async (req, res) => {
    const { id } = parse(idParam, req, 'params');
    res.json(await service.revokeDevice(actorOf(req), id));
  });
  router.post('/devices/:id/enrolment', requireSignIn(), async (req, res) => {
    const { id } = parse(idParam, req, 'params');
    res.status(201).json(await service.renewEnrolment(actorOf(req), id));
  });
  router.get('/campaigns/:campaignId/counts', requireSignIn(), async (req, res) => {
    const { campaignId } = parse(campaignParam, req, 'params');
    const campaign = await service.authorizeStaff(actorOf(req), campaignId);
    res.json(await getGateCounts(prisma, campaign.id, clock));
  });
  router.get('/campaigns/:campaignId/conflicts', requireSignIn(), async (req, res) => {
    const { campaignId } = parse(campaignParam, req, 'params');
    res.json({ items: await service.listConflicts(actorOf(req), campaignId), nextCursor: null });
  });

  return { name: 'validation', prefix: VALIDATION_PREFIX, router, paths: validationPaths, fastRoutes };
}

// ---------------------------------------------------------------- OpenAPI

const tag = ['validation'];
const scannerSecurity = { security: [{ device: [] }, { session: [], csrf: [] }] };
const signedIn = { security: [{ session: [] }] };
const withCsrf = { security: [{ session: [], csrf: [] }] };
const pathId = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string', format: 'uuid' },
});
const json = (description: string, schema: Record<string, unknown> = { type: 'object' }) => ({
  description,
  content: { 'application/json': { schema } },
});
const body = (schema: z.ZodType) => ({
  required: true,
  content: { 'application/json': { schema: requestSchema(schema) } },
});
const staffErrors = {
  '400': errorResponse('VALIDATION_FAILED'),
  '401': errorResponse('Not signed in'),
  '403': errorResponse('NOT_GATE_STAFF or CSRF_INVALID'),
  '404': errorResponse('CAMPAIGN_NOT_FOUND / DEVICE_NOT_FOUND / GATE_NOT_FOUND'),
};
const scannerErrors = {
  '400': errorResponse('VALIDATION_FAILED'),
  '401': errorResponse('UNAUTHENTICATED, DEVICE_UNKNOWN or DEVICE_REVOKED'),
  '403': errorResponse('NOT_GATE_STAFF or CSRF_INVALID'),
  '404': errorResponse('CAMPAIGN_NOT_FOUND / TICKET_NOT_FOUND'),
};
const deviceSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    campaignId: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    gate: { type: ['object', 'null'], properties: { id: { type: 'string' }, name: { type: 'string' } } },
    status: { type: 'string', enum: ['PENDING', 'ACTIVE', 'REVOKED'] },
    lastSeenAt: { type: ['string', 'null'], format: 'date-time' },
    lastSyncAt: { type: ['string', 'null'], format: 'date-time' },
    enrolledAt: { type: ['string', 'null'], format: 'date-time' },
    revokedAt: { type: ['string', 'null'], format: 'date-time' },
    createdAt: { type: 'string', format: 'date-time' },
  },
};
const enrolmentSchema = {
  type: 'object',
  properties: {
    device: deviceSchema,
    enrolment: {
      type: 'object',
      properties: {
        url: { type: 'string', description: 'Single-use setup link to open on the phone' },
        expiresAt: { type: 'string', format: 'date-time' },
        qrSvg: { type: 'string', description: 'data: URI of an SVG QR code of the link' },
      },
    },
  },
};
const gateSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    campaignId: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
  },
};
const revocationItem = {
  type: 'object',
  properties: {
    seq: { type: 'integer' },
    ticketId: { type: 'string', format: 'uuid' },
    serial: { type: 'integer' },
    revokedAt: { type: 'string', format: 'date-time' },
    reason: { type: 'string', enum: ['CANCELLED', 'REFUNDED', 'REISSUED'] },
  },
};
const scanAnswerSchema = {
  type: 'object',
  required: ['scanId', 'result', 'type', 'ticket', 'receivedAt'],
  properties: {
    scanId: { type: 'string', format: 'uuid' },
    result: { type: 'string', enum: ['ok', 'refused'] },
    reason: { type: 'string', enum: [...SCAN_REASONS] },
    type: { type: 'string', enum: ['entry', 'exit'] },
    ticket: {
      type: ['object', 'null'],
      properties: {
        id: { type: 'string', format: 'uuid' },
        serial: { type: 'integer' },
        typeName: { type: 'string' },
        holderName: { type: 'string' },
        entriesUsed: { type: 'integer' },
        maxEntries: { type: 'integer' },
      },
    },
    firstScannedAt: { type: 'string', format: 'date-time' },
    firstGate: { type: 'string' },
    revokedAt: { type: 'string', format: 'date-time' },
    revokedReason: { type: 'string' },
    conflict: { type: 'boolean' },
    offline: { type: 'boolean' },
    receivedAt: { type: 'string', format: 'date-time' },
  },
};
const countsSchema = {
  type: 'object',
  description: 'Counted entries and exits, and inside now (entries − exits), per gate and per ticket type',
  properties: {
    campaignId: { type: 'string' },
    at: { type: 'string', format: 'date-time' },
    totals: { type: 'object' },
    gates: { type: 'array', items: { type: 'object' } },
    ticketTypes: { type: 'array', items: { type: 'object' } },
  },
};

const validationPaths: OpenApiPaths = {
  [`${VALIDATION_PREFIX}/scan`]: {
    post: {
      summary: 'Decide one gate scan (entry or exit), exactly once per scanId',
      description:
        "A device (`Authorization: Device <token>`, or the gate page's device cookie + X-CSRF-Token) or a signed-in " +
        'seller/assigned manager. The answer is a decision (200) whatever the QR holds: `result` ok or refused with a `reason`. ' +
        "The same scanId again returns the first answer unchanged. Offline uploads (`offline: true` with the device's " +
        'decision) are recorded as facts; `conflict` says the server decided otherwise. Rate limited per device/person.',
      tags: tag,
      ...scannerSecurity,
      requestBody: body(scanBody),
      responses: {
        '200': json('The decision', scanAnswerSchema),
        ...scannerErrors,
        '404': errorResponse('GATE_NOT_FOUND'),
        '409': errorResponse('SCAN_ID_TAKEN: the scanId belongs to another device or person'),
        '429': errorResponse('RATE_LIMITED'),
      },
    },
  },
  [`${VALIDATION_PREFIX}/bootstrap`]: {
    get: {
      summary:
        'What a gate page needs offline: campaigns, gates, ticket types, public keys, revocations, room tokens',
      tags: tag,
      ...scannerSecurity,
      responses: { '200': json('The bootstrap document (docs/validation-api.md)'), ...scannerErrors },
    },
  },
  [`${VALIDATION_PREFIX}/campaigns/{campaignId}/revocations`]: {
    get: {
      summary: 'Revocations numbered above a cursor (monotonic per campaign)',
      tags: tag,
      ...scannerSecurity,
      parameters: [
        pathId('campaignId', 'Campaign id'),
        { name: 'after', in: 'query', required: false, schema: { type: 'integer', minimum: 0 } },
      ],
      responses: {
        '200': json('Up to 1000 revocations with seq > after', {
          type: 'object',
          properties: {
            campaignId: { type: 'string' },
            items: { type: 'array', items: revocationItem },
            seq: { type: 'integer', description: 'The cursor to send next time' },
            hasMore: { type: 'boolean' },
          },
        }),
        ...scannerErrors,
      },
    },
  },
  [`${VALIDATION_PREFIX}/ticket/{id}`]: {
    get: {
      summary: "A ticket's status, entries used and scan history",
      tags: tag,
      ...scannerSecurity,
      parameters: [pathId('id', 'Ticket id')],
      responses: { '200': json('Ticket and its scans, oldest first'), ...scannerErrors },
    },
  },
  [`${VALIDATION_PREFIX}/campaigns/{campaignId}/gates`]: {
    get: {
      summary: "The campaign's gates",
      tags: tag,
      ...scannerSecurity,
      parameters: [pathId('campaignId', 'Campaign id')],
      responses: {
        '200': json('{ items }', {
          type: 'object',
          properties: { items: { type: 'array', items: gateSchema } },
        }),
        ...scannerErrors,
      },
    },
    post: {
      summary: 'Create a gate ("North gate")',
      tags: tag,
      ...withCsrf,
      parameters: [pathId('campaignId', 'Campaign id')],
      requestBody: body(gateBody),
      responses: {
        '201': json('The gate', gateSchema),
        ...staffErrors,
        '409': errorResponse('GATE_NAME_TAKEN'),
      },
    },
  },
  [`${VALIDATION_PREFIX}/campaigns/{campaignId}/devices`]: {
    get: {
      summary: "The campaign's scanner devices (name, gate, last seen, last sync)",
      tags: tag,
      ...signedIn,
      parameters: [pathId('campaignId', 'Campaign id')],
      responses: {
        '200': json('{ items }', {
          type: 'object',
          properties: { items: { type: 'array', items: deviceSchema } },
        }),
        ...staffErrors,
      },
    },
    post: {
      summary: 'Create a device and its single-use setup link (with a QR code of it)',
      tags: tag,
      ...withCsrf,
      parameters: [pathId('campaignId', 'Campaign id')],
      requestBody: body(deviceBody),
      responses: { '201': json('The device and its setup link', enrolmentSchema), ...staffErrors },
    },
  },
  [`${VALIDATION_PREFIX}/devices/{id}`]: {
    patch: {
      summary: 'Rename a device or move it to another gate',
      tags: tag,
      ...withCsrf,
      parameters: [pathId('id', 'Device id')],
      requestBody: body(devicePatchBody),
      responses: {
        '200': json('The device', deviceSchema),
        ...staffErrors,
        '409': errorResponse('DEVICE_REVOKED'),
      },
    },
  },
  [`${VALIDATION_PREFIX}/devices/{id}/revoke`]: {
    post: {
      summary: 'Revoke a device: refused from its next request on',
      tags: tag,
      ...withCsrf,
      parameters: [pathId('id', 'Device id')],
      responses: {
        '200': json('The device', deviceSchema),
        ...staffErrors,
        '409': errorResponse('DEVICE_REVOKED'),
      },
    },
  },
  [`${VALIDATION_PREFIX}/devices/{id}/enrolment`]: {
    post: {
      summary: 'A new setup link for a device (the previous one stops working)',
      tags: tag,
      ...withCsrf,
      parameters: [pathId('id', 'Device id')],
      responses: {
        '201': json('The device and its setup link', enrolmentSchema),
        ...staffErrors,
        '409': errorResponse('DEVICE_REVOKED'),
      },
    },
  },
  [`${VALIDATION_PREFIX}/enrol`]: {
    post: {
      summary:
        'Exchange a setup link token for a device token (API clients; the page uses GET /gate/enrol/:token)',
      tags: tag,
      requestBody: body(enrolBody),
      responses: {
        '200': json('{ deviceToken, device }: send `Authorization: Device <deviceToken>`'),
        '400': errorResponse('VALIDATION_FAILED'),
        '404': errorResponse('ENROLMENT_EXPIRED: used, expired or unknown'),
        '429': errorResponse('RATE_LIMITED'),
      },
    },
  },
  [`${VALIDATION_PREFIX}/campaigns/{campaignId}/counts`]: {
    get: {
      summary: 'Live gate counts (also pushed as gate:counts over Socket.io)',
      tags: tag,
      ...signedIn,
      parameters: [pathId('campaignId', 'Campaign id')],
      responses: { '200': json('Counts', countsSchema), ...staffErrors },
    },
  },
  [`${VALIDATION_PREFIX}/campaigns/{campaignId}/conflicts`]: {
    get: {
      summary: 'Offline scans the server decided otherwise than the device (newest first, up to 200)',
      tags: tag,
      ...signedIn,
      parameters: [pathId('campaignId', 'Campaign id')],
      responses: { '200': json('{ items, nextCursor: null }'), ...staffErrors },
    },
  },
};
