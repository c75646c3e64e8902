import { createModules } from '../../src/modules/container';
import { createRenderPool } from '../../src/modules/tickets';
import { runWorkerProcess } from '../../src/shared/worker';
import { PRESENTATION_CACHE_MS, ticketsConsumers } from './handler';

/**
 * Tickets worker: issues tickets and their PDF on booking.confirmed, revokes them on
 * booking.cancelled (refund or cancellation). Run as many copies as rendering needs: the inbox
 * and the per-booking issuance lock keep every booking's tickets and file single. PDFs render in
 * TICKETS_RENDER_THREADS threads of their own (createRenderPool) while this thread keeps
 * the queue, the database and the disk busy.
 */
runWorkerProcess('tickets', (platform) => {
  const pool = createRenderPool(platform.config.TICKETS_RENDER_THREADS);
  return {
    consumers: ticketsConsumers(
      createModules(platform, { presentationCacheMs: PRESENTATION_CACHE_MS, renderPdf: pool.render }),
    ),
    close: () => pool.close(),
  };
});
