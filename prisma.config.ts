import fs from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'prisma/config';

// The Prisma CLI downloads a native schema engine even for `generate`, which this offline
// build cannot do. generate/validate/format never run that engine, so for those commands we
// point it at a stub; migrate/db commands keep the real engine wherever it can be downloaded.
const offlineSafe = ['generate', 'validate', 'format'];
if (!process.env.PRISMA_SCHEMA_ENGINE_BINARY && process.argv.some((a) => offlineSafe.includes(a))) {
  const stub = path.join(__dirname, 'scripts', 'prisma-engine-stub.sh');
  if (fs.existsSync(stub)) process.env.PRISMA_SCHEMA_ENGINE_BINARY = stub;
}

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: {
    url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/ticketing',
  },
});
