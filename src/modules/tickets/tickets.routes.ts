import type { Response } from 'express';
import { AppError } from '../../shared/errors';
import { actorOf, requireSignIn } from '../../shared/http/authorize';
import { defineApi } from '../../shared/http/api';
import type { ApiModule } from '../../shared/http/openapi';
import { createRateLimit } from '../../shared/http/rate-limit';
import { pageQuery, uuid, z } from '../../shared/http/schema';
import type { Platform } from '../../shared/platform';
import { isUuid } from '../../shared/uuid';
import { publicKeyDto, revocationListDto, ticketDto } from './tickets.dto';
import type { TicketsWorkflows } from './tickets.workflows';

const byId = (description: string) => z.object({ id: uuid('not a valid id').meta({ description }) });

function encodeCursor(ticketId: string): string {
  return Buffer.from(ticketId).toString('base64url');
}
function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!isUuid(id)) {
    throw AppError.validation(
      'The cursor is not valid',
      [{ field: 'cursor', message: 'use nextCursor from a previous page' }],
      'INVALID_CURSOR',
    );
  }
  return id;
}

function sendPdf(res: Response, pdf: Buffer, filename: string): void {
  res
    .status(200)
    .type('application/pdf')
    // The buyer's own document: never kept by shared caches.
    .set('Cache-Control', 'private, no-store')
    .set('Content-Disposition', `attachment; filename="${filename}"`)
    .send(pdf);
}

const pdfResponse = (description: string) => ({
  description,
  content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } },
});
const gateDescription =
  "For gate devices: the campaign's seller, the MANAGERs of that seller assigned to the campaign, and admins. " +
  'Others: 403 NOT_GATE_STAFF (404 for a draft).';

/**
 * The tickets API: the buyer's tickets and PDFs, resending them, and what a gate device
 * downloads before going offline (public keys, revocation list). Three routers because the
 * paths live under three prefixes.
 */
