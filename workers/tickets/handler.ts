import { BookingEvents, type BookingEventPayload } from '../../src/modules/bookings';
import type { IssueHint, PreparedIssue, TicketsWorkflows } from '../../src/modules/tickets';
import { AppError, PermanentError } from '../../src/shared/errors';
import { defineConsumer, type ConsumerSpec } from '../../src/shared/messaging/consumer';
import type { DomainEvent } from '../../src/shared/messaging/events';
import { recordInbox } from '../../src/shared/messaging/inbox';
import type { Logger } from '../../src/shared/logger';
import type { QueueTopology } from '../../src/shared/messaging/topology';
import { isUuid } from '../../src/shared/uuid';

/** How long the worker reuses a campaign's seller name and ticket type names (see pdfContextFor). */
export const PRESENTATION_CACHE_MS = 10_000;

/** The tickets worker's queues: the relay declares them from this constant (workers/topology.ts). */
export const TicketsQueues = {
  issue: { name: 'tickets.issue', events: [BookingEvents.confirmed] },
  revoke: { name: 'tickets.revoke', events: [BookingEvents.cancelled] },
} as const satisfies Record<string, QueueTopology>;

/** The booking id an event names, or a PermanentError: a retry cannot fix a malformed payload. */
export function bookingIdOf(event: DomainEvent<Partial<BookingEventPayload>>): string {
  const id = event.payload?.bookingId;
  if (typeof id !== 'string' || !isUuid(id))
    throw new PermanentError(`${event.name} ${event.id} has no valid bookingId`);
  return id.toLowerCase();
}

/** A refusal of our own input (AppError 400, e.g. INVALID_TICKET_ISSUE) is permanent; anything else may pass on retry. */
function classify(err: unknown): unknown {
  if (err instanceof AppError && err.kind === 'validation')
    return new PermanentError(err.message, { cause: err });
  return err;
}

/** The ids booking.confirmed carries besides the booking's: what the pool path reads by (checked against the booking). */
function issueHintOf(event: DomainEvent<Partial<BookingEventPayload>>): IssueHint | undefined {
  const p = event.payload;
  const ids = p?.ticketTypeIds;
  if (!p || !isUuid(p.campaignId) || !isUuid(p.userId) || !Array.isArray(ids) || !ids.every(isUuid))
    return undefined;
  return { campaignId: p.campaignId, userId: p.userId, ticketTypeIds: ids };
}

type IssueReport =
  Exclude<PreparedIssue, { outcome: 'UNFILED' }> | Awaited<ReturnType<TicketsWorkflows['fileIssued']>>;

/** One line per job: what became of the booking's tickets; a PermanentError when its booking or campaign is gone. */
function reportIssue(
  logger: Logger,
  event: DomainEvent<Partial<BookingEventPayload>>,
  bookingId: string,
  result: IssueReport,
): void {
  switch (result.outcome) {
    case 'ISSUED':
      logger.info('tickets issued', {
        bookingId,
        tickets: result.tickets.length,
        fileKey: result.fileKey,
      });
      return;
    case 'ALREADY_ISSUED':
      logger.info('tickets were already issued', { bookingId, tickets: result.tickets.length });
      return;
    case 'REVOKED':
      logger.info('tickets were revoked before their file was stored: no file', { bookingId });
      return;
    case 'NOT_CONFIRMED':
      logger.info('booking is not confirmed any more: no tickets', { bookingId, status: result.status });
      return;
    case 'BOOKING_NOT_FOUND':
      throw new PermanentError(`booking ${bookingId} of ${event.name} ${event.id} does not exist`);
    case 'CAMPAIGN_NOT_FOUND':
      throw new PermanentError(`campaign ${result.campaignId} of booking ${bookingId} does not exist`);
  }
}

/**
 * The tickets worker's consumers. Both run in the consumer's transaction (inbox row included),
 * re-read the booking by id and act only on its current state, so a duplicate, late or
 * out-of-order delivery changes nothing that should not change.
 */
export function ticketsConsumers(modules: {
  tickets: TicketsWorkflows;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
}): ConsumerSpec<Partial<BookingEventPayload>, any>[] {
  const flows = modules.tickets;
  return [
    defineConsumer<Partial<BookingEventPayload>, PreparedIssue>({
      ...TicketsQueues.issue,
      // Rendering is CPU work and one process renders one PDF at a time; while one job renders,
      // the others wait on PostgreSQL, RabbitMQ or the disk (fsync of the stored PDF), so a few
      // in flight keep the process busy. Since the render holds no lock (see prepareIssue), jobs
      // of one campaign no longer queue behind it, in this process or in another copy.
      concurrency: 6,
      // The handler records the inbox row itself, in the transaction of its own writes: on the pg
      // pool in the common case (fileIssuedOnPool: the inbox row, the filing and the outbox row in
      // one statement), else in a Prisma transaction as the consumer would. Exactly once either
      // way: a committed inbox row means the event's effects committed with it.
      inbox: false,
      // Step 1, before the inbox transaction: issue the tickets once (own short transaction) and
      // render their PDF. A write here is safe because it is idempotent by itself (the issuance
      // lock and the unique booking position make the tickets once), and the second step
      // re-checks what it relies on with a guarded transition (file_key NULL → key, VALID only).
      // A redelivered, processed event finds its tickets filed and renders nothing.
      async prepare(event, { logger }) {
        const bookingId = bookingIdOf(event);
        logger.info('issuing tickets', { bookingId, eventId: event.id });
        return flows.prepareIssue(bookingId, issueHintOf(event)).catch((err: unknown) => {
          throw classify(err);
        });
      },
      async handle(event, { db, logger }, prepared) {
        const bookingId = bookingIdOf(event);
        const report = (result: IssueReport) => reportIssue(logger, event, bookingId, result);
        if (prepared.outcome === 'UNFILED') {
          const filed = await flows.fileIssuedOnPool(TicketsQueues.issue.name, event.id, prepared);
          if (filed?.outcome === 'DUPLICATE') {
            logger.debug('duplicate delivery skipped', { eventId: event.id });
            return;
          }
          if (filed) return report(filed);
        }
        await db.$transaction(
          async (tx) => {
            if (!(await recordInbox(tx, TicketsQueues.issue.name, event.id))) return;
            report(prepared.outcome === 'UNFILED' ? await flows.fileIssued(tx, prepared) : prepared);
          },
          { timeout: 120_000, maxWait: 30_000 },
        );
      },
    }),
    {
      ...TicketsQueues.revoke,
      async handle(event, { tx, logger }) {
        const bookingId = bookingIdOf(event);
        const result = await flows.revokeForBooking(tx, bookingId);
        if (result.outcome === 'BOOKING_NOT_FOUND') {
          throw new PermanentError(`booking ${bookingId} of ${event.name} ${event.id} does not exist`);
        }
        if (result.outcome === 'REVOKED') {
          logger.info('tickets revoked', {
            bookingId,
            reason: result.reason,
            revoked: result.ticketIds.length,
          });
        } else {
          logger.info('booking still stands: nothing revoked', { bookingId, status: result.status });
        }
      },
    },
  ];
}
