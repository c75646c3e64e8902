import { ConfigError, FLUTTERWAVE_DEV_DEFAULTS, loadConfig, usesFlutterwaveSimulator } from '../config';
import { productionEnv } from '../../../test/support/production-env';

const {
  FLUTTERWAVE_BASE_URL: _b,
  FLUTTERWAVE_SECRET_KEY: _s,
  FLUTTERWAVE_PUBLIC_KEY: _p,
  FLUTTERWAVE_SECRET_HASH: _h,
  ...nonFlutterwave
} = productionEnv;
const productionBase = {
  ...nonFlutterwave,
  NODE_ENV: 'production',
  SESSION_SECRET: 'a-real-session-secret-that-is-long-enough-0123',
  DATABASE_URL: 'postgresql://app@db:5432/ticketing',
  REDIS_URL: 'redis://cache:6379/0',
  AMQP_URL: 'amqp://app:pw@mq:5672',
  PUBLIC_URL: 'https://tickets.example.com',
  TICKETS_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
  SMTP_URL: 'smtp://user:pw@mail.internal:587',
  MAIL_FROM: 'Tickets <tickets@example.com>',
};

const realFlutterwave = {
  FLUTTERWAVE_BASE_URL: 'https://api.flutterwave.com',
  FLUTTERWAVE_SECRET_KEY: 'FLWSECK-live-0123456789abcdef-X',
  FLUTTERWAVE_PUBLIC_KEY: 'FLWPUBK-live-0123456789abcdef-X',
  FLUTTERWAVE_SECRET_HASH: 'a-webhook-hash-of-our-own-choosing',
};

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('Flutterwave configuration', () => {
  it('when nothing is configured, then the client points at the simulator on its port with the dev keys', () => {
    const config = loadConfig({});
    expect(config.FLUTTERWAVE_BASE_URL).toBe('http://127.0.0.1:3102');
    expect(config.FLUTTERWAVE_SECRET_KEY).toBe(FLUTTERWAVE_DEV_DEFAULTS.FLUTTERWAVE_SECRET_KEY);
    expect(config.FLUTTERWAVE_SIM_CONTROL).toBe(false);
    expect(usesFlutterwaveSimulator(config)).toBe(true);
    expect(loadConfig({ FLUTTERWAVE_SIM_PORT: '4111' }).FLUTTERWAVE_BASE_URL).toBe('http://127.0.0.1:4111');
  });

  it('when real keys are configured, then the simulator is not used', () => {
    expect(usesFlutterwaveSimulator(loadConfig(realFlutterwave))).toBe(false);
  });

  it('when production runs with the simulator defaults, then every Flutterwave setting is refused', () => {
    const problems = problemsOf(productionBase);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^FLUTTERWAVE_SECRET_KEY: must be set/),
        expect.stringMatching(/^FLUTTERWAVE_PUBLIC_KEY: must be set/),
        expect.stringMatching(/^FLUTTERWAVE_SECRET_HASH: must be set/),
        expect.stringMatching(/^FLUTTERWAVE_BASE_URL: must be set/),
      ]),
    );
    // Setting a variable to the development value is no better than leaving it out.
    const copied = problemsOf({ ...productionBase, ...realFlutterwave, ...FLUTTERWAVE_DEV_DEFAULTS });
    expect(copied.filter((p) => p.startsWith('FLUTTERWAVE_'))).toHaveLength(3);
  });

  it('when production talks to Flutterwave over plain http, then it is refused', () => {
    const problems = problemsOf({
      ...productionBase,
      ...realFlutterwave,
      FLUTTERWAVE_BASE_URL: 'http://api.flutterwave.com',
    });
    expect(problems).toEqual(['FLUTTERWAVE_BASE_URL: must be an https:// URL in production']);
  });

  it('when production has real Flutterwave settings, then the configuration loads', () => {
    const config = loadConfig({ ...productionBase, ...realFlutterwave });
    expect(config.FLUTTERWAVE_BASE_URL).toBe('https://api.flutterwave.com');
  });

  it('when the webhook hash is too short, then the error names it without echoing it', () => {
    const problems = problemsOf({ FLUTTERWAVE_SECRET_HASH: 'short' });
    expect(problems).toEqual(['FLUTTERWAVE_SECRET_HASH: must be at least 16 characters (got "***")']);
  });
});
