import type { WebModule } from '../registry';
import type { Platform } from '../../shared/platform';
import { venuesPages } from './venues.pages';
import { venuesRoutes } from './venues.routes';
import type { VenuesService } from './venues.service';

/*
 * Venues module: reusable venue templates (sections, rows, seats, price zones), seller-owned or
 * shared by a platform admin. Public API: the service (built in the container), whose
 * layoutForCampaign the campaigns module calls when a campaign is created on a venue.
 */
export {
  createVenuesService,
  type VenuesService,
  type VenueInput,
  type SectionInput,
} from './venues.service';
export { VenueEvents, type VenueUpdatedPayload } from './venues.events';
export type { Cell, CellKind, Row, Zone, VenueLayout, VenueRecord } from './venues.types';

/** The venues API and the seller's venue pages (list, layout editor). */
export function venuesWebModule(platform: Platform, service: VenuesService): WebModule {
  return {
    name: 'venues',
    api: [venuesRoutes(platform, service)],
    // Linked from the seller's campaign pages (no top-level menu entry of its own).
    pages: venuesPages(service),
  };
}
