import crypto from 'node:crypto';
import request from 'supertest';
import { makeSeller, makeTeamMember, signIn } from '../support/auth';
import { eventually } from '../support/eventually';
import { createHttpSale, startTicketsEnv, type HttpSale, type TicketsTestEnv } from '../support/tickets-env';
import type { TestSession } from '../support/auth';

/** The seller's "Resend tickets" through the real tickets and email workers and SMTP. */
describe('seller orders: resend tickets', () => {
  let env: TicketsTestEnv;
  let seller: TestSession;
  let sale: HttpSale;

  beforeAll(async () => {
    env = await startTicketsEnv();
    seller = await makeSeller(env, `resend-seller-${crypto.randomBytes(2).toString('hex')}@example.test`);
    sale = await createHttpSale(seller);
  }, 90_000);
  afterAll(async () => {
    await env?.close();
  });

  it('when the seller or their gate manager resends a booking’s tickets, then the buyer gets another email; strangers and buyers cannot', async () => {
    const buyer = await signIn(env, 'resend-buyer@example.test');
    const booked = await buyer
      .post('/api/v1/bookings')
      .set('Idempotency-Key', crypto.randomUUID())
      .send({
        campaignId: sale.campaignId,
        items: [{ ticketTypeId: sale.freeTypeId, quantity: 1 }],
        issuance: 'SINGLE',
      })
      .expect(201);
    const bookingId = (booked.body as { id: string }).id;
    const mails = () => env.smtp.messages.filter((m) => m.to.includes('resend-buyer@example.test')).length;
    await eventually(() => mails() === 1, 30_000, 'first tickets email');

    const url = `/api/v1/campaigns/${sale.campaignId}/orders/${bookingId}/resend-tickets`;
    const stranger = await makeSeller(env, 'resend-stranger@example.test');
    expect((await stranger.post(url).expect(404)).body.error.code).toBe('CAMPAIGN_NOT_FOUND');
    await buyer.post(url).expect(403);
    await request(env.url).post(url).expect(401);
    await seller
      .post(`/api/v1/campaigns/${sale.campaignId}/orders/${crypto.randomUUID()}/resend-tickets`)
      .expect(404);

    const resent = await seller.post(url).expect(202);
    expect(resent.body.requestId).toEqual(expect.any(String));
    await eventually(() => mails() === 2, 30_000, 'resent tickets email');

    const manager = await makeTeamMember(env, seller, 'resend-gate@example.test', 'MANAGER', [
      sale.campaignId,
    ]);
    await manager.post(url).expect(202);
    await eventually(() => mails() === 3, 30_000, 'second resent tickets email');
  });
});
