import { createModules } from '../../src/modules/container';
import { runWorkerProcess } from '../../src/shared/worker';
import { PRESENTATION_CACHE_MS, ticketsConsumers } from './handler';

/**
 * Tickets worker: issues tickets and their PDF on booking.confirmed, revokes them on
 * booking.cancelled (refund or cancellation). Run as many copies as rendering needs: the inbox
 * and the per-booking issuance lock keep every booking's tickets and file single.
 */
runWorkerProcess('tickets', (platform) => ({
  consumers: ticketsConsumers(createModules(platform, { presentationCacheMs: PRESENTATION_CACHE_MS })),
}));
