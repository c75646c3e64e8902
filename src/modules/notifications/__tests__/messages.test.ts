import { defaultLowStockThreshold, isLowStock } from '../../campaigns';
import { notificationMessages as say, reachedMilestones } from '..';

const campaign = {
  id: '6f1c1d2e-0000-4000-8000-000000000001',
  slug: 'lagoon-jazz',
  title: 'Lagoon Jazz Night',
  timezone: 'Africa/Lagos',
  startsAt: new Date('2026-12-12T19:00:00Z'),
};

describe('notification words', () => {
  it('when a paid booking is confirmed, then the amount is in the campaign currency and the time in its zone', () => {
    const m = say.bookingConfirmed(
      { id: 'b1', reference: 'AB12-CD34', ticketCount: 2, totalMinor: 1_250_050, currency: 'NGN' },
      campaign,
    );
    expect(m).toEqual({
      title: 'Booking AB12-CD34 confirmed',
      body: '2 tickets for Lagoon Jazz Night, Sat, 12 Dec 2026, 20:00 · Lagos time. ₦12,500.50 paid. Your tickets follow in a moment.',
      url: '/bookings/b1',
    });
    // A currency without minor units: no decimals invented.
    expect(
      say.refundCompleted({ bookingId: 'b1', reference: 'R', amountMinor: 50_000, currency: 'UGX' }, campaign)
        .title,
    ).toMatch(/^Refund of UGX\s50,000 done$/);
  });

  it('when a date moves, then both dates are said in the campaign zone', () => {
    const m = say.campaignChanged(
      {
        startsAtChanged: true,
        previousStartsAt: new Date('2026-12-11T19:00:00Z'),
        venueChanged: false,
        venue: '',
      },
      campaign,
    );
    expect(m.body).toBe(
      'It now starts Sat, 12 Dec 2026, 20:00 · Lagos time (it was Fri, 11 Dec 2026, 20:00 · Lagos time). Your tickets stay valid.',
    );
  });

  it('when sales grow, then the milestones are the first sale, half, 90 % and sold out of the total capacity', () => {
    expect(reachedMilestones(0, 100)).toEqual([]);
    expect(reachedMilestones(1, 100)).toEqual(['FIRST_SALE']);
    expect(reachedMilestones(49, 100)).toEqual(['FIRST_SALE']);
    expect(reachedMilestones(50, 100)).toEqual(['FIRST_SALE', 'HALF']);
    expect(reachedMilestones(90, 100)).toEqual(['FIRST_SALE', 'HALF', 'NINETY']);
    expect(reachedMilestones(100, 100)).toEqual(['FIRST_SALE', 'HALF', 'NINETY', 'SOLD_OUT']);
    expect(reachedMilestones(3, 0)).toEqual([]);
  });

  it('when no threshold is set, then a type is low at min(10, 10 % of capacity) left, and 0 turns the warning off', () => {
    expect([5, 20, 30, 99, 100, 2000].map(defaultLowStockThreshold)).toEqual([1, 2, 3, 10, 10, 10]);
    expect(isLowStock({ capacity: 2000, sold: 1990, reserved: 0, lowStockLimit: null })).toBe(true);
    expect(isLowStock({ capacity: 2000, sold: 1989, reserved: 0, lowStockLimit: null })).toBe(false);
    expect(isLowStock({ capacity: 20, sold: 15, reserved: 0, lowStockLimit: 5 })).toBe(true);
    expect(isLowStock({ capacity: 20, sold: 20, reserved: 0, lowStockLimit: 0 })).toBe(false);
  });
});
