/**
 * What a person reads for a record's status: words instead of the stored code (the code stays
 * in the JSON API, in data-* attributes and in the badge's class, status-<code in lower case>).
 * Pages are English only today; a translation would add a table per language here.
 */
const LABELS = {
  /** A booking as its buyer sees it. */
  booking: {
    PENDING: 'Awaiting payment',
    CONFIRMED: 'Confirmed',
    EXPIRED: 'Expired',
    CANCELLED: 'Cancelled',
    REFUNDED: 'Refunded',
  },
  /** A booking (an order) as its seller sees it: confirmed means the buyer paid. */
  order: {
    PENDING: 'Awaiting payment',
    CONFIRMED: 'Paid',
    EXPIRED: 'Expired',
    CANCELLED: 'Cancelled',
    REFUNDED: 'Refunded',
  },
  withdrawal: {
    REQUESTED: 'Awaiting approval',
    APPROVED: 'Approved',
    PROCESSING: 'Being paid out',
    PAID: 'Paid out',
    FAILED: 'Failed',
    REJECTED: 'Rejected',
    REVERSED: 'Returned by the bank',
  },
  application: {
    PENDING: 'Waiting for review',
    APPROVED: 'Approved',
    REJECTED: 'Rejected',
  },
  /** A platform role or a role in a seller's team. */
  role: {
    CUSTOMER: 'Buyer',
    SELLER: 'Seller',
    SUPER_ADMIN: 'Platform admin',
    PLATFORM_FINANCE: 'Platform finance',
    MANAGER: 'Gate manager',
    FINANCE: 'Finance',
  },
} as const satisfies Record<string, Record<string, string>>;

export type StatusKind = keyof typeof LABELS;

/** "CONFIRMED" → "Confirmed" (a booking), "Paid" (an order); an unknown code reads as a capitalised word. */
export function statusLabel(kind: StatusKind, code: string): string {
  const table: Record<string, string> = LABELS[kind];
  const known = table[code];
  if (known) return known;
  const words = code.toLowerCase().replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
