import type { Clock } from '../../shared/clock';
import type { Config } from '../../shared/config';
import type { Db } from '../../shared/db';
import type { Actor } from '../../shared/http/authorize';
import { BookingErrors } from './bookings.errors';
import * as repo from './bookings.repository';
import { withSeats } from './bookings.seats';
import type { BookingRecord } from './bookings.types';

/*
 * Extending a hold: once per booking, by BOOKING_HOLD_EXTENSION_MINUTES, never past
 * BOOKING_HOLD_MAX_MINUTES after the booking was made. One guarded UPDATE decides it
 * (`status = 'PENDING' AND hold_extended_at IS NULL AND expires_at > now`): an extension racing
 * the expiry job either commits first (the job, which re-checks expires_at <= now on rows it
 * locked, then skips the booking) or finds it EXPIRED and changes nothing. Two extensions
 * racing: the second sees hold_extended_at set. Stock and seats do not move: they stay held.
 */
export function createHolds(deps: {
  prisma: Db;
  clock: Clock;
  config: Pick<Config, 'BOOKING_HOLD_EXTENSION_MINUTES' | 'BOOKING_HOLD_MAX_MINUTES'>;
}) {
  const { prisma, clock, config } = deps;
  return {
    /** Moves a PENDING booking's expiresAt later, once, within the maximum; answers the booking. */
    async extendHold(actor: Actor, bookingId: string): Promise<BookingRecord> {
      const now = clock.now();
      const b = await repo.findBooking(prisma, bookingId);
      if (!b || b.userId !== actor.userId) throw BookingErrors.notFound();
      if (b.status !== 'PENDING' || b.expiresAt <= now)
        throw BookingErrors.notExtendable('This hold has ended, so it cannot be extended.');
      if (b.holdExtendedAt)
        throw BookingErrors.notExtendable(
          'This hold was already extended once; it cannot be extended again.',
        );
      const max = b.createdAt.getTime() + config.BOOKING_HOLD_MAX_MINUTES * 60_000;
      const until = new Date(
        Math.min(b.expiresAt.getTime() + config.BOOKING_HOLD_EXTENSION_MINUTES * 60_000, max),
      );
      if (until <= b.expiresAt)
        throw BookingErrors.notExtendable('This hold is already as long as a hold can be.');
      if (!(await repo.extendHold(prisma, b.id, actor.userId, until, now)))
        throw BookingErrors.notExtendable(
          'This hold has ended or was already extended once; it cannot be extended again.',
        );
      return (await withSeats(prisma, [{ ...b, expiresAt: until, holdExtendedAt: now, updatedAt: now }]))[0]!;
    },
  };
}
