/**
 * Email templates: each turns typed data into a subject, a plain-text part and an HTML part.
 * Every value interpolated into HTML goes through `esc`. Wording is plain and short: these are
 * transactional messages, read on phones.
 */
import { formatMoney } from '../../shared/money';

export interface TemplateData {
  'tickets-issued': {
    buyerName: string;
    campaignTitle: string;
    bookingReference: string;
    ticketCount: number;
    /** When and where, already formatted for the campaign's time zone. */
    when: string;
    venue: string;
    ticketsUrl: string;
    /** Seated tickets: each seat in words ("North Stand · row B · seat 5"). */
    seats?: string[];
    /** A late payment whose picked seats had been sold got these seats of the same zone instead. */
    seatsChanged?: boolean;
  };
  'booking-expired': {
    buyerName: string;
    campaignTitle: string;
    bookingReference: string;
    campaignUrl: string;
  };
  'booking-cancelled-by-seller': {
    buyerName: string;
    campaignTitle: string;
    bookingReference: string;
    /** The seller's reason, as they wrote it. */
    reason: string;
  };
  'refund-completed': {
    buyerName: string;
    campaignTitle: string;
    bookingReference: string;
    amountMinor: number;
    currency: string;
    /**
     * True when the refund cancelled the booking (its tickets stop working). False when the money
     * never bought it (a second payment, a payment after the tickets sold out, a payment that did
     * not match): the booking and any tickets it has are not affected.
     */
    cancelsBooking: boolean;
    /**
     * Why, when the buyer needs it to make sense of the email: DUPLICATE_PAYMENT (a second charge
     * for one payment) and OVERPAYMENT (what was paid beyond the price) have their own wording.
     */
    reason?: string;
    /** The seller's words when the refund is for a cancelled campaign, quoted to the buyer. */
    cancelReason?: string;
  };
  'payment-under-review': {
    buyerName: string;
    campaignTitle: string;
    bookingReference: string;
  };
  'refund-failed': {
    buyerName: string;
    campaignTitle: string;
    bookingReference: string;
    amountMinor: number;
    currency: string;
  };
  /** To each platform admin: something waits in a review queue (a flagged payment, a failed refund, an application). */
  'admin-review-needed': {
    adminName: string;
    /** One line: what happened, e.g. "A refund failed: NGN 2,500.00 for booking K7M2QX". */
    headline: string;
    /** The facts the admin decides on, one per line (plain text; escaped in HTML). */
    facts: string[];
    reviewUrl: string;
  };
  /** To a seller (and the team member who asked): where a withdrawal is now. */
  'withdrawal-status': {
    recipientName: string;
    stage: 'REQUESTED' | 'APPROVED' | 'PAID' | 'FAILED' | 'REJECTED' | 'REVERSED';
    amountMinor: number;
    currency: string;
    /** "M-Pesa •••• 4321" */
    destination: string;
    reason?: string;
    financeUrl: string;
  };
  /** To a seller: a payout method was added or removed (a hijacked session must not go unnoticed). */
  'waitlist-offer': {
    buyerName: string;
    campaignTitle: string;
    ticketTypeName: string;
    quantity: number;
    /** Until when the tickets are held, already formatted for the campaign's time zone. */
    until: string;
    claimUrl: string;
  };
  'payout-method-changed': {
    sellerName: string;
    change: 'ADDED' | 'REMOVED';
    destination: string;
    changedBy: string;
    /** ADDED: "2026-12-02 10:00 UTC", when it can first receive money. */
    usableFrom?: string;
    financeUrl: string;
  };
  'seller-application-decided': {
    applicantName: string;
    businessName: string;
    approved: boolean;
    reason?: string;
    dashboardUrl: string;
  };
}

