import { Router } from 'express';
import { AppError } from '../../shared/errors';
import { requireSignIn } from '../../shared/http/authorize';
import type { Platform } from '../../shared/platform';
import { renderPage } from '../../web/views';
import { ticketDto, type TicketDto } from './tickets.dto';
import { formatSerial } from './tickets.pdf';
import { qrSvgDataUri } from './tickets.qr-image';
import type { TicketsWorkflows } from './tickets.workflows';
import { isUuid } from '../../shared/uuid';

const PAGE_SIZE = 50;

interface TicketCard extends TicketDto {
  serialLabel: string;
  /** The QR as an image the page shows (VALID tickets only). */
  qrImage: string | null;
}

interface BookingGroup {
  bookingId: string;
  campaign: TicketDto['campaign'];
  tickets: TicketCard[];
  allRevoked: boolean;
  /** A refund ending the booking is under way: its PDFs are not offered any more. */
  refunding: boolean;
}

/** What the tickets page reads from other modules (wired in src/modules/registry.ts). */
export interface TicketPageReads {
  refundInProgress(bookingId: string): Promise<boolean>;
}

/** "My tickets": every ticket with its QR code big enough to scan from a phone at the gate. */
export function ticketsPages(_platform: Platform, flows: TicketsWorkflows, reads: TicketPageReads): Router {
  const router = Router();

  router.get('/tickets', requireSignIn(), async (req, res) => {
    const cursor = typeof req.query.after === 'string' ? req.query.after : undefined;
    if (cursor !== undefined && !isUuid(cursor))
      throw AppError.notFound('PAGE_NOT_FOUND', 'No such page of tickets');
    const rows = await flows.listTicketsOf(req.actor!.userId, PAGE_SIZE + 1, cursor);
    const page = rows.slice(0, PAGE_SIZE);
    const groups: BookingGroup[] = [];
    for (const t of page) {
      const dto = ticketDto(t);
      const card: TicketCard = {
        ...dto,
        serialLabel: formatSerial(t.serial),
        qrImage: dto.qrText ? await qrSvgDataUri(dto.qrText) : null,
      };
      let group = groups[groups.length - 1];
      if (!group || group.bookingId !== t.bookingId) {
        group = {
          bookingId: t.bookingId,
          campaign: dto.campaign,
          tickets: [],
          allRevoked: true,
          refunding: false,
        };
        groups.push(group);
      }
      group.tickets.push(card);
      if (card.status === 'VALID') group.allRevoked = false;
    }
    for (const g of groups) if (!g.allRevoked) g.refunding = await reads.refundInProgress(g.bookingId);
    renderPage(req, res, 'tickets/list', {
      title: 'My tickets',
      groups,
      nextAfter: rows.length > PAGE_SIZE ? page[page.length - 1]!.id : null,
    });
  });

  return router;
}
