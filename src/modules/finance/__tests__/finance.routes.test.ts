import crypto from 'node:crypto';
import {
  makeSeller,
  makeTeamMember,
  signIn,
  startAuthApp,
  type AuthTestEnv,
  type TestSession,
} from '../../../../test/support/auth';
import { expectLedgerInvariant } from '../../../../test/support/ledger-invariant';
import { resetDatabase } from '../../../../test/support/platform';
import {
  createFlutterwaveSimulator,
  type FlutterwaveSimulator,
} from '../../../../tools/flutterwave-sim/simulator';
import { fixedClock } from '../../../shared/clock';
import { createFinanceService, type FinanceService } from '../finance.service';

const HOUR = 3_600_000;
const PLATFORM_FINANCE = ['money@example.test', 'money2@example.test', 'both@example.test'];
const ACCOUNT_NUMBER = '0690000031';
const WALLET = '254712345678';

describe('finance API', () => {
  let env: AuthTestEnv;
  let finance: FinanceService;
  let seller: TestSession;
  let member: TestSession;
  let otherSeller: TestSession;
  let approver: TestSession;
  let sim: FlutterwaveSimulator;
  const clock = fixedClock(new Date());

  beforeAll(async () => {
    // The web process resolves bank account names (and quotes fees) with Flutterwave.
    const FLW_KEY = 'FLWSECK_TEST-finance-routes-key-X';
    sim = createFlutterwaveSimulator({ secretKey: FLW_KEY, secretHash: 'finance-routes-webhook-hash-01' });
    await sim.start();
    for (const number of [ACCOUNT_NUMBER, '0123456789']) sim.registerAccount('044', number, 'Ada Obi');
    env = await startAuthApp({
      clock,
      overrides: {
        FLUTTERWAVE_BASE_URL: sim.url,
        FLUTTERWAVE_SECRET_KEY: FLW_KEY,
        FINANCE_EMAILS: PLATFORM_FINANCE.join(','),
        FINANCE_METHOD_COOLING_OFF_HOURS: '24',
        FINANCE_WITHDRAWAL_MIN_MINOR: 'NGN:10000',
        FINANCE_RATE_LIMIT_MAX: '1000',
        SESSION_IDLE_MINUTES: '100000',
        SESSION_ABSOLUTE_HOURS: '10000',
        DATABASE_POOL_SIZE: '20',
      },
    });
    await resetDatabase(env.platform);
    finance = createFinanceService({
      prisma: env.platform.prisma,
      clock,
      config: env.platform.config,
      logger: env.platform.logger,
    });
    seller = await makeSeller(env, 'seller@example.test');
    member = await makeTeamMember(env, seller, 'books@example.test', 'FINANCE');
    otherSeller = await makeSeller(env, 'other@example.test');
    approver = await signIn(env, PLATFORM_FINANCE[0]!);
  });
  afterEach(() => expectLedgerInvariant(env.platform.prisma));
  afterAll(async () => {
    await env.close();
    await sim.close();
  });

  /** Credits the seller's available balance as a sale after settlement would. */
  async function credit(sellerId: string, amountMinor: number, currency = 'NGN') {
    await env.platform.prisma.$transaction((tx) =>
      finance.ledger.post(tx, {
        causeKey: `test:credit:${crypto.randomUUID()}`,
        kind: 'PAYMENT',
        memo: 'Ticket sale',
        sellerId,
        lines: [
          { account: { owner: 'PLATFORM', kind: 'PROVIDER_CLEARING', currency }, amountMinor: -amountMinor },
          { account: { owner: 'SELLER', sellerId, kind: 'SELLER_AVAILABLE', currency }, amountMinor },
        ],
      }),
    );
  }

  const mobileMoney = (overrides: Record<string, unknown> = {}) => ({
    type: 'MOBILE_MONEY',
    country: 'KE',
    currency: 'KES',
    operator: 'MPS',
    phoneNumber: WALLET,
    beneficiaryName: 'Akinyi Kimwei',
    mpesa: { sender: 'Tikiti Ltd', senderCountry: 'KE', mobileNumber: '254700000001' },
    ...overrides,
  });
  const bank = (overrides: Record<string, unknown> = {}) => ({
    type: 'BANK_ACCOUNT',
    country: 'NG',
    currency: 'NGN',
    bankCode: '044',
    bankName: 'Access Bank',
    accountNumber: ACCOUNT_NUMBER,
    accountName: 'Ada Obi',
    ...overrides,
  });

  async function usableBankMethod(who: TestSession, number = ACCOUNT_NUMBER): Promise<string> {
    const r = await who.post('/api/v1/finance/payout-methods').send(bank({ accountNumber: number }));
    expect(r.status).toBe(201);
    clock.advance(25 * HOUR);
    return r.body.id as string;
  }

  const withdraw = (who: TestSession, body: Record<string, unknown>, key: string = crypto.randomUUID()) =>
    who.post('/api/v1/finance/withdrawals').set('Idempotency-Key', key).send(body);

  it('when a FINANCE member adds a payout method, then it is encrypted at rest, shown masked, emailed about, and invisible to another seller', async () => {
    const added = await member.post('/api/v1/finance/payout-methods').send(mobileMoney());
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({
      type: 'MOBILE_MONEY',
      providerCode: 'MPS',
      masked: '•••• 5678',
      usable: false,
      currency: 'KES',
    });
    expect(JSON.stringify(added.body)).not.toContain(WALLET);

    const mine = await seller.get('/api/v1/finance/payout-methods').expect(200);
    expect(mine.body.items.map((m: { id: string }) => m.id)).toEqual([added.body.id]);
    expect(JSON.stringify(mine.body)).not.toContain(WALLET);
    const overview = await member.get('/api/v1/finance/overview').expect(200);
    expect(overview.body.sellerId).toBe(seller.userId);
    expect(JSON.stringify(overview.body)).not.toContain('Akinyi');

    const rows = await env.platform.prisma.$queryRawUnsafe<
      Array<{ ciphertext: Buffer; key_id: string; last4: string }>
    >(`SELECT ciphertext, key_id, last4 FROM finance_payout_methods WHERE id = $1::uuid`, added.body.id);
    expect(rows[0]!.key_id).toBe('dev1');
    expect(rows[0]!.last4).toBe('5678');
    expect(Buffer.from(rows[0]!.ciphertext).toString('latin1')).not.toContain(WALLET);
    expect(Buffer.from(rows[0]!.ciphertext).toString('latin1')).not.toContain('Akinyi');

    const event = await env.platform.prisma.outboxMessage.findFirst({
      where: {
        eventName: 'payout-method.changed',
        payload: { path: ['payload', 'methodId'], equals: added.body.id },
      },
    });
    expect(event).not.toBeNull();
    expect(JSON.stringify(event!.payload)).not.toContain(WALLET);

    const theirs = await otherSeller.get('/api/v1/finance/payout-methods').expect(200);
    expect(theirs.body.items).toEqual([]);
    await otherSeller.get(`/api/v1/finance/overview?sellerId=${seller.userId}`).expect(403);
    await otherSeller.delete(`/api/v1/finance/payout-methods/${added.body.id}`).expect(404);
    const stolen = await withdraw(otherSeller, {
      amountMinor: 100_000,
      currency: 'KES',
      methodId: added.body.id,
    });
    expect(stolen.status).toBe(404);
    expect(stolen.body.error.code).toBe('PAYOUT_METHOD_NOT_FOUND');

    const again = await seller
      .post('/api/v1/finance/payout-methods')
      .send(mobileMoney({ beneficiaryName: 'Someone Else' }));
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('PAYOUT_METHOD_DUPLICATE');
  });

  it('when the payouts worker asks for a transfer instruction, then only it gets the decrypted destination', async () => {
    const methodId = await usableBankMethod(seller, '0123456789');
    await credit(seller.userId, 200_000);
    const w = await withdraw(seller, { amountMinor: 50_000, currency: 'NGN', methodId });
    expect(w.status).toBe(201);
    expect(await finance.getPayoutInstruction(env.platform.prisma, w.body.id)).toBeNull(); // not approved yet
    await approver.post(`/api/v1/finance/admin/withdrawals/${w.body.id}/approve`).expect(200);
    const instruction = await finance.getPayoutInstruction(env.platform.prisma, w.body.id);
    expect(instruction).toEqual({
      withdrawalId: w.body.id,
      reference: w.body.id,
      sellerId: seller.userId,
      amountMinor: 50_000,
      currency: 'NGN',
      country: 'NG',
      accountBank: '044',
      destination: { type: 'BANK_ACCOUNT', accountNumber: '0123456789', accountName: 'Ada Obi' },
    });
    const view = await approver.get(`/api/v1/finance/admin/withdrawals/${w.body.id}`).expect(200);
    expect(JSON.stringify(view.body)).not.toContain('0123456789');
    expect(view.body.payoutMethod.masked).toBe('•••• 6789');
    expect(view.body.methodAgeHours).toBeGreaterThanOrEqual(25);
    expect(view.body.transfer).toMatchObject({
      reference: w.body.id,
      providerStatus: 'NOT_SENT',
      attempts: 0,
    });
  });

  it('when a method is new, then it cannot receive a withdrawal until its cooling-off period is over', async () => {
    await credit(seller.userId, 100_000);
    const r = await seller.post('/api/v1/finance/payout-methods').send(bank({ accountNumber: '5555555555' }));
    const early = await withdraw(seller, { amountMinor: 20_000, currency: 'NGN', methodId: r.body.id });
    expect(early.status).toBe(422);
    expect(early.body.error.code).toBe('PAYOUT_METHOD_COOLING_OFF');
    clock.advance(24 * HOUR);
    expect(
      (await withdraw(seller, { amountMinor: 20_000, currency: 'NGN', methodId: r.body.id })).status,
    ).toBe(201);
  });

  it('when 50 withdrawal requests race against a balance that covers 3, then exactly 3 are held and the balance never goes negative', async () => {
    const s = await makeSeller(env, 'racer@example.test');
    const methodId = await usableBankMethod(s, '7777777777');
    await credit(s.userId, 3 * 100_000 + 50_000);
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => withdraw(s, { amountMinor: 100_000, currency: 'NGN', methodId })),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((x) => x === 201)).toHaveLength(3);
    expect(statuses.filter((x) => x === 409 || x === 422)).toHaveLength(47);
    expect(new Set(answers.filter((a) => a.status === 422).map((a) => a.body.error.code))).toEqual(
      new Set(['INSUFFICIENT_FUNDS']),
    );
    const o = await s.get('/api/v1/finance/overview').expect(200);
    expect(o.body.balances).toEqual([
      { currency: 'NGN', pendingMinor: 0, availableMinor: 50_000, holdMinor: 300_000, paidOutMinor: 0 },
    ]);
    expect(o.body.withdrawals).toHaveLength(3);
  });

  it('when a request is repeated with its Idempotency-Key, then it answers the first withdrawal; another body is refused', async () => {
    const s = await makeSeller(env, 'retry@example.test');
    const methodId = await usableBankMethod(s, '8888888888');
    await credit(s.userId, 100_000);
    const key = crypto.randomUUID();
    const body = { amountMinor: 40_000, currency: 'NGN', methodId };
    const [a, b] = await Promise.all([withdraw(s, body, key), withdraw(s, body, key)]);
    expect([a.status, b.status].sort()).toEqual([200, 201]);
    expect(a.body.id).toBe(b.body.id);
    const reused = await withdraw(s, { ...body, amountMinor: 41_000 }, key);
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const missing = await s.post('/api/v1/finance/withdrawals').send(body);
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
    const small = await withdraw(s, { ...body, amountMinor: 9_999 });
    expect(small.body.error.code).toBe('WITHDRAWAL_BELOW_MINIMUM');
    const o = await s.get('/api/v1/finance/overview').expect(200);
    expect(o.body.balances[0]).toMatchObject({ availableMinor: 60_000, holdMinor: 40_000 });
  });

  it('when the requester is also platform finance, then they cannot approve their own withdrawal, by route or in the database', async () => {
    const both = await makeTeamMember(env, seller, PLATFORM_FINANCE[2]!, 'FINANCE');
    const methodId = await usableBankMethod(seller, '4444444444');
    await credit(seller.userId, 100_000);
    const w = await withdraw(both, { amountMinor: 30_000, currency: 'NGN', methodId });
    expect(w.status).toBe(201);
    const own = await both.post(`/api/v1/finance/admin/withdrawals/${w.body.id}/approve`);
    expect(own.status).toBe(403);
    expect(own.body.error.code).toBe('MAKER_CHECKER');
    // A seller's own member who is platform finance may not decide the seller's other withdrawals either.
    const byMember = await withdraw(member, { amountMinor: 30_000, currency: 'NGN', methodId });
    expect((await both.post(`/api/v1/finance/admin/withdrawals/${byMember.body.id}/approve`)).status).toBe(
      403,
    );
    // The database refuses it whatever the code does.
    await expect(
      env.platform.prisma.$executeRawUnsafe(
        `UPDATE finance_withdrawals SET status = 'APPROVED', decided_by = requested_by, decided_at = now() WHERE id = $1::uuid`,
        w.body.id,
      ),
    ).rejects.toThrow(/finance_withdrawals_maker_checker/);
    // A seller cannot reach the approval routes at all.
    expect((await seller.post(`/api/v1/finance/admin/withdrawals/${w.body.id}/approve`)).status).toBe(403);
    const approved = await approver.post(`/api/v1/finance/admin/withdrawals/${w.body.id}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'APPROVED', decidedBy: approver.userId });
    const twice = await approver.post(`/api/v1/finance/admin/withdrawals/${w.body.id}/approve`);
    expect(twice.status).toBe(409);
    const event = await env.platform.prisma.outboxMessage.findFirst({
      where: {
        eventName: 'withdrawal.approved',
        payload: { path: ['payload', 'withdrawalId'], equals: w.body.id },
      },
    });
    expect(event?.payload).toMatchObject({
      payload: { withdrawalId: w.body.id, sellerId: seller.userId, amountMinor: 30_000, currency: 'NGN' },
    });
  });

  it('when a withdrawal is rejected, paid, failed or reversed, then the ledger moves exactly once per step', async () => {
    const s = await makeSeller(env, 'steps@example.test');
    const methodId = await usableBankMethod(s, '3333333333');
    await credit(s.userId, 1_000_000);
    const balance = async () => (await s.get('/api/v1/finance/overview').expect(200)).body.balances[0];
    const request = async (amountMinor: number) =>
      (await withdraw(s, { amountMinor, currency: 'NGN', methodId }).expect(201)).body.id as string;

    const rejected = await request(100_000);
    await approver
      .post(`/api/v1/finance/admin/withdrawals/${rejected}/reject`)
      .send({ reason: 'Unusual amount' })
      .expect(200);
    expect(await balance()).toMatchObject({ availableMinor: 1_000_000, holdMinor: 0 });

    const paid = await request(200_000);
    await approver.post(`/api/v1/finance/admin/withdrawals/${paid}/approve`).expect(200);
    const tx = (fn: Parameters<typeof env.platform.prisma.$transaction>[0]) =>
      env.platform.prisma.$transaction(fn);
    expect(await tx((t) => finance.markWithdrawalProcessing(t, paid))).toMatchObject({
      status: 'PROCESSING',
      attempt: 1,
    });
    expect(
      await tx((t) =>
        finance.markWithdrawalProcessing(t, paid, { providerTransferId: 4242, providerStatus: 'NEW' }),
      ),
    ).toMatchObject({ attempt: 2, transfer: { providerTransferId: 4242, providerStatus: 'NEW' } });
    expect(await tx((t) => finance.markWithdrawalPaid(t, paid, { fee: '26.875', feeCurrency: 'NGN' }))).toBe(
      'PAID',
    );
    expect(await tx((t) => finance.markWithdrawalPaid(t, paid))).toBe('UNCHANGED');
    expect(await tx((t) => finance.markWithdrawalFailed(t, paid, 'late failure'))).toBe('UNCHANGED');
    expect(await finance.getTransfer(env.platform.prisma, paid)).toMatchObject({
      providerStatus: 'SUCCESSFUL',
      fee: '26.875',
      providerTransferId: 4242,
    });
    expect(await balance()).toMatchObject({ availableMinor: 800_000, holdMinor: 0, paidOutMinor: 200_000 });

    const failed = await request(300_000);
    await approver.post(`/api/v1/finance/admin/withdrawals/${failed}/approve`).expect(200);
    expect(await tx((t) => finance.markWithdrawalFailed(t, failed, 'Account not found'))).toBe('FAILED');
    expect(await tx((t) => finance.markWithdrawalFailed(t, failed, 'Account not found'))).toBe('UNCHANGED');
    expect(await balance()).toMatchObject({ availableMinor: 800_000, holdMinor: 0 });
    const w = await s.get(`/api/v1/finance/withdrawals/${failed}`).expect(200);
    expect(w.body).toMatchObject({ status: 'FAILED', failureReason: 'Account not found' });

    expect(await tx((t) => finance.markWithdrawalReversed(t, paid, 'Reversed by the bank'))).toBe('REVERSED');
    expect(await tx((t) => finance.markWithdrawalReversed(t, paid, 'Reversed by the bank'))).toBe(
      'UNCHANGED',
    );
    expect(await balance()).toMatchObject({ availableMinor: 1_000_000, holdMinor: 0 });

    const events = await env.platform.prisma.outboxMessage.findMany({
      where: { eventName: { in: ['withdrawal.completed', 'withdrawal.failed', 'withdrawal.rejected'] } },
    });
    const about = (id: string) =>
      events
        .filter((e) => (e.payload as { payload: { withdrawalId: string } }).payload.withdrawalId === id)
        .map((e) => e.eventName);
    expect(about(rejected)).toEqual(['withdrawal.rejected']);
    expect(about(paid).sort()).toEqual(['withdrawal.completed', 'withdrawal.failed']);
    expect(about(failed)).toEqual(['withdrawal.failed']);

    const csv = await s.get('/api/v1/finance/statement.csv').expect(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe('date,kind,account,memo,currency,amount,balance_after,campaign_id,withdrawal_id');
    expect(lines.some((l) => l.includes('WITHDRAWAL_PAID') && l.includes(',-2000.00,'))).toBe(true);
    const statement = await s.get('/api/v1/finance/statement?limit=2').expect(200);
    expect(statement.body.items).toHaveLength(2);
    expect(statement.body.nextCursor).toEqual(expect.any(String));
    const next = await s
      .get(`/api/v1/finance/statement?limit=2&cursor=${statement.body.nextCursor}`)
      .expect(200);
    expect(Number(next.body.items[0].id)).toBeLessThan(Number(statement.body.items[1].id));
  });

  it('when input is hostile, then the answer is a 4xx with a code, never a 5xx', async () => {
    const methodId = crypto.randomUUID();
    const bad: Array<[string, Record<string, unknown>, string]> = [
      ['string amount', { amountMinor: '100', currency: 'NGN', methodId }, 'VALIDATION_FAILED'],
      ['array amount', { amountMinor: [100], currency: 'NGN', methodId }, 'VALIDATION_FAILED'],
      ['float amount', { amountMinor: 100.5, currency: 'NGN', methodId }, 'VALIDATION_FAILED'],
      ['huge amount', { amountMinor: 1e300, currency: 'NGN', methodId }, 'VALIDATION_FAILED'],
      ['negative amount', { amountMinor: -5, currency: 'NGN', methodId }, 'VALIDATION_FAILED'],
      ['unknown currency', { amountMinor: 100, currency: 'XXX', methodId }, 'VALIDATION_FAILED'],
      ['bad id', { amountMinor: 100, currency: 'NGN', methodId: 'x\u0000' }, 'VALIDATION_FAILED'],
      [
        'unknown field',
        { amountMinor: 100, currency: 'NGN', methodId, sellerId: otherSeller.userId },
        'FIELD_NOT_ALLOWED',
      ],
    ];
    for (const [what, body, code] of bad) {
      const r = await withdraw(seller, body);
      expect({ what, status: r.status, code: r.body.error?.code }).toEqual({ what, status: 400, code });
    }
    const nul = await seller
      .post('/api/v1/finance/payout-methods')
      .send(bank({ accountName: 'Ada\u0000Obi' }));
    expect(nul.status).toBe(400);
    const mpesa = await seller
      .post('/api/v1/finance/payout-methods')
      .send(mobileMoney({ mpesa: undefined, phoneNumber: '254799999999' }));
    expect(mpesa.status).toBe(400);
    expect(mpesa.body.error.details[0].field).toBe('mpesa');
    // A country Flutterwave pays no such method in, or not a country at all: one clear detail each.
    const before = await env.platform.prisma.financePayoutMethod.count();
    for (const [what, body] of [
      ['bank in France', bank({ country: 'FR', currency: 'EUR' })],
      ['wallet in Nigeria', mobileMoney({ country: 'NG' })],
      ['no such country', bank({ country: 'XX' })],
      ['array', bank({ country: ['NG'] })],
    ] as const) {
      const r = await seller.post('/api/v1/finance/payout-methods').send(body);
      expect({ what, status: r.status, code: r.body.error?.code, details: r.body.error?.details }).toEqual({
        what,
        status: 400,
        code: 'VALIDATION_FAILED',
        details: [
          {
            field: 'country',
            location: 'body',
            message: expect.stringMatching(/^choose a country from the list/),
          },
        ],
      });
    }
    expect(await env.platform.prisma.financePayoutMethod.count()).toBe(before);
    expect((await seller.get('/api/v1/finance/overview?sellerId=a&sellerId=b')).status).toBe(400);
    expect((await seller.get('/api/v1/finance/statement?limit=1e9')).status).toBe(400);
    expect(
      (
        await seller
          .post('/api/v1/finance/payout-methods')
          .set('Content-Type', 'application/json')
          .send('[1,2]')
      ).status,
    ).toBe(400);
    expect(
      (
        await approver
          .post(`/api/v1/finance/admin/withdrawals/${methodId}/reject`)
          .send({ reason: 'a\u0000' })
      ).status,
    ).toBe(400);
    expect((await approver.post(`/api/v1/finance/admin/withdrawals/${methodId}/approve`)).status).toBe(404);
    expect((await approver.get('/api/v1/finance/admin/withdrawals/not-a-uuid')).status).toBe(400);
    const noCsrf = await fetch(`${env.url}/api/v1/finance/payout-methods`, {
      method: 'POST',
      headers: { Cookie: seller.cookie, 'Content-Type': 'application/json' },
      body: JSON.stringify(bank({ accountNumber: '1212121212' })),
    });
    expect(noCsrf.status).toBe(403);
    const anonymous = await fetch(`${env.url}/api/v1/finance/overview`);
    expect(anonymous.status).toBe(401);
    // A gate manager of the seller is on its team but has no say over its money.
    const gate = await makeTeamMember(env, seller, 'gate@example.test', 'MANAGER');
    expect((await gate.get(`/api/v1/finance/overview?sellerId=${seller.userId}`)).status).toBe(403);
    expect((await gate.get('/api/v1/finance/overview')).status).toBe(403);
    const customer = await signIn(env, 'just-a-buyer@example.test');
    expect((await customer.get('/api/v1/finance/overview')).status).toBe(403);
    expect((await customer.get('/api/v1/finance/admin/withdrawals')).status).toBe(403);
  });

  it('when a seller or its FINANCE member asks for banks and resolves an account, then they get the list and the name; others are refused', async () => {
    const banks = await seller.get('/api/v1/finance/banks?country=NG').expect(200);
    const items = banks.body.items as Array<{ code: string; name: string }>;
    expect(items.length).toBeGreaterThan(1);
    expect(items).toContainEqual({ code: '044', name: expect.any(String) });
    expect(Object.keys(items[0]!).sort()).toEqual(['code', 'name']);
    await member.get('/api/v1/finance/banks?country=ng').expect(200);

    const resolved = await member
      .post('/api/v1/finance/payout-methods/resolve')
      .send({ country: 'NG', bankCode: '044', accountNumber: ACCOUNT_NUMBER })
      .expect(200);
    expect(resolved.body).toEqual({ accountName: 'Ada Obi' });

    // An account the bank does not know: 422 with a plain message, never a 5xx.
    const unknown = await seller
      .post('/api/v1/finance/payout-methods/resolve')
      .send({ country: 'NG', bankCode: '044', accountNumber: '12345678' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error).toMatchObject({
      code: 'ACCOUNT_NOT_RESOLVED',
      message: 'The bank could not confirm this account number',
    });
    // A country Flutterwave pays no bank in.
    const nowhere = await seller.get('/api/v1/finance/banks?country=FR');
    expect({ status: nowhere.status, code: nowhere.body.error?.code }).toEqual({
      status: 422,
      code: 'UNSUPPORTED_DESTINATION',
    });

    // Authorisation: another seller for this seller, a gate manager, a buyer, nobody.
    await otherSeller.get(`/api/v1/finance/banks?country=NG&sellerId=${seller.userId}`).expect(403);
    await otherSeller
      .post(`/api/v1/finance/payout-methods/resolve?sellerId=${seller.userId}`)
      .send({ country: 'NG', bankCode: '044', accountNumber: ACCOUNT_NUMBER })
      .expect(403);
    const gate = await makeTeamMember(env, seller, 'gate-banks@example.test', 'MANAGER');
    expect((await gate.get(`/api/v1/finance/banks?country=NG&sellerId=${seller.userId}`)).status).toBe(403);
    const customer = await signIn(env, 'buyer-banks@example.test');
    expect((await customer.get('/api/v1/finance/banks?country=NG')).status).toBe(403);
    expect(
      (
        await customer
          .post('/api/v1/finance/payout-methods/resolve')
          .send({ country: 'NG', bankCode: '044', accountNumber: ACCOUNT_NUMBER })
      ).status,
    ).toBe(403);
    expect((await fetch(`${env.url}/api/v1/finance/banks?country=NG`)).status).toBe(401);
    const noCsrf = await fetch(`${env.url}/api/v1/finance/payout-methods/resolve`, {
      method: 'POST',
      headers: { Cookie: seller.cookie, 'Content-Type': 'application/json' },
      body: JSON.stringify({ country: 'NG', bankCode: '044', accountNumber: ACCOUNT_NUMBER }),
    });
    expect(noCsrf.status).toBe(403);
  });

  it('when bank list or resolve input is hostile, then the answer is 400 with a code', async () => {
    for (const q of ['country=N', 'country=NGA', 'country=N%00', 'country=NG&country=GH', '', 'country=%FF'])
      expect({ q, status: (await seller.get(`/api/v1/finance/banks?${q}`)).status }).toEqual({
        q,
        status: 400,
      });
    const good = { country: 'NG', bankCode: '044', accountNumber: ACCOUNT_NUMBER };
    const bad: Array<[string, Record<string, unknown>, string]> = [
      ['array number', { ...good, accountNumber: [ACCOUNT_NUMBER] }, 'VALIDATION_FAILED'],
      ['numeric number', { ...good, accountNumber: 690000031 }, 'VALIDATION_FAILED'],
      ['letters', { ...good, accountNumber: '06900000AB' }, 'VALIDATION_FAILED'],
      ['huge', { ...good, accountNumber: '9'.repeat(5000) }, 'VALIDATION_FAILED'],
      ['NUL bank', { ...good, bankCode: '04\u00004' }, 'VALIDATION_FAILED'],
      ['unknown field', { ...good, accountName: 'Me' }, 'FIELD_NOT_ALLOWED'],
    ];
    for (const [what, body, code] of bad) {
      const r = await seller.post('/api/v1/finance/payout-methods/resolve').send(body);
      expect({ what, status: r.status, code: r.body.error?.code }).toEqual({ what, status: 400, code });
    }
  });

  it('when the provider is down, then resolve answers 503 PROVIDER_UNAVAILABLE and a cached bank list still answers', async () => {
    await seller.get('/api/v1/finance/banks?country=GH').expect(200);
    sim.injectFaults({ path: '/v3/', status: 503, count: 20 });
    try {
      await seller.get('/api/v1/finance/banks?country=GH').expect(200);
      const uncached = await seller.get('/api/v1/finance/banks?country=KE');
      expect({ status: uncached.status, code: uncached.body.error?.code }).toEqual({
        status: 503,
        code: 'PROVIDER_UNAVAILABLE',
      });
      const r = await seller
        .post('/api/v1/finance/payout-methods/resolve')
        .send({ country: 'NG', bankCode: '044', accountNumber: ACCOUNT_NUMBER });
      expect({ status: r.status, code: r.body.error?.code }).toEqual({
        status: 503,
        code: 'PROVIDER_UNAVAILABLE',
      });
    } finally {
      sim.reset();
      for (const number of [ACCOUNT_NUMBER, '0123456789']) sim.registerAccount('044', number, 'Ada Obi');
    }
  });
});
