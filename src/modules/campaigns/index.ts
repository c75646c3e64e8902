import type { WebModule } from '../registry';
import type { Platform } from '../../shared/platform';
import type { Storage } from '../../shared/storage';
import { registerCounterSockets } from './campaigns.live';
import { campaignsPages, type CampaignPageSection, type VenueChoices } from './campaigns.pages';
export type { CampaignPageSection, VenueChoices } from './campaigns.pages';
import { campaignsRoutes } from './campaigns.routes';
import type { CampaignsService } from './campaigns.service';

/*
 * Campaigns module: campaigns, ticket types and their inventory counters, browse, live counters.
 * Public API: the service (built in the container), the inventory functions (for bookings,
 * inside the booking's transaction), the live-counter room names (for the realtime worker) and
 * the view counters (for the scheduler and analytics).
 */
export {
  createCampaignsService,
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
  saleForBookingSql,
  sellStock,
  unsellStock,
  type CampaignForSale,
} from './campaigns.inventory';
export {
  commitSeats,
  getSeatMap,
  getSeatsForSale,
  getTakenSeats,
  releaseSeats,
  takeSeats,
  unsellSeats,
} from './campaigns.seat-inventory';
export type { SeatForSale, SeatMap, SeatState, LayoutSection, LayoutCell } from './campaigns.seats.types';
export { COUNTER_EVENT, SEATS_EVENT, STOCK_LOW_EVENT, roomOf } from './campaigns.live';
export {
  defaultLowStockThreshold,
  isLowStock,
  lowStockThresholdOf,
  recordLowStockCrossings,
} from './campaigns.low-stock';
export { flushViews, viewsByDay } from './campaigns.views';
export { refundDeadlineOf } from './campaigns.policy';
export { inspectCoverImage } from './campaigns.images';
export { CampaignEvents } from './campaigns.events';
export type {
  CampaignEventPayload,
  CampaignCancelledPayload,
  CampaignUpdatedPayload,
  StockLowPayload,
} from './campaigns.events';
export type {
  CampaignRecord,
  TicketTypeRecord,
  CounterSnapshot,
  StockItem,
  CampaignKind,
} from './campaigns.types';

/** The campaigns pages and API, the cover images, and the live-counter rooms. */
export function campaignsWebModule(
  platform: Platform,
  service: CampaignsService,
  storage: Storage,
  sections: CampaignPageSection[] = [],
  venueChoices?: VenueChoices,
): WebModule {
  return {
    name: 'campaigns',
    api: [campaignsRoutes(platform, service, storage)],
    pages: campaignsPages(platform, service, storage, sections, venueChoices),
    nav: [
      { label: 'Events', href: '/campaigns' },
      {
        label: 'My campaigns',
        href: '/seller/campaigns',
        // Sellers only: platform staff never sell (an admin reaches a campaign's editor from Statistics).
        when: (u) => Boolean(u && (u as { roles?: string[] }).roles?.includes('SELLER')),
      },
    ],
    sockets: (io) => registerCounterSockets(io, platform),
  };
}
