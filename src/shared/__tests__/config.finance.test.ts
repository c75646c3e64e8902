import { ConfigError, DEV_FINANCE_BLIND_INDEX_KEY, DEV_FINANCE_KEYS, loadConfig } from '../config';
import { productionEnv } from '../../../test/support/production-env';

function problems(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env as NodeJS.ProcessEnv);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('configuration of finance', () => {
  it('when nothing is set in development, then the dev finance keys, a 5 % fee, 72 h settlement and 24 h cooling-off apply', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      FINANCE_KEYS: DEV_FINANCE_KEYS,
      FINANCE_BLIND_INDEX_KEY: DEV_FINANCE_BLIND_INDEX_KEY,
      FINANCE_FEE_BPS: 500,
      FINANCE_FEE_PER_TICKET_MINOR: {},
      SETTLEMENT_DELAY_HOURS: 72,
      FINANCE_METHOD_COOLING_OFF_HOURS: 24,
      FINANCE_WITHDRAWAL_MIN_MINOR: {},
      FINANCE_EMAILS: [],
    });
  });

  it('when fees, minimums and staff are configured, then they are parsed per currency and lower-cased', () => {
    const c = loadConfig({
      FINANCE_FEE_PER_TICKET_MINOR: 'NGN:10000, KES:500',
      FINANCE_WITHDRAWAL_MIN_MINOR: 'NGN:100000',
      FINANCE_EMAILS: ' Money@Example.com ,',
    });
    expect(c.FINANCE_FEE_PER_TICKET_MINOR).toEqual({ NGN: 10_000, KES: 500 });
    expect(c.FINANCE_WITHDRAWAL_MIN_MINOR).toEqual({ NGN: 100_000 });
    expect(c.FINANCE_EMAILS).toEqual(['money@example.com']);
  });

  it('when a finance setting is malformed, then start-up names it and does not echo a key', () => {
    const found = problems({
      FINANCE_KEYS: 'k1:too-short',
      FINANCE_FEE_BPS: '10001',
      FINANCE_FEE_PER_TICKET_MINOR: 'naira=5',
    });
    expect(found.map((p) => p.split(':')[0]).sort()).toEqual([
      'FINANCE_FEE_BPS',
      'FINANCE_FEE_PER_TICKET_MINOR',
      'FINANCE_KEYS',
    ]);
    expect(found.join('\n')).not.toContain('too-short');
  });

  it('when production runs with the development finance keys or none, then it refuses', () => {
    expect(problems({ ...productionEnv })).toEqual([]);
    const { FINANCE_KEYS: _k, ...noKeys } = productionEnv;
    expect(problems(noKeys)).toEqual(['FINANCE_KEYS: must be set to keys of your own in production']);
    expect(problems({ ...productionEnv, FINANCE_BLIND_INDEX_KEY: DEV_FINANCE_BLIND_INDEX_KEY })).toEqual([
      'FINANCE_BLIND_INDEX_KEY: must be set to a key of your own in production',
    ]);
  });
});
