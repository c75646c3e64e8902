import { createStorage } from '../../src/shared/storage';
import { runWorkerProcess } from '../../src/shared/worker';
import { ticketsConsumers } from './handler';

/**
 * Tickets worker: issues tickets and their PDF on booking.confirmed, revokes them on
 * booking.cancelled (refund or cancellation). Run as many copies as rendering needs: the inbox
 * and the per-booking issuance lock keep every booking's tickets and file single.
 */
runWorkerProcess('tickets', (platform) => ({
  consumers: ticketsConsumers(platform, createStorage(platform.config)),
}));
