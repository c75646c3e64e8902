import { HttpReceiver } from '../../../../test/support/http-receiver';
import { eventually } from '../../../../test/support/eventually';
import {
  createFlutterwaveSimulator,
  type FlutterwaveSimulator,
} from '../../../../tools/flutterwave-sim/simulator';
import { createLogger } from '../../../shared/logger';
import {
  FlutterwaveClient,
  FlutterwaveError,
  FlutterwaveTransfers,
  assessTransfer,
  decimalText,
  type CreateTransferParams,
  type FlutterwaveClientOptions,
} from '..';

const SECRET_KEY = 'FLWSECK_TEST-transfers-test-0a1b2c3d-X';
const SECRET_HASH = 'transfers-test-webhook-hash-4567';

describe('Flutterwave transfers client against the simulator over HTTP', () => {
  let sim: FlutterwaveSimulator;
  let merchant: HttpReceiver;
  let calls: Array<{ method: string; url: string }>;

  const countingFetch: typeof fetch = (input, init) => {
    calls.push({ method: init?.method ?? 'GET', url: String(input) });
    return fetch(input, init);
  };

  function transfers(overrides: Partial<FlutterwaveClientOptions> = {}): FlutterwaveTransfers {
    return new FlutterwaveTransfers(
      new FlutterwaveClient({
        baseUrl: sim.url,
        secretKey: SECRET_KEY,
        logger: createLogger({ level: 'error', service: 'transfers-test' }),
        timeoutMs: 1000,
        maxRetries: 2,
        retryBaseMs: 10,
        fetch: countingFetch,
        ...overrides,
      }),
    );
  }

  const bankPayout = (reference: string, amountMinor = 2_500_075): CreateTransferParams => ({
    account_bank: '044',
    account_number: '0690000040',
    amountMinor,
    currency: 'NGN',
    narration: `Payout ${reference}`,
    reference,
  });

  const posts = () => calls.filter((c) => c.method === 'POST' && c.url.endsWith('/v3/transfers'));

  async function providerError(p: Promise<unknown>): Promise<FlutterwaveError> {
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
    merchant.requests.length = 0;
  });

  it('when a bank transfer is created, then it is NEW with full_name and an exact three-decimal fee, then SUCCESSFUL with a fullname webhook', async () => {
    sim.registerAccount('044', '0690000040', 'Ada Seller');
    const t = transfers();
    const created = await t.createTransfer(bankPayout('wd_1'));
    expect(created).toMatchObject({
      reference: 'wd_1',
      state: 'NEW',
      final: false,
      amountMinor: 2_500_075,
      currency: 'NGN',
      fee: '26.875',
      beneficiaryName: 'Ada Seller',
    });
    expect(created.raw).toMatchObject({ full_name: 'Ada Seller', bank_name: 'ACCESS BANK' });
    const done = await eventually(async () => {
      const now = await t.getTransfer(created.id);
      return now.final && now;
    });
    expect(
      assessTransfer(done, { reference: 'wd_1', amountMinor: 2_500_075, currency: 'NGN' }),
    ).toMatchObject({
      outcome: 'PAID',
    });
    const hook = await eventually(() => merchant.received('/webhook')[0]);
    expect(hook.headers['verif-hash']).toBe(SECRET_HASH);
    expect(hook.body).toMatchObject({
      event: 'transfer.completed',
      'event.type': 'Transfer',
      data: { id: created.id, reference: 'wd_1', status: 'SUCCESSFUL', fullname: 'Ada Seller', fee: 26.875 },
    });
    expect((hook.body as { data: object }).data).not.toHaveProperty('full_name');
  });

  it('when the create answer never comes, then one POST only, outcomeUnknown, and the lookup by reference finds the one transfer', async () => {
    const t = transfers({ timeoutMs: 200 });
    sim.timeoutNextTransfer({ holdMs: 1000 });
    const err = await providerError(t.createTransfer(bankPayout('wd_timeout')));
    expect(err.info).toMatchObject({ outcomeUnknown: true, retryable: true });
    expect(posts()).toHaveLength(1);
    const found = await t.findTransfersByReference('wd_timeout');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ reference: 'wd_timeout', amountMinor: 2_500_075 });
    expect(sim.transfersWithReference('wd_timeout')).toHaveLength(1);
  });

  it('when POST answers 5xx, then it is not retried; processed or not, the lookup tells which', async () => {
    const t = transfers();
    sim.failNextTransferWith5xx({ status: 502, processed: true });
    const first = await providerError(t.createTransfer(bankPayout('wd_5xx_done')));
    expect(first.info.outcomeUnknown).toBe(true);
    expect(await t.findTransfersByReference('wd_5xx_done')).toHaveLength(1);

    sim.failNextTransferWith5xx({ status: 503, processed: false });
    const second = await providerError(t.createTransfer(bankPayout('wd_5xx_lost')));
    expect(second.info.outcomeUnknown).toBe(true);
    expect(await t.findTransfersByReference('wd_5xx_lost')).toEqual([]);
    expect(posts()).toHaveLength(2);
  });

  it('when a reference is reused, then 409 PROVIDER_DUPLICATE_REFERENCE by default, and two transfers where the provider does not guard', async () => {
    const t = transfers();
    await t.createTransfer(bankPayout('wd_dup'));
    const err = await providerError(t.createTransfer(bankPayout('wd_dup')));
    expect(err).toMatchObject({ code: 'PROVIDER_DUPLICATE_REFERENCE', status: 409 });
    sim.setDuplicateReferences('accept');
    await t.createTransfer(bankPayout('wd_dup'));
    expect(await t.findTransfersByReference('wd_dup')).toHaveLength(2);
  });

  it('when mobile money lacks beneficiary_name, then it is accepted and then FAILS with the documented message', async () => {
    const t = transfers();
    const created = await t.createTransfer({
      account_bank: 'MPS',
      account_number: '256782033409',
      amountMinor: 20_000,
      currency: 'UGX',
      reference: 'wd_momo_no_name',
    });
    const failed = await eventually(async () => {
      const now = await t.getTransfer(created.id);
      return now.final && now;
    });
    expect(
      assessTransfer(failed, { reference: 'wd_momo_no_name', amountMinor: 20_000, currency: 'UGX' }),
    ).toEqual(expect.objectContaining({ outcome: 'FAILED', reason: 'beneficiary_name is required' }));
    expect(failed.beneficiaryName).toBeNull();
  });

  it('when an M-Pesa payout carries beneficiary_name and sender meta, then it succeeds', async () => {
    const t = transfers();
    const created = await t.createTransfer({
      account_bank: 'MPS',
      account_number: '254700000001',
      amountMinor: 150_000,
      currency: 'KES',
      beneficiary_name: 'Akinyi Kimwei',
      meta: { sender: 'Tikiti', sender_country: 'KE', mobile_number: '254700000001' },
      reference: 'wd_mpesa',
    });
    const done = await eventually(async () => {
      const now = await t.getTransfer(created.id);
      return now.final && now;
    });
    expect(done).toMatchObject({ state: 'SUCCESSFUL', beneficiaryName: 'Akinyi Kimwei' });
  });

  it('when a paid transfer is reversed, then the provider reports it FAILED and a second webhook says so', async () => {
    const t = transfers();
    const created = await t.createTransfer(bankPayout('wd_rev', 100_000));
    await eventually(async () => (await t.getTransfer(created.id)).state === 'SUCCESSFUL');
    sim.reverseTransfer('wd_rev');
    const now = await t.getTransfer(created.id);
    expect(assessTransfer(now, { reference: 'wd_rev', amountMinor: 100_000, currency: 'NGN' }).outcome).toBe(
      'FAILED',
    );
    const hooks = await eventually(
      () => merchant.received('/webhook').length === 2 && merchant.received('/webhook'),
    );
    expect(hooks.map((h) => (h.body as { data: { status: string } }).data.status)).toEqual([
      'SUCCESSFUL',
      'FAILED',
    ]);
  });

  it('when the provider reports another amount, then the verdict is MISMATCH, not PAID', async () => {
    const t = transfers();
    const created = await t.createTransfer(bankPayout('wd_amount', 100_000));
    const done = await eventually(async () => {
      const now = await t.getTransfer(created.id);
      return now.final && now;
    });
    expect(
      assessTransfer(done, { reference: 'wd_amount', amountMinor: 100_001, currency: 'NGN' }),
    ).toMatchObject({
      outcome: 'MISMATCH',
    });
  });

  it('when fees, banks, account names and balances are asked for, then they come in the documented shapes with exact decimals', async () => {
    const t = transfers();
    expect(await t.transferFee({ amountMinor: 1_250_000, currency: 'NGN', type: 'account' })).toEqual([
      { currency: 'NGN', feeType: 'value', fee: '26.875' },
    ]);
    const banks = await t.listBanks('NG');
    expect(banks).toEqual(
      expect.arrayContaining([{ id: expect.any(Number), code: '044', name: 'Access Bank' }]),
    );
    expect(await t.resolveAccount({ accountNumber: '0690000031', bankCode: '044' })).toEqual({
      account_number: '0690000031',
      account_name: expect.any(String),
    });
    const bad = await providerError(t.resolveAccount({ accountNumber: '12', bankCode: '044' }));
    expect(bad).toMatchObject({ code: 'PROVIDER_REJECTED', status: 422 });

    sim.setBalance('NGN', 1000);
    await t.createTransfer(bankPayout('wd_bal', 50_000)); // 500.00 + 10.75 fee
    expect(await t.getBalance('NGN')).toMatchObject({ available: '489.25', availableMinor: 48_925 });
    sim.setBalance('NGN', '0.125');
    expect(await t.getBalance('NGN')).toMatchObject({ available: '0.125', availableMinor: null });
  });

  it('when decimals are read from JSON numbers, then the text is exact or refused', () => {
    expect(decimalText(26.875)).toBe('26.875');
    expect(decimalText(10.75)).toBe('10.75');
    expect(decimalText(1e21)).toBeNull();
    expect(decimalText('N/A')).toBeNull();
  });
});
