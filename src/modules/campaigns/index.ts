import type { WebModule } from '../registry';
import type { Platform } from '../../shared/platform';
import { registerCounterSockets } from './campaigns.live';
import { campaignsPages } from './campaigns.pages';
import { campaignsRoutes } from './campaigns.routes';
import { createCampaignsService } from './campaigns.service';
import { createStorage } from '../../shared/storage';
import type { CampaignHooks } from './campaigns.service';

/*
 * Campaigns module: campaigns, ticket types and their inventory counters, browse, live counters.
 * Public API: the service (for the web), the inventory functions (for bookings, inside the
 * booking's transaction), the live-counters consumer and the scheduler jobs (for workers).
 */
export {
  createCampaignsService,
  type CampaignHooks,
  type CampaignInput,
  type CampaignsService,
  type TicketTypeInput,
} from './campaigns.service';
export {
  commitStock,
  getCampaignForSale,
  getCampaignsByIds,
  getCounters,
  getTicketTypesByIds,
  releaseStock,
  reserveStock,
  sellStock,
  unsellStock,
  type CampaignForSale,
} from './campaigns.inventory';
export { liveCountersConsumer, COUNTER_EVENT, roomOf } from './campaigns.live';
export { flushViews, viewsByDay } from './campaigns.views';
export { refundDeadlineOf } from './campaigns.policy';
export { CampaignEvents } from './campaigns.events';
export type {
  CampaignEventPayload,
  CampaignCancelledPayload,
  CampaignUpdatedPayload,
} from './campaigns.events';
export type {
  CampaignRecord,
  TicketTypeRecord,
  CounterSnapshot,
  StockItem,
  CampaignKind,
} from './campaigns.types';

export function campaignsWebModule(platform: Platform, hooks: CampaignHooks = {}): WebModule {
  const service = createCampaignsService(platform);
  const storage = createStorage(platform.config);
  return {
    name: 'campaigns',
    api: [campaignsRoutes(platform, service, storage, hooks)],
    pages: campaignsPages(platform, service, storage),
    nav: [
      { label: 'Events', href: '/campaigns' },
      {
        label: 'My campaigns',
        href: '/seller/campaigns',
        when: (u) =>
          Boolean(u && (u as { roles?: string[] }).roles?.some((r) => r === 'SELLER' || r === 'SUPER_ADMIN')),
      },
    ],
    sockets: (io) => registerCounterSockets(io, platform.prisma),
  };
}
