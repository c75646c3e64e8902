import { ConfigError, getConfig, loadDotEnv } from '../../src/shared/config';
import { createLogger } from '../../src/shared/logger';
import { exitOnStartupError, onShutdown } from '../../src/shared/lifecycle';
import { GOOGLE_CALLBACK_PATH } from '../../src/modules/auth';
import { createOidcProvider } from './provider';

/**
 * The local OpenID provider process (`npm start` runs it when GOOGLE_CLIENT_ID is not set).
 * The web process's Google strategy points at it through the GOOGLE_*_URL defaults.
 */
async function main(): Promise<void> {
  loadDotEnv();
  const config = getConfig();
  if (config.NODE_ENV === 'production')
    throw new Error('the local OpenID provider does not run in production');
  const logger = createLogger({ level: config.LOG_LEVEL, service: 'oidc' });
  const issuer = config.LOCAL_OIDC_URL.replace(/\/$/, '');
  const provider = createOidcProvider({
    issuer,
    clients: [
      {
        clientId: config.GOOGLE_CLIENT_ID,
        clientSecret: config.GOOGLE_CLIENT_SECRET,
        redirectUris: [
          config.GOOGLE_CALLBACK_URL ?? new URL(GOOGLE_CALLBACK_PATH, config.PUBLIC_URL).toString(),
        ],
        allowLoopbackRedirects: true,
      },
    ],
  });
  const where = new URL(issuer);
  await provider.listen(Number(where.port || 80), where.hostname.replace(/^\[|\]$/g, ''));
  logger.info(`local OpenID provider listening on ${issuer} (stands in for Google sign-in)`);
  onShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, () => provider.close());
}

main().catch((err) =>
  exitOnStartupError(err, (m) =>
    console.error(err instanceof ConfigError ? m : `oidc provider failed to start: ${m}`),
  ),
);
