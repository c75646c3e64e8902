import { HttpReceiver } from '../support/http-receiver';
import { waitFor } from '../support/platform';
import { createFlutterwaveSimulator, type FlutterwaveSimulator } from '../../tools/flutterwave-sim/simulator';

const SECRET_KEY = 'FLWSECK_TEST-sim-transfers-control-X';
const SECRET_HASH = 'sim-transfers-control-hash-0123';

/**
 * The simulator's payout side steered over HTTP (/__control/transfers/*), as a separate process
 * (npm start, a browser test) would steer it: time-outs after creation, outages, reversals,
 * duplicate references, balances, the list by reference and its pages.
 */
describe('Flutterwave simulator: transfers steered over the control API', () => {
  let sim: FlutterwaveSimulator;
  let merchant: HttpReceiver;

  const call = async (path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST') => {
    const res = await fetch(`${sim.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${SECRET_KEY}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
  };
  const transfer = (reference: string, extra: Record<string, unknown> = {}) =>
    call('/v3/transfers', {
      account_bank: '044',
      account_number: '0690000040',
      amount: 1500.5,
      currency: 'NGN',
      reference,
      ...extra,
    });

  beforeAll(async () => {
    merchant = await new HttpReceiver().start();
    sim = createFlutterwaveSimulator({
      secretKey: SECRET_KEY,
      secretHash: SECRET_HASH,
      webhookUrl: `${merchant.url}/webhook`,
      controlApi: true,
      transferPendingMs: 10,
      transferSettleMs: 20,
      webhookRetryDelayMs: 10,
      // A loaded machine answers late; a retried copy would be a second SUCCESSFUL webhook.
      webhookTimeoutMs: 15_000,
    });
    await sim.start();
  });
  afterAll(async () => {
    await sim.close();
    await merchant.close();
  });
  beforeEach(async () => {
    await call('/__control/reset', {});
    merchant.requests.length = 0;
  });

  it('when the next transfer is set to time out, then the connection is cut but the transfer exists', async () => {
    expect((await call('/__control/transfers/timeout-next', { hold_ms: 100 })).status).toBe(204);
    await expect(transfer('ctl-timeout')).rejects.toThrow();
    const listed = await call('/v3/transfers?reference=ctl-timeout');
    expect(listed.body).toMatchObject({
      status: 'success',
      data: [{ reference: 'ctl-timeout', amount: 1500.5 }],
    });
  });

  it('when an outage is steered, then 5xx with the transfer made or not as told', async () => {
    await call('/__control/transfers/outage-next', { status: 502, processed: true });
    expect((await transfer('ctl-502')).status).toBe(502);
    await call('/__control/transfers/outage-next', { status: 503 });
    expect((await transfer('ctl-503')).status).toBe(503);
    const state = await call('/__control/transfers');
    expect((state.body!.items as Array<{ reference: string }>).map((t) => t.reference)).toEqual(['ctl-502']);
  });

  it('when a paid transfer is reversed, then it reads FAILED, the wallet gets the amount back and a second webhook goes out', async () => {
    await call('/__control/transfers/balances', { currency: 'NGN', amount: '2000' });
    const { body } = await transfer('ctl-rev');
    const id = (body!.data as { id: number }).id;
    await waitFor(
      async () => (await call(`/v3/transfers/${id}`)).body!.data,
      15_000,
      'the transfer to exist',
    );
    await waitFor(
      async () =>
        ((await call(`/v3/transfers/${id}`)).body!.data as { status: string }).status === 'SUCCESSFUL',
      15_000,
    );
    // 2000 − 1500.50 − 10.75 (NGN fee up to 5,000)
    expect((await call('/v3/balances/NGN')).body!.data).toEqual({
      currency: 'NGN',
      available_balance: 488.75,
      ledger_balance: 488.75,
    });
    // This transfer's webhooks only: a transfer of an earlier test may still be on its way.
    const statuses = () =>
      merchant
        .received('/webhook')
        .map((r) => (r.body as { data: { reference: string; status: string } }).data)
        .filter((d) => d.reference === 'ctl-rev')
        .map((d) => d.status);
    await waitFor(() => statuses().length === 1, 15_000, 'the first webhook');
    const reversed = await call('/__control/transfers/ctl-rev/reverse', {});
    expect(reversed.body).toMatchObject({ status: 'FAILED', reversed: true });
    expect(((await call('/v3/balances/NGN')).body!.data as { ledger_balance: number }).ledger_balance).toBe(
      1989.25,
    );
    await waitFor(() => statuses().length >= 2, 15_000, 'the reversal webhook');
    expect(statuses()).toEqual(['SUCCESSFUL', 'FAILED']);
    expect((await call('/__control/transfers/ctl-rev/reverse', {})).status).toBe(409);
  });

  it('when duplicate references are accepted, then the list by reference shows both, and pages hold ten each', async () => {
    expect((await transfer('ctl-dup')).status).toBe(200);
    expect((await transfer('ctl-dup')).status).toBe(400);
    await call('/__control/transfers/duplicate-references', { mode: 'accept' });
    expect((await transfer('ctl-dup')).status).toBe(200);
    const dup = await call('/__control/transfers?reference=ctl-dup');
    expect(dup.body!.items).toEqual([
      expect.objectContaining({ createCalls: 3 }),
      expect.objectContaining({ createCalls: 3 }),
    ]);
    for (let i = 0; i < 10; i++) await transfer(`ctl-page-${i}`);
    const page1 = await call('/v3/transfers?page=1');
    const page2 = await call('/v3/transfers?page=2');
    expect((page1.body!.data as unknown[]).length).toBe(10);
    expect((page2.body!.data as unknown[]).length).toBe(2);
    expect(page2.body!.meta).toEqual({ page_info: { total: 12, current_page: 2, total_pages: 2 } });
  });

  it('when an account is registered, then resolve answers its name; banks are { id, code, name }', async () => {
    await call('/__control/transfers/accounts', {
      account_bank: '058',
      account_number: '0123456789',
      account_name: 'Ngozi Okafor',
    });
    expect(
      (await call('/v3/accounts/resolve', { account_number: '0123456789', account_bank: '058' })).body,
    ).toEqual({
      status: 'success',
      message: 'Account details fetched',
      data: { account_number: '0123456789', account_name: 'Ngozi Okafor' },
    });
    const banks = (await call('/v3/banks/GH')).body!.data as Array<Record<string, unknown>>;
    expect(Object.keys(banks[0]!).sort()).toEqual(['code', 'id', 'name']);
    expect((await call('/v3/banks/ZZ')).status).toBe(400);
  });
});
