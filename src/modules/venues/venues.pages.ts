import { Router } from 'express';
import { AppError } from '../../shared/errors';
import { isAdmin, requireRole } from '../../shared/http/authorize';
import { isUuid } from '../../shared/uuid';
import { renderPage } from '../../web/views';
import { venueDto, venueSummaryDto } from './venues.dto';
import type { VenuesService } from './venues.service';

/** Colours offered for new price zones (the seller can pick any). */
const ZONE_COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf'];

/**
 * The seller's venue pages: their venues (and the shared ones) with a form for a new one, and
 * the layout editor (sections generated from ranges, then edited on the seat map). Every change
 * goes through /api/v1/venues from the page's script; these routes only read.
 */
export function venuesPages(service: VenuesService): Router {
  const router = Router();
  const seller = requireRole('SELLER');

  router.get('/seller/venues', seller, async (req, res) => {
    const rows = await service.listVenues(req.actor!);
    renderPage(req, res, 'venues/list', {
      title: 'My venues',
      items: rows.map(venueSummaryDto),
      colours: ZONE_COLOURS,
      admin: isAdmin(req.actor!),
    });
  });

  router.get('/seller/venues/:id', seller, async (req, res) => {
    const id = String(req.params.id);
    if (!isUuid(id)) throw AppError.notFound('VENUE_NOT_FOUND', 'No such venue');
    const v = await service.getVenue(req.actor!, id);
    const editable = isAdmin(req.actor!) || v.sellerId === req.actor!.userId;
    renderPage(req, res, 'venues/edit', {
      title: `Venue ${v.name}`,
      venue: venueDto(v),
      editable,
      colours: ZONE_COLOURS,
    });
  });

  return router;
}
