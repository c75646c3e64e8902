import { BookingEvents, type BookingEventPayload } from '../../src/modules/bookings';
import type { PreparedIssue, TicketsWorkflows } from '../../src/modules/tickets';
import { AppError, PermanentError } from '../../src/shared/errors';
import { defineConsumer, type ConsumerSpec } from '../../src/shared/messaging/consumer';
import type { DomainEvent } from '../../src/shared/messaging/events';
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
      // A redelivered, processed event finds its tickets filed in prepareIssue and renders
      // nothing; the inbox insert in `handle` then skips it. No separate inbox read per message.
      inboxPrecheck: false,
      // Step 1, before the inbox transaction: issue the tickets once (own short transaction) and
      // render their PDF. A write in `prepare` is safe here because it is idempotent by itself
      // (the issuance lock and the unique booking position make the tickets once), and `handle`
      // re-checks what it relies on with a guarded transition (file_key NULL → key, VALID only).
      async prepare(event, { logger }) {
        const bookingId = bookingIdOf(event);
        logger.info('issuing tickets', { bookingId, eventId: event.id });
        return flows.prepareIssue(bookingId).catch((err: unknown) => {
          throw classify(err);
        });
      },
      async handle(event, { tx, logger }, prepared) {
        const bookingId = bookingIdOf(event);
        const result = prepared.outcome === 'UNFILED' ? await flows.fileIssued(tx, prepared) : prepared;
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
            logger.info('booking is not confirmed any more: no tickets', {
              bookingId,
              status: result.status,
            });
            return;
          case 'BOOKING_NOT_FOUND':
            throw new PermanentError(`booking ${bookingId} of ${event.name} ${event.id} does not exist`);
          case 'CAMPAIGN_NOT_FOUND':
            throw new PermanentError(`campaign ${result.campaignId} of booking ${bookingId} does not exist`);
        }
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
