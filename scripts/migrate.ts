import { getConfig, loadDotEnv } from '../src/shared/config';
import { migrateDatabase } from '../src/shared/migrate';

loadDotEnv();
migrateDatabase(getConfig().DATABASE_URL, { log: (m) => console.log(m) })
  .then((applied) =>
    console.log(applied.length ? `${applied.length} migration(s) applied` : 'database is up to date'),
  )
  .catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
