import { spawn } from 'node:child_process';
import path from 'node:path';
import { ConfigError, loadConfig } from '../config';
import { productionEnv } from '../../../test/support/production-env';

const root = path.resolve(__dirname, '../../..');

/** Runs an entry point the way `npm start` does and collects its exit code and stderr. */
function run(script: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // A loaded machine (a whole test run on 2 cores) can take tens of seconds to load tsx + the app.
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('configuration', () => {
  it('when nothing is set, then local defaults work', () => {
    const config = loadConfig({});
    expect(config.NODE_ENV).toBe('development');
    expect(config.PORT).toBe(3000);
    expect(config.PUBLIC_URL).toBe('http://localhost:3000');
    expect(config.DATABASE_URL).toBe('postgresql://postgres@127.0.0.1:5432/ticketing');
    expect(config.AMQP_EXCHANGE).toBe('domain');
    expect(config.MIGRATE_ON_START).toBe(true);
  });

  it('when only PORT is set, then the public URL follows it', () => {
    expect(loadConfig({ PORT: '3900' }).PUBLIC_URL).toBe('http://localhost:3900');
    expect(loadConfig({ PORT: '3900', PUBLIC_URL: 'https://tickets.example' }).PUBLIC_URL).toBe(
      'https://tickets.example',
    );
  });

  it('when values are invalid, then one error lists every bad variable by name', () => {
    const problems = problemsOf({
      PORT: 'abc',
      DATABASE_URL: 'mysql://x',
      LOG_LEVEL: 'loud',
      MIGRATE_ON_START: 'maybe',
    });
    expect(problems).toHaveLength(4);
    expect(problems.find((p) => p.startsWith('PORT:'))).toContain('"abc"');
    expect(problems.find((p) => p.startsWith('DATABASE_URL:'))).toContain('postgresql://');
    expect(problems.some((p) => p.startsWith('LOG_LEVEL:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('MIGRATE_ON_START:'))).toBe(true);
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(/Invalid configuration:\n {2}- PORT: /);
  });

  it('when a secret is invalid, then its value is not echoed', () => {
    const [problem] = problemsOf({ SESSION_SECRET: 'short-secret' });
    expect(problem).toMatch(/^SESSION_SECRET: /);
    expect(problem).not.toContain('short-secret');
  });

  it('when NODE_ENV is production with default or missing secrets and URLs, then it refuses', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    for (const name of ['SESSION_SECRET', 'DATABASE_URL', 'REDIS_URL', 'AMQP_URL', 'PUBLIC_URL']) {
      expect(problems.some((p) => p.startsWith(`${name}:`))).toBe(true);
    }
    // Every other production setting is right (test/support/production-env.ts): only the session secret is wrong.
    const full = { ...productionEnv };
    expect(problemsOf({ ...full, SESSION_SECRET: 'dev-only-session-secret-change-me-0123456789' })).toEqual([
      'SESSION_SECRET: must be set to a secret of your own in production',
    ]);
    expect(loadConfig({ ...full, SESSION_SECRET: 'a-real-secret-that-is-long-enough-000000' }).NODE_ENV).toBe(
      'production',
    );
  });

  it('when production has a guessable session secret, then it refuses it without echoing it', () => {
    for (const secret of ['a'.repeat(40), '0123456789'.repeat(4), 'passwordpassword'.repeat(3)]) {
      const problems = problemsOf({ ...productionEnv, SESSION_SECRET: secret });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^SESSION_SECRET: looks guessable/);
      expect(problems[0]).not.toContain(secret);
    }
    // 32 random hex digits, as `openssl rand -hex 16` makes them, pass.
    expect(() =>
      loadConfig({ ...productionEnv, SESSION_SECRET: '826392125e976dc88872cf091832fc17' }),
    ).not.toThrow();
  });

  it('when production has a plain http:// public or provider URL, then it refuses (localhost excepted)', () => {
    const names = [
      'PUBLIC_URL',
      'GOOGLE_AUTHORIZATION_URL',
      'GOOGLE_TOKEN_URL',
      'GOOGLE_USERINFO_URL',
      'GOOGLE_CALLBACK_URL',
      'PAYMENT_REDIRECT_URL',
    ];
    for (const name of names) {
      expect(problemsOf({ ...productionEnv, [name]: 'http://tickets.example.com/x' })).toEqual([
        `${name}: must be an https:// URL in production (http:// only for localhost)`,
      ]);
    }
    expect(problemsOf({ ...productionEnv, PUBLIC_URL: 'http://localhost:3000' })).toEqual([]);
  });

  it('when production uses the local sign-in client or has no metrics token, then it refuses', () => {
    expect(problemsOf({ ...productionEnv, GOOGLE_CLIENT_ID: 'local-dev-client' })).toContain(
      'GOOGLE_CLIENT_ID: the local sign-in client is for development only',
    );
    const { METRICS_TOKEN: _omitted, ...withoutToken } = productionEnv;
    expect(problemsOf(withoutToken)).toEqual([
      'METRICS_TOKEN: must be set in production (Prometheus sends it as a bearer token)',
    ]);
  });

  it('when a connection URL is invalid, then the error names it without its password', () => {
    const problems = problemsOf({
      DATABASE_URL: 'mysql://app:hunter2-db@db/x',
      AMQP_URL: 'http://mq:rabbit-pw@mq',
    });
    expect(problems.join('\n')).toContain('mysql://app:***@db/x');
    for (const secret of ['hunter2-db', 'rabbit-pw']) expect(problems.join('\n')).not.toContain(secret);
  });

  it('when the web process starts with PORT=abc, then it exits 1 naming PORT', async () => {
    const { code, stderr } = await run('src/server.ts', { PORT: 'abc' });
    expect(code).toBe(1);
    expect(stderr).toContain('Invalid configuration');
    expect(stderr).toMatch(/PORT: .*"abc"/);
  }, 120_000);

  it('when a worker starts in production with the default session secret, then it exits 1 naming SESSION_SECRET', async () => {
    const { code, stderr } = await run('workers/relay/main.ts', {
      NODE_ENV: 'production',
      SESSION_SECRET: 'dev-only-session-secret-change-me-0123456789',
      PUBLIC_URL: 'https://tickets.example',
    });
    expect(code).toBe(1);
    expect(stderr).toContain('SESSION_SECRET: must be set to a secret of your own in production');
  }, 120_000);

  it('when the web process starts in production without secrets, then it exits 1 listing them', async () => {
    const { code, stderr } = await run('src/server.ts', {
      NODE_ENV: 'production',
      SESSION_SECRET: '',
      PUBLIC_URL: '',
    });
    expect(code).toBe(1);
    expect(stderr).toContain('SESSION_SECRET');
    expect(stderr).toContain('PUBLIC_URL');
  }, 120_000);
});
