import { getConfig, loadDotEnv } from '../src/shared/config';
import { exitOnStartupError } from '../src/shared/lifecycle';
import { migrateDatabase } from '../src/shared/migrate';

/** `npm run db:migrate`: creates the database if it is missing and applies pending migrations. */
async function main(): Promise<void> {
  loadDotEnv();
  const applied = await migrateDatabase(getConfig().DATABASE_URL, { log: (m) => console.log(m) });
  console.log(applied.length ? `${applied.length} migration(s) applied` : 'database is up to date');
}

main().catch((err) => exitOnStartupError(err));
