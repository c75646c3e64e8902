import { Writable } from 'node:stream';
import winston from 'winston';
import { HttpReceiver } from '../../../../test/support/http-receiver';
import { TcpProxy } from '../../../../test/support/tcp-proxy';
import {
  createFlutterwaveSimulator,
  type FlutterwaveSimulator,
} from '../../../../tools/flutterwave-sim/simulator';
import { createLogger } from '../../../shared/logger';
import { FlutterwaveClient, FlutterwaveError, assessTransaction, type FlutterwaveClientOptions } from '..';

const SECRET_KEY = 'FLWSECK_TEST-client-test-9f8e7d6c5b4a-X';
const SECRET_HASH = 'client-test-webhook-hash-0123';

/** A winston logger (our real one, with its redaction) writing every line into `lines`. */
function capturingLogger() {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', service: 'flutterwave-test', json: true });
  logger.clear();
  logger.add(
    new winston.transports.Stream({
      stream: new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    }),
  );
  return { logger, lines };
}

describe('Flutterwave client against the simulator over HTTP', () => {
  let sim: FlutterwaveSimulator;
  let merchant: HttpReceiver;
  let calls: Array<{ method: string; url: string }>;
  let logs: ReturnType<typeof capturingLogger>;

  const countingFetch: typeof fetch = (input, init) => {
    calls.push({ method: init?.method ?? 'GET', url: String(input) });
    return fetch(input, init);
  };

  function client(overrides: Partial<FlutterwaveClientOptions> = {}): FlutterwaveClient {
    return new FlutterwaveClient({
      baseUrl: sim.url,
      secretKey: SECRET_KEY,
      logger: logs.logger,
      // Generous: a loaded machine can answer a local call late, and a retry would count twice.
      timeoutMs: 10_000,
      maxRetries: 2,
      retryBaseMs: 10,
      fetch: countingFetch,
      ...overrides,
    });
  }

  async function newCheckout(
    c: FlutterwaveClient,
    txRef: string,
    amountMinor = 150050,
    currency: 'NGN' | 'UGX' = 'NGN',
  ) {
    return c.createPayment({
      tx_ref: txRef,
      amountMinor,
      currency,
      redirect_url: `${merchant.url}/return`,
      customer: { email: 'ada@example.com', name: 'Ada Lovelace' },
      customizations: { title: 'Tikiti', description: 'Two tickets' },
      meta: { bookingId: 'bk_1' },
    });
  }

  async function expectProviderError(p: Promise<unknown>): Promise<FlutterwaveError> {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FlutterwaveError);
    return err as FlutterwaveError;
  }

  beforeAll(async () => {
    merchant = await new HttpReceiver().start();
    sim = createFlutterwaveSimulator({
      secretKey: SECRET_KEY,
      secretHash: SECRET_HASH,
      webhookUrl: `${merchant.url}/webhook`,
      transferPendingMs: 20,
      transferSettleMs: 40,
      webhookRetryDelayMs: 20,
    });
    await sim.start();
  });
  afterAll(async () => {
    await sim.close();
    await merchant.close();
  });
  beforeEach(() => {
    sim.reset();
    calls = [];
    logs = capturingLogger();
    merchant.requests.length = 0;
  });

  describe('hosted checkout and verification', () => {
    it('when a payment is created, then the link opens a checkout for the exact decimal amount', async () => {
      const { link } = await newCheckout(client(), 'tx-create-1', 150050);
      expect(link).toMatch(new RegExp(`^${sim.url}/v3/hosted/pay/[0-9a-f]{32}$`));
      const page = await (await fetch(link)).text();
      expect(page).toContain('NGN\u00a01,500.50');
      expect(page).toContain('ada@example.com');
      expect(calls).toHaveLength(1);
    });

    it('when a zero-decimal currency is sent, then the provider sees whole units (UGX 5000 is 5000)', async () => {
      const c = client();
      await newCheckout(c, 'tx-ugx', 5000, 'UGX');
      await sim.pay('tx-ugx');
      const tx = await c.verifyTransactionByReference('tx-ugx');
      expect(tx.amount).toBe(5000);
      expect(tx.currency).toBe('UGX');
      expect(assessTransaction(tx, { txRef: 'tx-ugx', amountMinor: 5000, currency: 'UGX' })).toMatchObject({
        outcome: 'PAID',
        paidMinor: 5000,
      });
    });

    it('when a paid transaction is verified by id and by reference, then both give the provider record', async () => {
      const c = client();
      await newCheckout(c, 'tx-verify', 150050);
      const paid = await sim.pay('tx-verify');
      const byId = await c.verifyTransaction(paid.transactionId!);
      const byRef = await c.verifyTransactionByReference('tx-verify');
      expect(byRef).toEqual(byId);
      expect(byId).toMatchObject({
        id: paid.transactionId,
        tx_ref: 'tx-verify',
        amount: 1500.5,
        charged_amount: 1500.5,
        currency: 'NGN',
        status: 'successful',
        customer: expect.objectContaining({ email: 'ada@example.com', name: 'Ada Lovelace' }),
      });
      expect(byId.flw_ref).toMatch(/^FLW-MOCK-/);
      expect(assessTransaction(byId, { txRef: 'tx-verify', amountMinor: 150050, currency: 'NGN' })).toEqual({
        outcome: 'PAID',
        transactionId: paid.transactionId,
        paidMinor: 150050,
        overpaidMinor: 0,
      });
    });

    it('when nobody has paid a tx_ref yet, then find gives null and verify says PROVIDER_NOT_FOUND', async () => {
      const c = client();
      await newCheckout(c, 'tx-unpaid');
      await expect(c.findTransactionByReference('tx-unpaid')).resolves.toBeNull();
      const err = await expectProviderError(c.verifyTransaction(999));
      expect(err.code).toBe('PROVIDER_NOT_FOUND');
      expect(err.status).toBe(404);
      expect(err.info.providerMessage).toBe('No transaction was found for this id');
    });

    it('when the provider record is tampered (amount, currency), then the verdict is MISMATCH', async () => {
      const c = client();
      await newCheckout(c, 'tx-tamper', 150050);
      await sim.pay('tx-tamper');
      const expected = { txRef: 'tx-tamper', amountMinor: 150050, currency: 'NGN' as const };
      sim.overrideVerification('tx-tamper', { amount: 15.05 });
      expect(assessTransaction(await c.verifyTransactionByReference('tx-tamper'), expected)).toMatchObject({
        outcome: 'MISMATCH',
        problems: ['amount is 1505 minor units, expected at least 150050'],
      });
      sim.overrideVerification('tx-tamper', { currency: 'USD' });
      expect(assessTransaction(await c.verifyTransactionByReference('tx-tamper'), expected)).toMatchObject({
        outcome: 'MISMATCH',
        problems: ['currency is USD, expected NGN'],
      });
      sim.overrideVerification('tx-tamper', { amount: 2000 });
      expect(assessTransaction(await c.verifyTransactionByReference('tx-tamper'), expected)).toMatchObject({
        outcome: 'PAID',
        overpaidMinor: 49_950,
      });
    });
  });

  describe('error mapping', () => {
    it('when the secret key is wrong, then PROVIDER_AUTH_FAILED after one attempt (401 is never retried)', async () => {
      const err = await expectProviderError(
        newCheckout(client({ secretKey: 'FLWSECK_TEST-wrong-X' }), 'tx-auth'),
      );
      expect(err).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', kind: 'unavailable' });
      expect(err.info).toMatchObject({
        httpStatus: 401,
        providerMessage: 'Invalid authorization key',
        retryable: false,
        attempts: 1,
      });
      expect(calls).toHaveLength(1);
    });

    it('when Flutterwave refuses the request (4xx), then PROVIDER_REJECTED 422 with its message, not retried', async () => {
      const c = client();
      const err = await expectProviderError(
        c.createPayment({
          tx_ref: 'tx-bad',
          amountMinor: 100,
          currency: 'NGN',
          redirect_url: 'not a url',
          customer: { email: 'a@b.co' },
        }),
      );
      expect(err).toMatchObject({ code: 'PROVIDER_REJECTED', status: 422 });
      expect(err.info).toMatchObject({
        httpStatus: 400,
        providerMessage: 'redirect_url must be a valid URL',
        attempts: 1,
      });
      expect(err.details).toEqual([{ message: 'redirect_url must be a valid URL' }]);
      expect(calls).toHaveLength(1);
    });

    it('when our own input is bad, then nothing is sent', async () => {
      const c = client();
      await expect(newCheckout(c, 'tx-neg', -5)).rejects.toMatchObject({
        code: 'PROVIDER_BAD_REQUEST',
        status: 400,
      });
      await expect(
        c.createPayment({
          tx_ref: 'x',
          amountMinor: 1.5,
          currency: 'NGN',
          redirect_url: 'http://x',
          customer: { email: 'a@b.co' },
        }),
      ).rejects.toMatchObject({ code: 'INVALID_AMOUNT' });
      await expect(
        c.createPayment({
          tx_ref: 'x',
          amountMinor: 100,
          currency: 'JPY' as 'NGN',
          redirect_url: 'http://x',
          customer: { email: 'a@b.co' },
        }),
      ).rejects.toMatchObject({ code: 'UNSUPPORTED_CURRENCY' });
      expect(calls).toHaveLength(0);
    });
  });

  describe('retries', () => {
    it('when Flutterwave answers 5xx twice, then the call is retried and succeeds on the third attempt', async () => {
      sim.injectFaults({ path: '/v3/payments', status: 503, count: 2 });
      const { link } = await newCheckout(client(), 'tx-5xx');
      expect(link).toContain('/v3/hosted/pay/');
      expect(calls).toHaveLength(3);
      expect(logs.lines.filter((l) => l.includes('retrying'))).toHaveLength(2);
    });

    it('when 5xx persists, then PROVIDER_UNAVAILABLE 503 after maxRetries + 1 attempts', async () => {
      sim.injectFaults({ path: '/v3/transactions', status: 502, count: 10 });
      const err = await expectProviderError(client().verifyTransaction(1));
      expect(err).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', status: 503 });
      expect(err.info).toMatchObject({
        httpStatus: 502,
        retryable: true,
        outcomeUnknown: false,
        attempts: 3,
      });
      expect(calls).toHaveLength(3);
    });

    it('when an attempt times out, then it is aborted and retried', async () => {
      const c = client({ timeoutMs: 150 });
      await newCheckout(c, 'tx-slow');
      await sim.pay('tx-slow');
      sim.injectFaults({ path: '/verify_by_reference', delayMs: 600, count: 1 });
      const started = Date.now();
      const tx = await c.verifyTransactionByReference('tx-slow');
      expect(tx.tx_ref).toBe('tx-slow');
      expect(Date.now() - started).toBeLessThan(600);
      expect(calls.filter((x) => x.url.includes('verify_by_reference'))).toHaveLength(2);
      expect(logs.lines.some((l) => l.includes('timed out'))).toBe(true);
    });

    it('when every attempt times out, then PROVIDER_UNAVAILABLE', async () => {
      sim.injectFaults({ path: '/v3/transactions/1/verify', delayMs: 400, count: 3 });
      const err = await expectProviderError(client({ timeoutMs: 100, maxRetries: 1 }).verifyTransaction(1));
      expect(err.info).toMatchObject({ retryable: true, outcomeUnknown: false, attempts: 2 });
    });

    it('when the connection is dropped mid-request, then the network error is retried', async () => {
      const c = client();
      await newCheckout(c, 'tx-drop');
      await sim.pay('tx-drop');
      sim.injectFaults({ path: '/verify_by_reference', drop: true, count: 1 });
      const tx = await c.verifyTransactionByReference('tx-drop');
      expect(tx.status).toBe('successful');
      expect(calls).toHaveLength(3);
    });

    it('when nothing listens at all, then PROVIDER_UNAVAILABLE and we know the request never left', async () => {
      const proxy = await new TcpProxy('127.0.0.1', Number(new URL(sim.url).port)).start();
      await proxy.cut();
      const err = await expectProviderError(
        client({ baseUrl: `http://127.0.0.1:${proxy.port}` }).refundTransaction(1),
      );
      expect(err.info).toMatchObject({ retryable: true, outcomeUnknown: false, attempts: 3 });
    });

    it('when the caller aborts, then the call stops at once without retries', async () => {
      sim.injectFaults({ path: '/v3/transactions/1/verify', delayMs: 500, count: 1 });
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('caller gave up')), 50);
      await expect(client().verifyTransaction(1, { signal: controller.signal })).rejects.toThrow(
        'caller gave up',
      );
      expect(calls).toHaveLength(1);
    });
  });

  describe('refunds', () => {
    it('when a paid transaction is refunded in full, then the whole amount comes back once', async () => {
      const c = client();
      await newCheckout(c, 'tx-refund', 150050);
      const { transactionId } = await sim.pay('tx-refund');
      const refund = await c.refundTransaction(transactionId!, { comments: 'Event cancelled' });
      expect(refund).toMatchObject({
        tx_id: transactionId,
        amount_refunded: 1500.5,
        status: 'completed',
        destination: 'payment_source',
      });
      const again = await expectProviderError(c.refundTransaction(transactionId!));
      expect(again).toMatchObject({ code: 'PROVIDER_REJECTED' });
      expect(again.info.providerMessage).toMatch(/already been fully refunded/);
    });

    it('when a partial refund is asked for, then only that amount (converted exactly) is refunded', async () => {
      const c = client();
      await newCheckout(c, 'tx-partial', 150050);
      const { transactionId } = await sim.pay('tx-partial');
      const refund = await c.refundTransaction(transactionId!, { amountMinor: 50025, currency: 'NGN' });
      expect(refund.amount_refunded).toBe(500.25);
      const over = await expectProviderError(
        c.refundTransaction(transactionId!, { amountMinor: 100026, currency: 'NGN' }),
      );
      expect(over.info.providerMessage).toMatch(/exceeds the refundable balance/);
    });

    it('when a refund is accepted as pending, then getRefund reads it back until completed, and listRefunds finds it by day', async () => {
      const c = client();
      await newCheckout(c, 'tx-refund-read');
      const { transactionId } = await sim.pay('tx-refund-read');
      sim.answerRefunds({ status: 'pending', polls: 1 });
      const refund = await c.refundTransaction(transactionId!, { amountMinor: 50025, currency: 'NGN' });
      expect(refund).toMatchObject({ status: 'pending', tx_id: transactionId, amount_refunded: 500.25 });
      expect(await c.getRefund(refund.id)).toMatchObject({ id: refund.id, status: 'completed' });
      const today = new Date().toISOString().slice(0, 10);
      expect(await c.listRefunds({ from: today, to: today, page: 1 })).toEqual([
        expect.objectContaining({ id: refund.id, tx_id: transactionId }),
      ]);
      expect(await c.listRefunds({ from: today, to: today, page: 2 })).toEqual([]);
      expect((await expectProviderError(c.getRefund(987654321))).code).toBe('PROVIDER_NOT_FOUND');
    });

    it('when a refund meets a 5xx, then it is not retried and the outcome is reported unknown', async () => {
      const c = client();
      await newCheckout(c, 'tx-refund-5xx');
      const { transactionId } = await sim.pay('tx-refund-5xx');
      sim.injectFaults({ path: '/refund', status: 500, count: 1 });
      const err = await expectProviderError(c.refundTransaction(transactionId!));
      expect(err).toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
      expect(err.info).toMatchObject({ attempts: 1, outcomeUnknown: true, retryable: true });
      expect(calls.filter((x) => x.url.endsWith('/refund'))).toHaveLength(1);
    });

    it('when a refund cannot connect at first, then it is retried because it never left', async () => {
      const c0 = client();
      await newCheckout(c0, 'tx-refund-conn');
      const { transactionId } = await sim.pay('tx-refund-conn');
      const proxy = await new TcpProxy('127.0.0.1', Number(new URL(sim.url).port)).start();
      await proxy.cut();
      let restored = false;
      const restoringFetch: typeof fetch = async (input, init) => {
        try {
          return await countingFetch(input, init);
        } finally {
          if (!restored) {
            restored = true;
            await proxy.restore();
          }
        }
      };
      try {
        const refund = await client({
          baseUrl: `http://127.0.0.1:${proxy.port}`,
          fetch: restoringFetch,
        }).refundTransaction(transactionId!);
        expect(refund.amount_refunded).toBe(1500.5);
        expect(calls).toHaveLength(2 + 1);
        expect(sim.refunds()).toHaveLength(1);
      } finally {
        await proxy.close();
      }
    });
  });

  describe('retries of a creating call', () => {
    it('when a hosted-payment POST is retried after a time-out, then the same checkout comes back', async () => {
      const c = client({ timeoutMs: 150 });
      sim.injectFaults({ method: 'POST', path: '/v3/payments', delayMs: 300, count: 1 });
      const { link } = await newCheckout(c, 'tx-retry-link');
      expect(calls).toHaveLength(2);
      expect(link).toBe(sim.checkoutLink('tx-retry-link'));
    });
  });

  it('when calls succeed, fail, time out and retry, then the secret key never reaches a log line', async () => {
    const c = client({ timeoutMs: 150 });
    await newCheckout(c, 'tx-logs');
    sim.injectFaults({ path: '/verify_by_reference', status: 500, count: 1 });
    sim.injectFaults({ path: '/verify_by_reference', delayMs: 400, count: 1 });
    await c.findTransactionByReference('tx-logs');
    await expectProviderError(newCheckout(client({ secretKey: `${SECRET_KEY}-wrong` }), 'tx-logs-2'));
    const text = logs.lines.join('\n');
    expect(logs.lines.length).toBeGreaterThan(5);
    expect(text).toContain('"Authorization":"[redacted]"');
    expect(text).not.toContain(SECRET_KEY);
    expect(text).not.toContain('client-test-9f8e7d6c5b4a');
  });
});
