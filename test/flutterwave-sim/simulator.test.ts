import { HttpReceiver } from '../support/http-receiver';
import { eventually } from '../support/eventually';
import { waitFor } from '../support/platform';
import { createFlutterwaveSimulator, type FlutterwaveSimulator } from '../../tools/flutterwave-sim/simulator';
import type { FlwChargeCompletedEvent, FlwTransferCompletedEvent } from '../../src/modules/payments';

const SECRET_KEY = 'FLWSECK_TEST-sim-test-key-X';
const SECRET_HASH = 'sim-test-webhook-hash-abcdef';

describe('Flutterwave simulator', () => {
  let sim: FlutterwaveSimulator;
  let merchant: HttpReceiver;

  const api = (path: string, init: { method?: string; body?: unknown; key?: string } = {}) =>
    fetch(`${sim.url}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { Authorization: `Bearer ${init.key ?? SECRET_KEY}`, 'Content-Type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });

  const control = (path: string, body?: unknown, key = SECRET_KEY) =>
    fetch(`${sim.url}/__control${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  async function checkout(txRef: string, amount: number | string = 2500, currency = 'NGN'): Promise<string> {
    const res = await api('/v3/payments', {
      body: {
        tx_ref: txRef,
        amount,
        currency,
        redirect_url: `${merchant.url}/return?order=42`,
        customer: { email: 'buyer@example.com', name: 'Bola Buyer', phonenumber: '08012345678' },
        customizations: { title: 'Lagos Jazz Night' },
        meta: { bookingId: 'bk_9' },
      },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { data: { link: string } }).data.link;
  }

  const hooks = () => merchant.received('/webhook');
  const chargeHooks = () => hooks().filter((r) => (r.body as { event: string }).event === 'charge.completed');

  beforeAll(async () => {
    merchant = await new HttpReceiver().start();
    sim = createFlutterwaveSimulator({
      secretKey: SECRET_KEY,
      secretHash: SECRET_HASH,
      webhookUrl: `${merchant.url}/webhook`,
      controlApi: true,
      webhookRetryDelayMs: 20,
      transferPendingMs: 20,
      transferSettleMs: 50,
    });
    await sim.start();
  });
  afterAll(async () => {
    await sim.close();
    await merchant.close();
  });
  beforeEach(async () => {
    await sim.idle();
    sim.reset();
    merchant.requests.length = 0;
    merchant.responder = () => ({ status: 200 });
  });

  describe('API surface', () => {
    it('when the secret key is wrong or missing, then 401 with Flutterwave’s error envelope', async () => {
      for (const key of ['FLWSECK_TEST-other-X', '']) {
        const res = await api('/v3/payments', { key, body: { tx_ref: 'x' } });
        expect(res.status).toBe(401);
        expect(await res.json()).toEqual({
          status: 'error',
          message: 'Invalid authorization key',
          data: null,
        });
      }
      const verify = await fetch(`${sim.url}/v3/transactions/1/verify`);
      expect(verify.status).toBe(401);
    });

    it('when a payment is created twice for an open tx_ref, then the same link; after payment, refused', async () => {
      const first = await checkout('tx-same');
      expect(await checkout('tx-same')).toBe(first);
      await sim.pay('tx-same');
      const again = await api('/v3/payments', {
        body: {
          tx_ref: 'tx-same',
          amount: 1,
          currency: 'NGN',
          redirect_url: 'http://x/',
          customer: { email: 'a@b.co' },
        },
      });
      expect(again.status).toBe(400);
      expect(((await again.json()) as { status: string }).status).toBe('error');
    });

    it('when a payment request lacks what Flutterwave requires, then 400 with a message', async () => {
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{ amount: 1, redirect_url: 'http://x/', customer: { email: 'a@b.co' } }, /tx_ref is required/],
        [{ tx_ref: 'a', redirect_url: 'http://x/', customer: { email: 'a@b.co' } }, /amount is required/],
        [
          {
            tx_ref: 'a',
            amount: 10.5,
            currency: 'UGX',
            redirect_url: 'http://x/',
            customer: { email: 'a@b.co' },
          },
          /Invalid amount/,
        ],
        [
          {
            tx_ref: 'a',
            amount: 1,
            currency: 'XYZ',
            redirect_url: 'http://x/',
            customer: { email: 'a@b.co' },
          },
          /Invalid currency/,
        ],
        [{ tx_ref: 'a', amount: 1, redirect_url: 'http://x/', customer: {} }, /customer.email is required/],
      ];
      for (const [body, message] of cases) {
        const res = await api('/v3/payments', { body });
        expect(res.status).toBe(400);
        expect(((await res.json()) as { message: string }).message).toMatch(message);
      }
    });
  });

  describe('hosted checkout', () => {
    it('when the buyer pays on the page, then 303 back to redirect_url with status, tx_ref and transaction_id', async () => {
      const link = await checkout('tx-page', '1500.50');
      const page = await (await fetch(link)).text();
      expect(page).toContain('<html lang="en">');
      expect(page).toContain('Lagos Jazz Night');
      expect(page).toContain('NGN\u00a01,500.50');
      expect(page).toContain('Bola Buyer (buyer@example.com)');
      expect(page).toMatch(/<button[^>]*value="pay"[^>]*>Pay NGN/);
      const res = await fetch(link, {
        method: 'POST',
        body: new URLSearchParams({ action: 'pay' }),
        redirect: 'manual',
      });
      expect(res.status).toBe(303);
      const target = new URL(res.headers.get('location')!);
      const tx = sim.transaction('tx-page')!;
      expect(`${target.origin}${target.pathname}`).toBe(`${merchant.url}/return`);
      expect(Object.fromEntries(target.searchParams)).toEqual({
        order: '42',
        status: 'successful',
        tx_ref: 'tx-page',
        transaction_id: String(tx.id),
      });
      // A second submit (double click, back button) charges nothing more.
      const replay = await fetch(link, {
        method: 'POST',
        body: new URLSearchParams({ action: 'pay' }),
        redirect: 'manual',
      });
      expect(replay.headers.get('location')).toBe(target.href);
      expect(sim.transactions()).toHaveLength(1);
      expect(await (await fetch(link)).text()).toContain('This payment is complete');
    });

    it('when the buyer fails, then a failed charge is reported and a later attempt can still pay', async () => {
      const link = await checkout('tx-fail');
      const res = await fetch(link, {
        method: 'POST',
        body: new URLSearchParams({ action: 'fail' }),
        redirect: 'manual',
      });
      const target = new URL(res.headers.get('location')!);
      expect(target.searchParams.get('status')).toBe('failed');
      const failedId = Number(target.searchParams.get('transaction_id'));
      expect(sim.transaction(failedId)?.status).toBe('failed');
      expect(await (await fetch(link)).text()).toContain('Your last attempt was declined');
      const paid = await sim.pay('tx-fail');
      expect(paid.transactionId).not.toBe(failedId);
      expect(sim.transaction('tx-fail')?.status).toBe('successful');
      await waitFor(() => chargeHooks().length === 2);
      expect(chargeHooks().map((h) => (h.body as FlwChargeCompletedEvent).data.status)).toEqual([
        'failed',
        'successful',
      ]);
    });

    it('when the buyer cancels, then back with status=cancelled, no transaction and no webhook', async () => {
      const link = await checkout('tx-cancel');
      const res = await fetch(link, {
        method: 'POST',
        body: new URLSearchParams({ action: 'cancel' }),
        redirect: 'manual',
      });
      const target = new URL(res.headers.get('location')!);
      expect(target.searchParams.get('status')).toBe('cancelled');
      expect(target.searchParams.get('tx_ref')).toBe('tx-cancel');
      expect(target.searchParams.has('transaction_id')).toBe(false);
      await sim.idle();
      expect(sim.transactions()).toHaveLength(0);
      expect(hooks()).toHaveLength(0);
    });

    it('when the session duration has passed, then the page says expired and nothing can be paid', async () => {
      let now = new Date('2026-01-01T10:00:00Z');
      const timed = createFlutterwaveSimulator({
        secretKey: SECRET_KEY,
        secretHash: SECRET_HASH,
        now: () => now,
      });
      await timed.start();
      try {
        const res = await fetch(`${timed.url}/v3/payments`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${SECRET_KEY}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({
            tx_ref: 't',
            amount: 5,
            currency: 'USD',
            redirect_url: 'http://x/',
            customer: { email: 'a@b.co' },
            session_duration: 10,
          }),
        });
        const { link } = ((await res.json()) as { data: { link: string } }).data;
        now = new Date('2026-01-01T10:11:00Z');
        expect(await (await fetch(link)).text()).toContain('expired');
        await expect(timed.pay('t')).rejects.toThrow(/expired/);
      } finally {
        await timed.close();
      }
    });

    it('when a link is unknown, then a 404 page', async () => {
      const res = await fetch(`${sim.url}/v3/hosted/pay/0000`);
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('Checkout not found');
    });
  });

  describe('webhooks', () => {
    it('when a charge completes, then charge.completed is POSTed with the verif-hash and Flutterwave’s payload shape', async () => {
      await checkout('tx-hook', 2500);
      const { transactionId } = await sim.pay('tx-hook');
      const [hook] = await eventually(() => chargeHooks().length === 1 && chargeHooks());
      expect(hook!.method).toBe('POST');
      expect(hook!.headers['verif-hash']).toBe(SECRET_HASH);
      expect(hook!.headers['content-type']).toBe('application/json');
      const body = hook!.body as FlwChargeCompletedEvent;
      expect(body).toEqual({
        event: 'charge.completed',
        'event.type': 'CARD_TRANSACTION',
        data: expect.objectContaining({
          id: transactionId,
          tx_ref: 'tx-hook',
          flw_ref: expect.stringMatching(/^FLW-MOCK-/),
          amount: 2500,
          currency: 'NGN',
          charged_amount: 2500,
          app_fee: 35,
          status: 'successful',
          payment_type: 'card',
          created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          meta: { bookingId: 'bk_9' },
          customer: {
            id: expect.any(Number),
            name: 'Bola Buyer',
            phone_number: '08012345678',
            email: 'buyer@example.com',
            created_at: expect.any(String),
          },
        }),
      });
      expect(sim.webhooks()[0]).toMatchObject({
        state: 'delivered',
        key: 'tx-hook',
        deliveries: [expect.objectContaining({ status: 200 })],
      });
    });

    it('when the merchant answers 500, then the webhook is retried until it gets a 200', async () => {
      merchant.responder = (_r, i) => ({ status: i === 0 ? 500 : 200 });
      await checkout('tx-retry');
      await sim.pay('tx-retry');
      await waitFor(() => sim.webhooks()[0]?.state === 'delivered');
      expect(sim.webhooks()[0]!.deliveries.map((d) => d.status)).toEqual([500, 200]);
    });

    it('when steered to drop, then the webhook is recorded as dropped and never sent', async () => {
      sim.steerWebhooks({ action: 'drop' });
      await checkout('tx-dropped');
      await sim.pay('tx-dropped');
      await checkout('tx-after');
      await sim.pay('tx-after');
      await sim.idle();
      expect(sim.webhooks().map((w) => [w.key, w.state])).toEqual([
        ['tx-dropped', 'dropped'],
        ['tx-after', 'delivered'],
      ]);
      expect(chargeHooks().map((h) => (h.body as FlwChargeCompletedEvent).data.tx_ref)).toEqual(['tx-after']);
    });

    it('when steered to duplicate 5 times, then 5 identical copies arrive concurrently', async () => {
      // Hold every answer until all five are in: only concurrent deliveries can get past this.
      let release!: () => void;
      const allIn = new Promise<void>((resolve) => (release = resolve));
      merchant.responder = async () => {
        if (hooks().length === 5) release();
        await allIn;
        return { status: 200 };
      };
      sim.steerWebhooks({ action: 'duplicate', times: 5 });
      await checkout('tx-dup');
      await sim.pay('tx-dup');
      await waitFor(() => sim.webhooks()[0]?.state === 'delivered', 15_000);
      const copies = hooks();
      expect(copies).toHaveLength(5);
      expect(new Set(copies.map((c) => c.raw)).size).toBe(1);
      expect(copies.every((c) => c.headers['verif-hash'] === SECRET_HASH)).toBe(true);
    });

    it('when steered to delay, then the webhook arrives after the delay', async () => {
      sim.steerWebhooks({ action: 'delay', delayMs: 300 });
      await checkout('tx-late');
      const paidAt = Date.now();
      await sim.pay('tx-late');
      await new Promise((r) => setTimeout(r, 100));
      expect(hooks()).toHaveLength(0);
      const [hook] = await eventually(() => hooks().length === 1 && hooks());
      expect(hook!.at - paidAt).toBeGreaterThanOrEqual(290);
    });

    it('when held and released in reverse, then webhooks arrive out of order', async () => {
      sim.holdWebhooks();
      for (const ref of ['tx-a', 'tx-b', 'tx-c']) {
        await checkout(ref);
        await sim.pay(ref);
      }
      // Each pay() has recorded its webhook by the time it resolves: held ones are the real state.
      expect(hooks()).toHaveLength(0);
      expect(sim.webhooks().every((w) => w.state === 'held')).toBe(true);
      await sim.releaseWebhooks('reverse');
      expect(chargeHooks().map((h) => (h.body as FlwChargeCompletedEvent).data.tx_ref)).toEqual([
        'tx-c',
        'tx-b',
        'tx-a',
      ]);
    });

    it('when a webhook is resent, then the same body arrives again', async () => {
      await checkout('tx-resend');
      await sim.pay('tx-resend');
      await waitFor(() => hooks().length === 1);
      await sim.resendWebhook(sim.webhooks()[0]!.id);
      expect(hooks()).toHaveLength(2);
      expect(hooks()[1]!.raw).toBe(hooks()[0]!.raw);
    });
  });

  describe('steering the provider record', () => {
    it('when verify is overridden for a tx_ref, then verify (by id and reference) reports it, the webhook does not', async () => {
      await checkout('tx-override', 2500);
      const { transactionId } = await sim.pay('tx-override');
      sim.overrideVerification('tx-override', { amount: 25, currency: 'GHS' });
      const byRef = (await (await api('/v3/transactions/verify_by_reference?tx_ref=tx-override')).json()) as {
        data: { amount: number; currency: string };
      };
      const byId = (await (await api(`/v3/transactions/${transactionId}/verify`)).json()) as {
        data: { amount: number; currency: string };
      };
      expect([byRef.data.amount, byRef.data.currency]).toEqual([25, 'GHS']);
      expect([byId.data.amount, byId.data.currency]).toEqual([25, 'GHS']);
      const [hook] = await eventually(() => chargeHooks().length === 1 && chargeHooks());
      expect((hook!.body as FlwChargeCompletedEvent).data.amount).toBe(2500);
      sim.clearVerificationOverride('tx-override');
      const restored = (await (await api(`/v3/transactions/${transactionId}/verify`)).json()) as {
        data: { amount: number };
      };
      expect(restored.data.amount).toBe(2500);
    });

    it('when a payment is scheduled after a delay, then nothing exists until it happens', async () => {
      await checkout('tx-delayed');
      const pending = sim.pay('tx-delayed', { delayMs: 200 });
      expect(sim.transaction('tx-delayed')).toBeUndefined();
      const verifyBefore = await api('/v3/transactions/verify_by_reference?tx_ref=tx-delayed');
      expect(verifyBefore.status).toBe(400);
      const result = await pending;
      expect(result.status).toBe('successful');
      expect(sim.transaction('tx-delayed')?.status).toBe('successful');
    });

    it('when transfers run, then NEW → PENDING → SUCCESSFUL or FAILED, each final state with a webhook', async () => {
      sim.failNextTransfer({ message: 'DISBURSE FAILED: Account not found' });
      const bad = await api('/v3/transfers', {
        body: {
          account_bank: '044',
          account_number: '000',
          amount: 100,
          currency: 'NGN',
          reference: 'wd-bad',
        },
      });
      const good = await api('/v3/transfers', {
        body: {
          account_bank: '044',
          account_number: '111',
          amount: 100,
          currency: 'NGN',
          reference: 'wd-good',
        },
      });
      const badT = ((await bad.json()) as { data: { id: number; status: string } }).data;
      const goodBody = (await good.json()) as { message: string; data: { id: number; status: string } };
      expect(goodBody.message).toBe('Transfer Queued Successfully');
      expect([badT.status, goodBody.data.status]).toEqual(['NEW', 'NEW']);
      await waitFor(() => sim.transfers().some((t) => t.status === 'PENDING'), 15_000);
      await waitFor(() => hooks().length === 2, 15_000);
      const byRef = Object.fromEntries(
        hooks().map((h) => [
          (h.body as FlwTransferCompletedEvent).data.reference,
          (h.body as FlwTransferCompletedEvent).data,
        ]),
      );
      expect(byRef['wd-bad']).toMatchObject({
        status: 'FAILED',
        complete_message: 'DISBURSE FAILED: Account not found',
        fullname: expect.any(String),
      });
      expect(byRef['wd-good']).toMatchObject({ status: 'SUCCESSFUL', complete_message: 'Successful' });
      const read = (await (await api(`/v3/transfers/${badT.id}`)).json()) as { data: { status: string } };
      expect(read.data.status).toBe('FAILED');
    });

    it('when a transfer is set to fail at request time, then 400 and nothing is queued', async () => {
      sim.failNextTransfer({ at: 'request', message: 'Insufficient balance' });
      const res = await api('/v3/transfers', {
        body: { account_bank: '044', account_number: '1', amount: 100, currency: 'NGN', reference: 'wd-now' },
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ status: 'error', message: 'Insufficient balance', data: null });
      expect(sim.transfers()).toHaveLength(0);
    });

    it('when the next refund is set to fail, then the refund is refused and the next one works', async () => {
      await checkout('tx-ref-fail');
      const { transactionId } = await sim.pay('tx-ref-fail');
      sim.failNextRefund({ message: 'Refund not possible now' });
      const first = await api(`/v3/transactions/${transactionId}/refund`, { body: {} });
      expect(first.status).toBe(400);
      const second = await api(`/v3/transactions/${transactionId}/refund`, { body: {} });
      expect(second.status).toBe(200);
    });
  });

  describe('control API', () => {
    it('when control is not enabled, then /__control does not exist', async () => {
      const plain = createFlutterwaveSimulator({ secretKey: SECRET_KEY, secretHash: SECRET_HASH });
      await plain.start();
      try {
        const res = await fetch(`${plain.url}/__control/state`, {
          headers: { Authorization: `Bearer ${SECRET_KEY}` },
        });
        expect(res.status).toBe(404);
      } finally {
        await plain.close();
      }
    });

    it('when control is called without the secret key, then 401', async () => {
      expect((await control('/state', undefined, 'nope')).status).toBe(401);
    });

    it('when steered over HTTP, then it behaves as the in-process API does', async () => {
      expect((await control('/webhooks/steer', { action: 'duplicate', times: 3 })).status).toBe(204);
      await checkout('tx-http');
      const scheduled = await control('/pay', { tx_ref: 'tx-http', delay_ms: 100 });
      expect(scheduled.status).toBe(202);
      await waitFor(() => hooks().length === 3);
      const listed = (await (await control('/webhooks')).json()) as {
        items: Array<{ key: string; copies: number }>;
      };
      expect(listed.items).toEqual([expect.objectContaining({ key: 'tx-http', copies: 3 })]);

      expect((await control('/verification', { tx_ref: 'tx-http', amount: 1 })).status).toBe(204);
      const verified = (await (await api('/v3/transactions/verify_by_reference?tx_ref=tx-http')).json()) as {
        data: { amount: number };
      };
      expect(verified.data.amount).toBe(1);

      expect((await control('/faults', { path: '/v3/transfers', status: 503 })).status).toBe(204);
      expect((await api('/v3/transfers/1')).status).toBe(503);

      await checkout('tx-http-now');
      const now = (await (await control('/pay', { tx_ref: 'tx-http-now', status: 'failed' })).json()) as {
        status: string;
        redirectTo: string;
      };
      expect(now.status).toBe('failed');
      expect(now.redirectTo).toContain('status=failed');

      expect((await control('/reset', {})).status).toBe(204);
      const state = (await (await control('/state')).json()) as {
        transactions: unknown[];
        webhooks: unknown[];
      };
      expect(state).toMatchObject({ transactions: [], webhooks: [] });
    });
  });

  describe('as Flutterwave really behaves (set per test)', () => {
    const data = async <T>(res: Response) => ((await res.json()) as { data: T }).data;

    it('when refunds are answered pending, then the refund reads back pending until the set reads, then completed; GET /v3/refunds lists it by day and page', async () => {
      await checkout('tx-pending');
      const { transactionId } = await sim.pay('tx-pending');
      expect((await control('/refunds/answer', { status: 'pending', polls: 2 })).status).toBe(204);
      const refund = await data<{ id: number; status: string }>(
        await api(`/v3/transactions/${transactionId}/refund`, { body: { comments: 'x' } }),
      );
      expect(refund.status).toBe('pending');
      expect((await data<{ status: string }>(await api(`/v3/refunds/${refund.id}`))).status).toBe('pending');
      expect((await data<{ status: string }>(await api(`/v3/refunds/${refund.id}`))).status).toBe(
        'completed',
      );
      expect((await data<{ status: string }>(await api(`/v3/refunds/${refund.id}`))).status).toBe(
        'completed',
      );
      const today = new Date().toISOString().slice(0, 10);
      const page1 = await data<Array<{ id: number; tx_id: number }>>(
        await api(`/v3/refunds?from=${today}&to=${today}&page=1`),
      );
      expect(page1).toEqual([expect.objectContaining({ id: refund.id, tx_id: transactionId })]);
      expect(await data(await api(`/v3/refunds?from=${today}&to=${today}&page=2`))).toEqual([]);
      expect(await data(await api('/v3/refunds?from=2000-01-01&to=2000-01-02&page=1'))).toEqual([]);
      expect((await api('/v3/refunds/999')).status).toBe(404);
    });

    it('when a refund is answered failed, then 200 with status failed and no money moves (a full refund still works after)', async () => {
      await checkout('tx-refund-failed');
      const { transactionId } = await sim.pay('tx-refund-failed');
      sim.answerRefunds({ status: 'failed' });
      const failed = await data<{ status: string }>(
        await api(`/v3/transactions/${transactionId}/refund`, { body: {} }),
      );
      expect(failed.status).toBe('failed');
      const again = await data<{ status: string; amount_refunded: number }>(
        await api(`/v3/transactions/${transactionId}/refund`, { body: {} }),
      );
      expect(again).toMatchObject({ status: 'completed', amount_refunded: 2500 });
    });

    it('when set to accept repeat charges, then a paid tx_ref can be charged again: two successful transactions, two webhooks', async () => {
      await checkout('tx-twice');
      expect((await control('/charges/repeat', { tx_ref: 'tx-twice' })).status).toBe(204);
      const first = await sim.pay('tx-twice');
      await checkout('tx-twice'); // a second tab re-initialises the paid tx_ref
      const second = await sim.pay('tx-twice');
      expect(second.transactionId).not.toBe(first.transactionId);
      expect(
        sim
          .transactions()
          .filter((t) => t.tx_ref === 'tx-twice')
          .map((t) => t.status),
      ).toEqual(['successful', 'successful']);
      await eventually(() => chargeHooks().length === 2);
      // Without it, the same tx_ref is not charged twice.
      await checkout('tx-once');
      const once = await sim.pay('tx-once');
      expect((await sim.pay('tx-once')).transactionId).toBe(once.transactionId);
    });

    it('when set to answer the oldest attempt by reference, then verify_by_reference returns the declined try while verify by id has the success', async () => {
      await checkout('tx-attempts');
      await sim.pay('tx-attempts', { status: 'failed' });
      const paid = await sim.pay('tx-attempts');
      const byRef = () => api('/v3/transactions/verify_by_reference?tx_ref=tx-attempts');
      expect((await data<{ status: string }>(await byRef())).status).toBe('successful');
      await control('/verification/by-reference', { tx_ref: 'tx-attempts', returns: 'oldest' });
      expect((await data<{ status: string }>(await byRef())).status).toBe('failed');
      expect(
        (await data<{ status: string }>(await api(`/v3/transactions/${paid.transactionId}/verify`))).status,
      ).toBe('successful');
    });

    it('when set to the legacy webhook shape (or both), then the charge is POSTed as the older top-level body (or once in each shape)', async () => {
      await control('/webhooks/shape', { shape: 'legacy' });
      await checkout('tx-legacy');
      const paid = await sim.pay('tx-legacy');
      await eventually(() => hooks().length === 1);
      const body = hooks()[0]!.body as Record<string, unknown>;
      expect(body).toMatchObject({
        id: paid.transactionId,
        txRef: 'tx-legacy',
        status: 'successful',
        amount: 2500,
        currency: 'NGN',
        'event.type': 'CARD_TRANSACTION',
      });
      expect(body).not.toHaveProperty('event');
      expect(body).not.toHaveProperty('data');
      expect(hooks()[0]!.headers['verif-hash']).toBe(SECRET_HASH);

      sim.setChargeWebhookShape('both');
      await checkout('tx-both');
      await sim.pay('tx-both');
      await eventually(() => hooks().length === 3);
      expect(
        hooks()
          .slice(1)
          .map((h) => ('event' in (h.body as object) ? 'current' : 'legacy')),
      ).toEqual(['current', 'legacy']);
    });

    it('when the customer gave no phone number, then verify says "N/A"', async () => {
      await api('/v3/payments', {
        body: {
          tx_ref: 'tx-nophone',
          amount: 100,
          currency: 'NGN',
          redirect_url: `${merchant.url}/return`,
          customer: { email: 'nophone@example.com' },
        },
      });
      const { transactionId } = await sim.pay('tx-nophone');
      const tx = await data<{ customer: { phone_number: string } }>(
        await api(`/v3/transactions/${transactionId}/verify`),
      );
      expect(tx.customer.phone_number).toBe('N/A');
    });

    it('when an answer is set to be lost, then the request is processed but the caller gets no answer', async () => {
      await checkout('tx-lost');
      const { transactionId } = await sim.pay('tx-lost');
      await control('/faults', { path: '/refund', method: 'POST', lose_answer: true });
      await expect(api(`/v3/transactions/${transactionId}/refund`, { body: {} })).rejects.toThrow();
      expect(sim.refunds()).toEqual([expect.objectContaining({ tx_id: transactionId, status: 'completed' })]);
    });
  });
});
