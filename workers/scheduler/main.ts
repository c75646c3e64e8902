import { flushViews } from '../../src/modules/campaigns';
import { createModules } from '../../src/modules/container';
import { runWorkerProcess } from '../../src/shared/worker';

/**
 * Scheduler: time-driven transitions. Every job claims its rows with SKIP LOCKED and moves
 * them with guarded transitions, so any number of copies can run.
 */
runWorkerProcess('scheduler', (platform) => {
  const { campaigns, bookings, finance } = createModules(platform);
  const every = platform.config.SCHEDULER_TICK_MS;
  return {
    jobs: [
      { name: 'campaigns.end-due', everyMs: every, run: () => campaigns.endDueCampaigns() },
      {
        name: 'campaigns.flush-views',
        everyMs: every * 4,
        run: () => flushViews(platform.redis, platform.config.REDIS_PREFIX, platform.prisma),
      },
      // Ended campaigns' money: pending → available once SETTLEMENT_DELAY_HOURS have passed.
      { name: 'finance.settle-campaigns', everyMs: every * 4, run: () => finance.settleDueCampaigns() },
      { name: 'bookings.expire-holds', everyMs: every, run: () => bookings.expireDueBookings() },
      // "Your hold ends soon" (an in-app notification) BOOKING_EXPIRY_WARNING_MINUTES before it lapses.
      { name: 'bookings.warn-expiring', everyMs: every, run: () => bookings.warnExpiringHolds() },
      // Unclaimed waiting-list offers pass to the next in line.
      { name: 'bookings.expire-offers', everyMs: every, run: () => bookings.expireDueOffers() },
      {
        name: 'bookings.purge-idempotency-keys',
        everyMs: every * 40,
        run: () => bookings.purgeIdempotencyKeys(),
      },
    ],
  };
});
