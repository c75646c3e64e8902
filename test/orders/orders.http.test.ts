import request from 'supertest';
import { makeSeller, makeTeamMember, signIn } from '../support/auth';
import { eventually } from '../support/eventually';
import { leafParts, parseMime } from '../support/mime';
import {
  bookingOf,
  confirmedBooking,
  newBuyer,
  reserve,
  saleFor,
  startPaymentsEnv,
  type PaymentsTestEnv,
} from '../support/payments';

/** The decoded text/plain body of each email sent to `to`. */
function mailTextsTo(t: PaymentsTestEnv, to: string): string[] {
  return t
    .smtp!.messages.filter((m) => m.to.includes(to))
    .map((m) =>
      leafParts(parseMime(m.raw))
        .filter((p) => p.contentType === 'text/plain')
        .map((p) => p.body.toString('utf8'))
        .join('\n'),
    );
}

describe('seller orders: list, CSV, single refund, cancel with a reason', () => {
  let t: PaymentsTestEnv;

  beforeAll(async () => {
    t = await startPaymentsEnv({ email: true });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('when the seller lists, searches and filters orders, then they see their buyers and nobody else can', async () => {
    const s = await saleFor(t, { types: [{ name: 'Early bird', priceMinor: 500_000, capacity: 50 }] });
    const paid = await confirmedBooking(t, s, 2);
    const other = await newBuyer(t, 'waiting');
    const pending = await reserve(other, s, 1);
    const base = `/api/v1/campaigns/${s.campaign.id}/orders`;

    const all = await t.seller.get(base).expect(200);
    expect(all.body.total).toBe(2);
    const row = all.body.items.find((o: { id: string }) => o.id === paid.booking.id);
    expect(row).toMatchObject({
      reference: paid.booking.reference,
      status: 'CONFIRMED',
      totalMinor: 1_000_000,
      currency: 'NGN',
      buyer: { email: paid.buyer.email },
      items: [{ ticketTypeName: 'Early bird', quantity: 2, unitPriceMinor: 500_000 }],
    });

    const byEmail = await t.seller
      .get(`${base}?q=${encodeURIComponent(paid.buyer.email.toUpperCase())}`)
      .expect(200);
    expect(byEmail.body.items.map((o: { id: string }) => o.id)).toEqual([paid.booking.id]);
    const byRef = await t.seller.get(`${base}?q=${pending.reference.slice(0, 5).toLowerCase()}`).expect(200);
    expect(byRef.body.items.map((o: { id: string }) => o.id)).toContain(pending.id);
    const byStatus = await t.seller.get(`${base}?status=PENDING`).expect(200);
    expect(byStatus.body.items.map((o: { id: string }) => o.id)).toEqual([pending.id]);
    const none = await t.seller.get(`${base}?q=nobody-by-this-name`).expect(200);
    expect(none.body).toMatchObject({ items: [], total: 0, pages: 1 });

    // Hostile or wrong input is a 4xx, never a 5xx.
    await t.seller.get(`${base}?status=SHIPPED`).expect(400);
    await t.seller.get(`${base}?status=PENDING&status=CONFIRMED`).expect(400);
    await t.seller.get(`${base}?page=0`).expect(400);
    await t.seller.get(`${base}?q=${'x'.repeat(200)}`).expect(400);
    await t.seller.get(`${base}?q=%00`).expect(400);
    await t.seller.get(`/api/v1/campaigns/not-an-id/orders`).expect(400);

    const stranger = await makeSeller(t.env, 'orders-stranger@example.test');
    await stranger.get(base).expect(404);
    await other.get(base).expect(403);
    await request(t.url).get(base).expect(401);
    const manager = await makeTeamMember(t.env, t.seller, 'orders-gate@example.test', 'MANAGER', [
      s.campaign.id,
    ]);
    expect((await manager.get(base).expect(200)).body.total).toBe(2);

    const page = await t.seller
      .get(`/seller/campaigns/${s.campaign.id}/orders?q=${paid.booking.reference}`)
      .expect(200);
    expect(page.text).toContain(paid.booking.reference);
    expect(page.text).toContain('₦10,000.00');
    await t.seller.get(`/seller/campaigns/${s.campaign.id}/orders?page=abc`).expect(400);
    await stranger.get(`/seller/campaigns/${s.campaign.id}/orders`).expect(404);
  });

  it('when orders are exported, then the CSV is escaped and a formula-looking name stays text', async () => {
    const s = await saleFor(t, { types: [{ name: 'Table, "VIP"', priceMinor: 250_050, capacity: 10 }] });
    const buyer = await signIn(t.env, 'formula-buyer@example.test', {
      name: '=HYPERLINK("http://evil.test")',
    });
    const { booking } = await (async () => {
      const b = await reserve(buyer, s, 1);
      return { booking: b };
    })();
    const csv = await t.seller.get(`/seller/campaigns/${s.campaign.id}/orders.csv`).expect(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toMatch(/^attachment; filename=".+-orders\.csv"$/);
    const lines = csv.text.replace(/^\ufeff/, '').split('\r\n');
    expect(lines[0]).toBe(
      'Reference,Status,Buyer,Email,Ticket type,Quantity,Unit price,Booking total,Currency,Booked (Africa/Lagos)',
    );
    const booked = /,("\d{1,2} \w{3} \d{4}, \d{2}:\d{2} \(Africa\/Lagos, GMT\+1\)")$/.exec(lines[1]!)?.[1];
    expect(booked).toBeDefined();
    expect(lines[1]).toBe(
      `${booking.reference},Awaiting payment,"'=HYPERLINK(""http://evil.test"")",formula-buyer@example.test,` +
        `"Table, ""VIP""",1,2500.50,2500.50,NGN,${booked}`,
    );
    expect(lines[2]).toBe('');
    const stranger = await makeSeller(t.env, 'csv-stranger@example.test');
    await stranger.get(`/seller/campaigns/${s.campaign.id}/orders.csv`).expect(404);
  });

  it('when the seller refunds one order, then that booking alone is refunded once; team members and strangers cannot', async () => {
    const s = await saleFor(t, { campaign: { refundDeadlineHours: null }, types: [{ priceMinor: 300_000 }] });
    const one = await confirmedBooking(t, s, 1);
    const two = await confirmedBooking(t, s, 1);
    const url = `/api/v1/campaigns/${s.campaign.id}/orders/${one.booking.id}/refund`;

    const manager = await makeTeamMember(t.env, t.seller, 'refund-gate@example.test', 'MANAGER', [
      s.campaign.id,
    ]);
    await manager.post(url).expect(403);
    const stranger = await makeSeller(t.env, 'refund-stranger@example.test');
    await stranger.post(url).expect(404);
    await one.buyer.post(url).expect(403);
    await request(t.url).post(url).set('Cookie', t.seller.cookie).expect(403); // no CSRF token
    await t.seller
      .post(`/api/v1/campaigns/${s.campaign.id}/orders/${crypto.randomUUID()}/refund`)
      .expect(404);

    const first = await t.seller.post(url).expect(202);
    const again = await t.seller.post(url).expect((res) => expect([202, 422]).toContain(res.status));
    if (again.status === 202) expect(again.body.refundId).toBe(first.body.refundId);
    await eventually(
      async () => (await bookingOf(one.buyer, one.booking.id)).status === 'REFUNDED',
      30_000,
      'refund',
    );
    const refunds = await t.env.platform.prisma.refund.findMany({ where: { bookingId: one.booking.id } });
    expect(refunds.map((r) => [r.reason, r.status, Number(r.amountMinor), r.requestedBy])).toEqual([
      ['SELLER_REQUEST', 'COMPLETED', 300_000, t.seller.userId],
    ]);
    expect((await bookingOf(two.buyer, two.booking.id)).status).toBe('CONFIRMED');
    const refused = await t.seller.post(url).expect(422);
    expect(refused.body.error.code).toBeDefined();
  });

  it('when the seller cancels with a reason, then the buyer’s refund email quotes it and the editor stops offering edits', async () => {
    const s = await saleFor(t, { campaign: { refundDeadlineHours: null }, types: [{ priceMinor: 700_000 }] });
    const paid = await confirmedBooking(t, s, 1);
    await t.seller.post(`/api/v1/campaigns/${s.campaign.id}/cancel`).send({ reason: '' }).expect(400);
    await t.seller
      .post(`/api/v1/campaigns/${s.campaign.id}/cancel`)
      .send({ reason: ['x', 'y'] })
      .expect(400);
    const reason = 'The stadium roof failed its safety inspection';
    await t.seller.post(`/api/v1/campaigns/${s.campaign.id}/cancel`).send({ reason }).expect(200);

    const [text] = await eventually(
      () => {
        const texts = mailTextsTo(t, paid.buyer.email).filter((m) => m.includes('refunded'));
        return texts.length ? texts : false;
      },
      30_000,
      'refund email',
    );
    expect(text).toContain(`gave this reason: “${reason}”`);
    expect(text).toContain('₦7,000.00');

    const editor = await t.seller.get(`/seller/campaigns/${s.campaign.id}`).expect(200);
    expect(editor.text).toContain('This campaign was cancelled.');
    expect(editor.text).toContain(reason);
    expect(editor.text).not.toContain('Save changes');
    expect(editor.text).not.toContain('Add ticket type');
    expect(editor.text).not.toContain('data-open="cancel-dialog"');
  });
});