export function ticketsRoutes(platform: Platform, flows: TicketsWorkflows): ApiModule[] {
  const { config, redis } = platform;
  const signedIn = { security: 'session', use: [requireSignIn()] } as const;

  const tickets = defineApi({ name: 'tickets', prefix: '/api/v1/tickets', tags: ['tickets'] });
  tickets.get(
    '/',
    {
      summary: "The signed-in user's tickets, newest booking first",
      ...signedIn,
      query: z.object(pageQuery(100)),
      responses: {
        200: {
          description: '{ items, nextCursor }',
          schema: {
            type: 'object',
            properties: {
              items: { type: 'array', items: ticketSchema },
              nextCursor: { type: ['string', 'null'] },
            },
          },
        },
        400: 'VALIDATION_FAILED or INVALID_CURSOR',
        401: 'Not signed in',
      },
    },
    async ({ query }, req, res) => {
      const limit = query.limit ?? 50;
      const rows = await flows.listTicketsOf(
        actorOf(req).userId,
        limit + 1,
        query.cursor ? decodeCursor(query.cursor) : undefined,
      );
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      res.json({
        items: page.map(ticketDto),
        nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null,
      });
    },
  );
  tickets.get(
    '/:id/pdf',
    {
      summary: "One ticket's PDF (its buyer only)",
      description:
        'A one-page PDF with the signed QR code. Anyone but the buyer gets 404, as for a ticket that does not exist. ' +
        'A revoked ticket (its booking was cancelled or refunded) has no PDF: 422 TICKET_REVOKED; a document that looks ' +
        'valid but admits no one would only help someone resell it.',
      ...signedIn,
      params: byId('Ticket id'),
      responses: {
        200: pdfResponse('The PDF (Content-Disposition: attachment)'),
        400: 'VALIDATION_FAILED',
        401: 'Not signed in',
        404: 'TICKET_NOT_FOUND',
        422: 'TICKET_REVOKED',
      },
    },
    async ({ params }, req, res) => {
      const { ticket, pdf } = await flows.getTicketPdfForOwner(actorOf(req).userId, params.id);
      sendPdf(res, pdf, `ticket-${String(ticket.serial).padStart(6, '0')}.pdf`);
    },
  );

  const bookings = defineApi({ name: 'tickets-bookings', prefix: '/api/v1/bookings', tags: ['tickets'] });
  bookings.get(
    '/:id/tickets.pdf',
    {
      summary: "All of a booking's tickets in one PDF (its buyer only)",
      description:
        'One page per ticket. 404 for anyone but the buyer, and while the tickets are not issued yet (the tickets worker ' +
        'issues them seconds after the booking is confirmed). 422 TICKET_REVOKED once the booking was cancelled or refunded.',
      ...signedIn,
      params: byId('Booking id'),
      responses: {
        200: pdfResponse('The PDF (Content-Disposition: attachment)'),
        400: 'VALIDATION_FAILED',
        401: 'Not signed in',
        404: 'TICKETS_NOT_FOUND',
        422: 'TICKET_REVOKED',
      },
    },
    async ({ params }, req, res) => {
      const { pdf, bookingReference } = await flows.getBookingPdfForOwner(actorOf(req).userId, params.id);
      sendPdf(res, pdf, `tickets-${bookingReference}.pdf`);
    },
  );
  // Per user across every web process: each resend is an email to the buyer's own address.
  const resendLimit = createRateLimit(redis, config.REDIS_PREFIX, {
    name: 'tickets-resend',
    windowMs: config.TICKETS_RESEND_RATE_LIMIT_WINDOW_MS,
    limit: config.TICKETS_RESEND_RATE_LIMIT_MAX,
    key: (req) => `u:${req.actor?.userId ?? 'anonymous'}`,
  });
  bookings.post(
    '/:id/resend-tickets',
    {
      summary: "Email the booking's tickets to its buyer again (PDF attached)",
      description:
        "Queues a new email to the buyer's account address; each accepted request is its own email, whatever was sent " +
        'before. Rate limited per user (TICKETS_RESEND_RATE_LIMIT_MAX per TICKETS_RESEND_RATE_LIMIT_WINDOW_MS).',
      security: 'csrf',
      use: [requireSignIn(), resendLimit],
      params: byId('Booking id'),
      responses: {
        202: {
          description: 'Queued; the email worker sends it',
          schema: {
            type: 'object',
            required: ['requestId'],
            properties: { requestId: { type: 'string', format: 'uuid' } },
          },
        },
        400: 'VALIDATION_FAILED',
        401: 'Not signed in',
        403: 'CSRF_INVALID',
        404: 'TICKETS_NOT_FOUND: no tickets yet, or not your booking',
        422: 'TICKET_REVOKED',
        429: 'RATE_LIMITED',
      },
    },
    async ({ params }, req, res) => {
      const { requestId } = await flows.tickets.requestTicketsResend(actorOf(req).userId, params.id);
      res.status(202).json({ requestId });
    },
  );

  const gate = defineApi({ name: 'tickets-gate', prefix: '/api/v1/campaigns', tags: ['tickets'] });
  const gateErrors = {
    400: 'VALIDATION_FAILED',
    401: 'Not signed in',
    403: 'NOT_GATE_STAFF',
    404: 'CAMPAIGN_NOT_FOUND',
  };
  gate.get(
    '/:id/revocations',
    {
      summary: "The campaign's revoked tickets, to refuse them offline",
      description:
        `${gateDescription} The ETag is the list's version: send it back in If-None-Match and an unchanged list answers ` +
        '304 with no body.',
      ...signedIn,
      params: byId('Campaign id'),
      parameters: [{ name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' } }],
      responses: {
        200: { description: 'The revocation list', schema: revocationListSchema },
        304: 'Unchanged since the ETag sent',
        ...gateErrors,
      },
    },
    async ({ params }, req, res) => {
      const list = await flows.getRevocationListForGate(actorOf(req), params.id);
      // Devices poll this: the version as ETag lets them skip the body when nothing changed.
      res.set('ETag', `"${list.version}"`).set('Cache-Control', 'private, no-cache');
      if (req.fresh) return void res.status(304).end();
      res.json(revocationListDto(list));
    },
  );
  gate.get(
    '/:id/keys',
    {
      summary: "The campaign's Ed25519 public keys, to verify ticket QR codes offline",
      description:
        `${gateDescription} ACTIVE signs new tickets; ROTATED still verifies tickets signed before a rotation. The QR ` +
        'payload names its key id; the signature covers "TMQR" + the 61 claim bytes.',
      ...signedIn,
      params: byId('Campaign id'),
      responses: { 200: { description: 'The keys', schema: keysSchema }, ...gateErrors },
    },
    async ({ params }, req, res) => {
      const keys = await flows.getPublicKeysForGate(actorOf(req), params.id);
      res.set('Cache-Control', 'private, no-cache');
      res.json({ campaignId: params.id, items: keys.map(publicKeyDto) });
    },
  );

  return [tickets.module(), bookings.module(), gate.module()];
}

const ticketSchema = {
  type: 'object',
  required: ['id', 'bookingId', 'campaignId', 'ticketTypeId', 'serial', 'status', 'maxScans', 'scanCount'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    bookingId: { type: 'string', format: 'uuid' },
    bookingPosition: { type: 'integer', description: '1..n within the booking' },
    campaignId: { type: 'string', format: 'uuid' },
    campaign: {
      type: ['object', 'null'],
      properties: {
        id: { type: 'string' },
        title: { type: 'string' },
        slug: { type: 'string' },
        kind: { type: 'string' },
        startsAt: { type: 'string', format: 'date-time' },
        endsAt: { type: 'string', format: 'date-time' },
        venueName: { type: 'string' },
        city: { type: 'string' },
        timezone: { type: 'string' },
      },
    },
    ticketTypeId: { type: 'string', format: 'uuid' },
    ticketTypeName: { type: 'string' },
    serial: { type: 'integer', description: 'Unique per campaign, printed as 6 digits' },
    holderName: { type: 'string' },
    admits: { type: 'integer', description: 'People this ticket admits' },
    maxScans: { type: 'integer', description: 'Entries allowed in total (people × entries per person)' },
    scanCount: { type: 'integer', description: 'Entries used so far' },
    status: { type: 'string', enum: ['VALID', 'REVOKED'] },
    validFrom: { type: 'string', format: 'date-time' },
    validUntil: { type: 'string', format: 'date-time' },
    revokedAt: { type: ['string', 'null'], format: 'date-time' },
    revokedReason: { type: ['string', 'null'], enum: ['CANCELLED', 'REFUNDED', 'REISSUED', null] },
    qrText: {
      type: ['string', 'null'],
      description:
        'What the QR code carries: the Base45 text of the signed payload (Ed25519, campaign key). Null once revoked.',
    },
    pdfUrl: { type: ['string', 'null'], description: "This ticket's PDF; null once revoked" },
    createdAt: { type: 'string', format: 'date-time' },
  },
};

const revocationListSchema = {
  type: 'object',
  properties: {
    campaignId: { type: 'string', format: 'uuid' },
    version: { type: 'string' },
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          ticketId: { type: 'string', format: 'uuid' },
          serial: { type: 'integer' },
          revokedAt: { type: 'string', format: 'date-time' },
          reason: { type: 'string', enum: ['CANCELLED', 'REFUNDED', 'REISSUED'] },
        },
      },
    },
  },
};

const keysSchema = {
  type: 'object',
  properties: {
    campaignId: { type: 'string', format: 'uuid' },
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          campaignId: { type: 'string', format: 'uuid' },
          keyId: { type: 'integer' },
          algorithm: { type: 'string', enum: ['Ed25519'] },
          publicKey: { type: 'string', description: 'Raw 32-byte public key, base64url' },
          status: { type: 'string', enum: ['ACTIVE', 'ROTATED'] },
          createdAt: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
};