export type TemplateName = keyof TemplateData;
export const TEMPLATE_NAMES = [
  'tickets-issued',
  'booking-expired',
  'booking-cancelled-by-seller',
  'refund-completed',
  'payment-under-review',
  'refund-failed',
  'admin-review-needed',
  'seller-application-decided',
  'withdrawal-status',
  'payout-method-changed',
  'waitlist-offer',
] as const;

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export function esc(value: unknown): string {
  return String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

function layout(title: string, bodyHtml: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${esc(title)}</title></head>
<body style="margin:0;padding:0;background:#f4f5f7;font-family:Arial,Helvetica,sans-serif;color:#1d1d1f">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:560px;background:#ffffff;border-radius:8px">
<tr><td style="padding:24px 28px;font-size:15px;line-height:1.5">
${bodyHtml}
</td></tr></table>
<p style="font-size:12px;color:#5f6368">You receive this email because of an action on your account.</p>
</td></tr></table></body></html>`;
}

function button(url: string, label: string): string {
  return `<p><a href="${esc(url)}" style="display:inline-block;background:#0b5cad;color:#ffffff;text-decoration:none;padding:10px 18px;border-radius:6px">${esc(label)}</a></p>`;
}

const templates: { [K in TemplateName]: (d: TemplateData[K]) => RenderedEmail } = {
  'tickets-issued': (d) => {
    const count = d.ticketCount === 1 ? 'Your ticket is' : `Your ${d.ticketCount} tickets are`;
    const changed = d.seatsChanged
      ? 'Your payment reached us after your hold had lapsed, and a seat you picked had been sold meanwhile: ' +
        'these are your seats instead, in the same zone, at the price you paid.'
      : '';
    const seats = d.seats?.length ? `Your seats: ${d.seats.join('; ')}` : '';
    return {
      subject: `Your tickets for ${d.campaignTitle} (booking ${d.bookingReference})`,
      text:
        `Hello ${d.buyerName},\n\n${count} attached to this email as a PDF.\n\n` +
        (changed ? `${changed}\n` : '') +
        (seats ? `${seats}\n\n` : '') +
        `${d.campaignTitle}\n${d.when}\n${d.venue}\nBooking: ${d.bookingReference}\n\n` +
        `Show the QR code at the entrance, printed or on your phone. You can also open your tickets here:\n${d.ticketsUrl}\n`,
      html: layout(
        d.campaignTitle,
        `<p>Hello ${esc(d.buyerName)},</p><p>${esc(count)} attached to this email as a PDF.</p>` +
          (changed ? `<p><strong>${esc(changed)}</strong></p>` : '') +
          (seats ? `<p>${esc(seats)}</p>` : '') +
          `<p><strong>${esc(d.campaignTitle)}</strong><br>${esc(d.when)}<br>${esc(d.venue)}<br>Booking: ${esc(d.bookingReference)}</p>` +
          `<p>Show the QR code at the entrance, printed or on your phone.</p>${button(d.ticketsUrl, 'Open my tickets')}`,
      ),
    };
  },
  'booking-expired': (d) => ({
    subject: `Your booking ${d.bookingReference} for ${d.campaignTitle} has expired`,
    text:
      `Hello ${d.buyerName},\n\nWe held your booking ${d.bookingReference} for ${d.campaignTitle}, but no payment ` +
      `reached us in time, so the tickets were released. Nothing was charged for this booking.\n\n` +
      `If you still want to go, you can book again here:\n${d.campaignUrl}\n`,
    html: layout(
      d.campaignTitle,
      `<p>Hello ${esc(d.buyerName)},</p><p>We held your booking <strong>${esc(d.bookingReference)}</strong> for ` +
        `${esc(d.campaignTitle)}, but no payment reached us in time, so the tickets were released. ` +
        `Nothing was charged for this booking.</p>${button(d.campaignUrl, 'Book again')}`,
    ),
  }),
  'booking-cancelled-by-seller': (d) => ({
    subject: `${d.campaignTitle} was cancelled: your booking ${d.bookingReference} is cancelled`,
    text:
      `Hello ${d.buyerName},\n\nThe organiser cancelled ${d.campaignTitle} (${d.reason}). Your unpaid booking ` +
      `${d.bookingReference} is cancelled and nothing was charged for it. There is nothing you need to do.\n`,
    html: layout(
      d.campaignTitle,
      `<p>Hello ${esc(d.buyerName)},</p><p>The organiser cancelled <strong>${esc(d.campaignTitle)}</strong> ` +
        `(${esc(d.reason)}). Your unpaid booking <strong>${esc(d.bookingReference)}</strong> is cancelled and ` +
        `nothing was charged for it. There is nothing you need to do.</p>`,
    ),
  }),
  'refund-completed': (d) => {
    const amount = formatMoney(d.amountMinor, d.currency);
    const effect = d.cancelsBooking
      ? 'The tickets of this booking are no longer valid.'
      : d.reason === 'DUPLICATE_PAYMENT'
        ? 'You were charged twice for this booking: this second charge went back to you. ' +
          'Your booking and its tickets are not affected.'
        : d.reason === 'OVERPAYMENT'
          ? 'You paid more than the price of this booking: the difference went back to you. ' +
            'Your booking and its tickets are not affected.'
          : 'This was a payment we could not use for the booking, so it went back to you. ' +
            'Tickets you already have for this booking are not affected.';
    const why = d.cancelReason
      ? `The organiser cancelled ${d.campaignTitle} and gave this reason: “${d.cancelReason}”`
      : '';
    return {
      subject: `Refund of ${amount} for booking ${d.bookingReference}`,
      text:
        `Hello ${d.buyerName},\n\nWe have refunded ${amount} for your booking ${d.bookingReference} (${d.campaignTitle}). ` +
        `Depending on your bank or mobile money provider, it can take a few days to show on your statement.\n\n` +
        `${why ? `${why}\n\n` : ''}${effect}\n`,
      html: layout(
        d.campaignTitle,
        `<p>Hello ${esc(d.buyerName)},</p><p>We have refunded <strong>${esc(amount)}</strong> for your booking ` +
          `${esc(d.bookingReference)} (${esc(d.campaignTitle)}). Depending on your bank or mobile money provider, ` +
          `it can take a few days to show on your statement.</p>${why ? `<p>${esc(why)}</p>` : ''}<p>${esc(effect)}</p>`,
      ),
    };
  },
  'payment-under-review': (d) => ({
    subject: `Your payment for booking ${d.bookingReference} is being reviewed`,
    text:
      `Hello ${d.buyerName},\n\nWe received a payment for your booking ${d.bookingReference} (${d.campaignTitle}), ` +
      `but it did not match what we asked for (the amount or the currency), so it has not confirmed your booking.\n\n` +
      `Our team is reviewing it and will send the money back to you. We will email you when it is on its way; ` +
      `you do not need to do anything.\n`,
    html: layout(
      d.campaignTitle,
      `<p>Hello ${esc(d.buyerName)},</p><p>We received a payment for your booking <strong>${esc(d.bookingReference)}</strong> ` +
        `(${esc(d.campaignTitle)}), but it did not match what we asked for (the amount or the currency), so it has not ` +
        `confirmed your booking.</p><p>Our team is reviewing it and will send the money back to you. We will email you ` +
        `when it is on its way; you do not need to do anything.</p>`,
    ),
  }),
  'refund-failed': (d) => {
    const amount = formatMoney(d.amountMinor, d.currency);
    return {
      subject: `Your refund of ${amount} for booking ${d.bookingReference} is delayed`,
      text:
        `Hello ${d.buyerName},\n\nWe tried to refund ${amount} for your booking ${d.bookingReference} (${d.campaignTitle}), ` +
        `but the payment provider did not accept it this time. Our team has been told and will try again; ` +
        `you do not need to do anything. We will email you when the money is on its way.\n`,
      html: layout(
        d.campaignTitle,
        `<p>Hello ${esc(d.buyerName)},</p><p>We tried to refund <strong>${esc(amount)}</strong> for your booking ` +
          `${esc(d.bookingReference)} (${esc(d.campaignTitle)}), but the payment provider did not accept it this time.</p>` +
          `<p>Our team has been told and will try again; you do not need to do anything. We will email you when the ` +
          `money is on its way.</p>`,
      ),
    };
  },
  'admin-review-needed': (d) => ({
    subject: `Review needed: ${d.headline}`,
    text:
      `Hello ${d.adminName},\n\n${d.headline}.\n\n${d.facts.map((f) => `- ${f}`).join('\n')}\n\n` +
      `It waits in the review queue:\n${d.reviewUrl}\n`,
    html: layout(
      'Review needed',
      `<p>Hello ${esc(d.adminName)},</p><p><strong>${esc(d.headline)}.</strong></p>` +
        `<ul>${d.facts.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>` +
        `<p>It waits in the review queue.</p>${button(d.reviewUrl, 'Open the review queue')}`,
    ),
  }),
  'withdrawal-status': (d) => {
    const amount = formatMoney(d.amountMinor, d.currency);
    const lines: Record<TemplateData['withdrawal-status']['stage'], { subject: string; body: string }> = {
      REQUESTED: {
        subject: `Withdrawal of ${amount} requested`,
        body: `A withdrawal of ${amount} to ${d.destination} was requested. The amount is on hold until the platform's finance team approves it.`,
      },
      APPROVED: {
        subject: `Withdrawal of ${amount} approved`,
        body: `Your withdrawal of ${amount} to ${d.destination} was approved and is being sent.`,
      },
      PAID: {
        subject: `Withdrawal of ${amount} paid`,
        body: `Your withdrawal of ${amount} was paid to ${d.destination}. It can take a little while to show with your bank or mobile money provider.`,
      },
      FAILED: {
        subject: `Withdrawal of ${amount} failed`,
        body: `Your withdrawal of ${amount} to ${d.destination} could not be paid. The amount is back in your available balance.`,
      },
      REJECTED: {
        subject: `Withdrawal of ${amount} not approved`,
        body: `Your withdrawal of ${amount} to ${d.destination} was not approved. The amount is back in your available balance.`,
      },
      REVERSED: {
        subject: `Withdrawal of ${amount} reversed`,
        body: `The payment of ${amount} to ${d.destination} was reversed by the provider. The amount is back in your available balance.`,
      },
    };
    const { subject, body } = lines[d.stage];
    const reason = d.reason ? `Reason: ${d.reason}` : '';
    return {
      subject,
      text: `Hello ${d.recipientName},\n\n${body}\n${reason ? `${reason}\n` : ''}\n${d.financeUrl}\n`,
      html: layout(
        subject,
        `<p>Hello ${esc(d.recipientName)},</p><p>${esc(body)}</p>${reason ? `<p>${esc(reason)}</p>` : ''}` +
          button(d.financeUrl, 'Open my finance page'),
      ),
    };
  },
  'waitlist-offer': (d) => {
    const what = `${d.quantity} ${d.ticketTypeName} ticket${d.quantity === 1 ? '' : 's'}`;
    return {
      subject: `Tickets for ${d.campaignTitle} are held for you`,
      text:
        `Hello ${d.buyerName},\n\nYou were on the waiting list for ${d.campaignTitle}, and ${what} came back. ` +
        `They are held for you until ${d.until}; after that they go to the next person in line.\n\n` +
        `Claim them here, then pay as usual:\n${d.claimUrl}\n`,
      html: layout(
        d.campaignTitle,
        `<p>Hello ${esc(d.buyerName)},</p><p>You were on the waiting list for <strong>${esc(d.campaignTitle)}</strong>, ` +
          `and ${esc(what)} came back. They are held for you until <strong>${esc(d.until)}</strong>; after that they go ` +
          `to the next person in line.</p>${button(d.claimUrl, 'Claim my tickets')}`,
      ),
    };
  },
  'payout-method-changed': (d) => {
    const subject =
      d.change === 'ADDED'
        ? `A payout method was added: ${d.destination}`
        : `A payout method was removed: ${d.destination}`;
    const body =
      d.change === 'ADDED'
        ? `${d.changedBy} added ${d.destination} as a payout method of your account. It can receive withdrawals from ${d.usableFrom ?? 'the end of its cooling-off period'}.`
        : `${d.changedBy} removed ${d.destination} from your payout methods.`;
    const warning = 'If you did not expect this, remove the method and sign out of every device at once.';
    return {
      subject,
      text: `Hello ${d.sellerName},\n\n${body}\n\n${warning}\n\n${d.financeUrl}\n`,
      html: layout(
        subject,
        `<p>Hello ${esc(d.sellerName)},</p><p>${esc(body)}</p><p><strong>${esc(warning)}</strong></p>` +
          button(d.financeUrl, 'Review my payout methods'),
      ),
    };
  },
  'seller-application-decided': (d) => {
    const subject = d.approved
      ? `${d.businessName} is approved to sell tickets`
      : `Your seller application for ${d.businessName}`;
    const decision = d.approved
      ? 'Your application to sell tickets has been approved. You can create your first campaign now.'
      : 'Your application to sell tickets was not approved.';
    const reason = d.reason ? `Reason: ${d.reason}` : '';
    return {
      subject,
      text: `Hello ${d.applicantName},\n\n${decision}\n${reason ? `${reason}\n` : ''}\n${d.dashboardUrl}\n`,
      html: layout(
        subject,
        `<p>Hello ${esc(d.applicantName)},</p><p>${esc(decision)}</p>${reason ? `<p>${esc(reason)}</p>` : ''}` +
          button(d.dashboardUrl, d.approved ? 'Open my dashboard' : 'See my application'),
      ),
    };
  },
};

/** Renders a template with its data. */
export function renderEmail<K extends TemplateName>(template: K, data: TemplateData[K]): RenderedEmail {
  return (templates[template] as (d: TemplateData[K]) => RenderedEmail)(data);
}
