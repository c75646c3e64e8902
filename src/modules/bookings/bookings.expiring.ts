import type { Clock } from '../../shared/clock';
import type { Config } from '../../shared/config';
import type { Db } from '../../shared/db';
import { createEvent } from '../../shared/messaging/events';
import { enqueue } from '../../shared/outbox';
import { BookingEvents, type BookingExpiringPayload } from './bookings.events';
import * as repo from './bookings.repository';

/*
 * "Your hold ends soon": the scheduler's `bookings.warn-expiring` job. One transaction marks each
 * due hold (`expiry_warned_for = expires_at`, rows claimed FOR UPDATE SKIP LOCKED) and writes its
 * booking.expiring event to the outbox, so each expiry is announced once however many schedulers
 * run, and an extended hold (a new expires_at) is announced again before its new end. Nothing about
 * the hold itself changes: stock, status and the expiry job are untouched.
 */
export function createExpiryWarnings(deps: {
  prisma: Db;
  clock: Clock;
  config: Pick<Config, 'BOOKING_EXPIRY_WARNING_MINUTES' | 'BOOKING_EXPIRY_BATCH_SIZE'>;
}) {
  const { prisma, clock, config } = deps;
  return {
    /** Announces (booking.expiring) the unpaid holds that lapse within the warning's lead; answers how many. */
    async warnExpiringHolds(): Promise<number> {
      const leadMs = config.BOOKING_EXPIRY_WARNING_MINUTES * 60_000;
      if (leadMs <= 0) return 0;
      return prisma.$transaction(async (tx) => {
        const due = await repo.claimExpiringHolds(tx, clock.now(), leadMs, config.BOOKING_EXPIRY_BATCH_SIZE);
        await enqueue(
          tx,
          due.map((b) =>
            createEvent<BookingExpiringPayload>(
              BookingEvents.expiring,
              {
                bookingId: b.id,
                reference: b.reference,
                campaignId: b.campaignId,
                userId: b.userId,
                ticketTypeIds: b.ticketTypeIds,
                expiresAt: b.expiresAt.toISOString(),
              },
              clock,
            ),
          ),
        );
        return due.length;
      });
    },
  };
}
