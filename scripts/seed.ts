import { createModules } from '../src/modules/container';
import { getConfig, loadDotEnv, type Config } from '../src/shared/config';
import { createPlatform } from '../src/shared/platform';
import { DEMO_ACCOUNTS, seedDemo, type SeedSummary } from './demo-data';

/**
 * `npm run seed`: fills the database with the demo marketplace (scripts/demo-data.ts). Refused
 * with NODE_ENV=production: demo accounts and unpaid "sales" have no place in a real platform.
 * `npm start` calls `seedIfEmpty` after migrating (see scripts/start.ts).
 */
export async function runSeed(config: Config, log: (line: string) => void): Promise<SeedSummary> {
  if (config.NODE_ENV === 'production')
    throw new Error('refusing to seed demo data with NODE_ENV=production');
  const platform = await createPlatform(config, { service: 'seed' });
  try {
    const modules = createModules(platform);
    const summary = await seedDemo(platform, modules, log);
    log(
      `[seed] demo data: ${summary.sellers} sellers, ${summary.campaigns} campaigns, ` +
        `${summary.ticketTypes} ticket types, ${summary.bookings} bookings, ${summary.tickets} tickets`,
    );
    log(
      `[seed] sign in as ${DEMO_ACCOUNTS.buyer.email} (buyer), amaka@demo.tikiti.test (seller), ` +
        `${DEMO_ACCOUNTS.gate.email} (gate manager) or ${DEMO_ACCOUNTS.finance.email} (finance)`,
    );
    return summary;
  } finally {
    await platform.close();
  }
}

/**
 * For the local run: seeds when nothing is on sale yet (a new machine), unless SEED_DEMO=false.
 * Never in production. Returns whether it seeded.
 */
export async function seedIfEmpty(config: Config, log: (line: string) => void): Promise<boolean> {
  if (config.NODE_ENV === 'production' || process.env.SEED_DEMO === 'false') return false;
  const platform = await createPlatform(config, { service: 'seed' });
  let empty: boolean;
  try {
    const onSale = await createModules(platform).campaigns.browseCampaigns({ sort: 'date', limit: 1 });
    empty = onSale.length === 0;
  } finally {
    await platform.close();
  }
  if (!empty) return false;
  log('[start] nothing is on sale yet: adding the demo marketplace (SEED_DEMO=false skips this)');
  await runSeed(config, log);
  return true;
}

if (require.main === module) {
  loadDotEnv();
  if (process.env.NODE_ENV === 'production') {
    console.error('[seed] refusing to seed demo data with NODE_ENV=production');
    process.exit(1);
  }
  runSeed(getConfig(), (line) => console.log(line)).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`[seed] ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
