import { formatMoney } from '../../shared/money';
import { fmt } from '../../web/views';

/*
 * The words of each in-app notification, in plain English (the platform's one language): money in
 * the campaign's currency through the shared money helper, times in the campaign's own time zone
 * with the zone named. Each answers a title, a body and the page it leads to.
 */

export interface Message {
  title: string;
  body: string;
  url: string;
}

export interface CampaignFacts {
  id: string;
  slug: string;
  title: string;
  timezone: string;
  startsAt: Date;
}

const when = (c: CampaignFacts) => fmt.when(c.startsAt.toISOString(), c.timezone);
const tickets = (n: number) => (n === 1 ? '1 ticket' : `${n} tickets`);
/** "20:15 (Lagos time)": a time of day in the campaign's zone, with the date when it is not the same day. */
const clock = (at: Date, tz: string) => fmt.date(at.toISOString(), tz) + ` (${fmt.zoneName(tz)})`;

export const messages = {
  bookingConfirmed(
    b: { id: string; reference: string; ticketCount: number; totalMinor: number; currency: string },
    c: CampaignFacts,
  ): Message {
    const paid = b.totalMinor > 0 ? `${formatMoney(b.totalMinor, b.currency)} paid.` : 'Free.';
    return {
      title: `Booking ${b.reference} confirmed`,
      body: `${tickets(b.ticketCount)} for ${c.title}, ${when(c)}. ${paid} Your tickets follow in a moment.`,
      url: `/bookings/${b.id}`,
    };
  },

  ticketsIssued(b: { reference: string; ticketCount: number }, c: CampaignFacts): Message {
    return {
      title: `Your tickets for ${c.title} are ready`,
      body: `${tickets(b.ticketCount)} (booking ${b.reference}) for ${when(c)}. Show the QR code at the gate; the PDF is in your email too.`,
      url: '/tickets',
    };
  },

  holdExpiring(
    b: { id: string; reference: string; ticketCount: number; expiresAt: Date },
    c: CampaignFacts,
  ): Message {
    return {
      title: 'Your hold ends soon',
      body: `${tickets(b.ticketCount)} for ${c.title} are held for you until ${clock(b.expiresAt, c.timezone)}. Pay before then to keep them.`,
      url: `/bookings/${b.id}`,
    };
  },

  refundCompleted(
    r: { bookingId: string; reference: string; amountMinor: number; currency: string },
    c: CampaignFacts,
  ): Message {
    return {
      title: `Refund of ${formatMoney(r.amountMinor, r.currency)} done`,
      body: `We sent ${formatMoney(r.amountMinor, r.currency)} back for booking ${r.reference} (${c.title}). Your bank or mobile money provider may take a few days to show it.`,
      url: `/bookings/${r.bookingId}`,
    };
  },

  campaignChanged(
    change: {
      startsAtChanged: boolean;
      previousStartsAt?: Date;
      venueChanged: boolean;
      venue: string;
      previousVenue?: string;
    },
    c: CampaignFacts,
  ): Message {
    const parts: string[] = [];
    if (change.startsAtChanged)
      parts.push(
        `It now starts ${when(c)}` +
          (change.previousStartsAt
            ? ` (it was ${fmt.when(change.previousStartsAt.toISOString(), c.timezone)})`
            : '') +
          '.',
      );
    else parts.push(`It is on ${when(c)}.`);
    if (change.venueChanged)
      parts.push(
        `New place: ${change.venue}` + (change.previousVenue ? ` (was ${change.previousVenue}).` : '.'),
      );
    parts.push('Your tickets stay valid.');
    return {
      title: `${c.title} has changed`,
      body: parts.join(' '),
      url: `/campaigns/${encodeURIComponent(c.slug)}`,
    };
  },

  campaignCancelled(reason: string | null, c: CampaignFacts): Message {
    return {
      title: `${c.title} is cancelled`,
      body: `The organiser cancelled ${c.title} (${when(c)})${reason ? `: "${reason}"` : ''}. Paid bookings are refunded in full; you will get a notice when yours is done.`,
      url: '/bookings',
    };
  },

  waitlistOffer(
    o: { id: string; quantity: number; typeName: string; expiresAt: Date },
    c: CampaignFacts,
  ): Message {
    return {
      title: `Tickets for ${c.title} are waiting for you`,
      body: `${o.quantity} × ${o.typeName} came back and are held for you until ${clock(o.expiresAt, c.timezone)}. Claim them before then or they go to the next person in line.`,
      url: `/waitlist/offers/${o.id}`,
    };
  },

  applicationDecided(a: { approved: boolean; businessName: string; reason: string | null }): Message {
    return a.approved
      ? {
          title: 'You can sell on Tikiti',
          body: `Your seller application for ${a.businessName} is approved. Create your first campaign when you are ready.`,
          url: '/seller/campaigns',
        }
      : {
          title: 'Your seller application was not approved',
          body: `We could not approve ${a.businessName}${a.reason ? `: ${a.reason}` : '.'} You can apply again with the details fixed.`,
          url: '/become-seller',
        };
  },

  saleMilestone(m: { milestone: SaleMilestone; sold: number; capacity: number }, c: CampaignFacts): Message {
    const title = {
      FIRST_SALE: `First sale for ${c.title}`,
      HALF: `${c.title} is half sold`,
      NINETY: `${c.title} is 90 % sold`,
      SOLD_OUT: `${c.title} is sold out`,
    }[m.milestone];
    return {
      title,
      body: `${m.sold} of ${m.capacity} tickets sold for ${when(c)}.`,
      url: `/seller/campaigns/${c.id}`,
    };
  },

  lowStock(s: { typeName: string; available: number; capacity: number }, c: CampaignFacts): Message {
    return {
      title: s.available > 0 ? `Few ${s.typeName} tickets left` : `${s.typeName} is sold out`,
      body:
        s.available > 0
          ? `Only ${s.available} of ${s.capacity} ${s.typeName} tickets are left for ${c.title}. Buyers now see "Few left".`
          : `All ${s.capacity} ${s.typeName} tickets for ${c.title} are sold or held.`,
      url: `/seller/campaigns/${c.id}`,
    };
  },

  payoutStatus(w: {
    stage: PayoutStage;
    amountMinor: number;
    currency: string;
    destination: string;
    reason?: string;
  }): Message {
    const amount = formatMoney(w.amountMinor, w.currency);
    const what = {
      REQUESTED: [
        'Withdrawal requested',
        `${amount} to ${w.destination} waits for approval by platform finance.`,
      ],
      APPROVED: ['Withdrawal approved', `${amount} to ${w.destination} is approved and being sent.`],
      REJECTED: [
        'Withdrawal not approved',
        `${amount} to ${w.destination} was not approved${w.reason ? `: ${w.reason}` : ''}. The money is back in your available balance.`,
      ],
      PAID: ['Withdrawal paid', `${amount} reached ${w.destination}.`],
      FAILED: [
        'Withdrawal failed',
        `${amount} to ${w.destination} failed${w.reason ? `: ${w.reason}` : ''}. The money is back in your available balance.`,
      ],
      REVERSED: [
        'Withdrawal reversed',
        `The provider reversed ${amount} to ${w.destination}. The money is back in your available balance.`,
      ],
    }[w.stage];
    return { title: what[0]!, body: what[1]!, url: '/finance' };
  },
};

export const SALE_MILESTONES = ['FIRST_SALE', 'HALF', 'NINETY', 'SOLD_OUT'] as const;
export type SaleMilestone = (typeof SALE_MILESTONES)[number];
export type PayoutStage = 'REQUESTED' | 'APPROVED' | 'REJECTED' | 'PAID' | 'FAILED' | 'REVERSED';

/**
 * The sale milestones a campaign has reached, from its sold tickets and total capacity (all types):
 * the first sale, half, 90 %, and sold out. Round fractions of capacity rather than fixed counts, so
 * a 40-seat bar night and a 40,000-seat stadium each hear about the same four moments. Each is told
 * once per campaign (its source key names it), even if refunds take sales below it and back.
 */
export function reachedMilestones(sold: number, capacity: number): SaleMilestone[] {
  if (capacity <= 0 || sold <= 0) return [];
  const reached: SaleMilestone[] = ['FIRST_SALE'];
  if (sold * 2 >= capacity) reached.push('HALF');
  if (sold * 10 >= capacity * 9) reached.push('NINETY');
  if (sold >= capacity) reached.push('SOLD_OUT');
  return reached;
}
