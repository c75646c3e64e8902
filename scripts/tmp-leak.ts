import { createPrisma, createSqlPool } from '../src/shared/db';
import { TcpProxy } from '../test/support/tcp-proxy';

async function main() {
  const proxy = await new TcpProxy('127.0.0.1', 5432).start();
  const url = proxy.url('postgresql://postgres@127.0.0.1:5432/postgres');
  const sql = createSqlPool(url, 5);
  sql.on('error', () => undefined);
  const prisma = createPrisma(url, 5, sql);
  const stats = () => `total ${sql.totalCount} idle ${sql.idleCount} waiting ${sql.waitingCount}`;
  let stop = false;
  const errors: Record<string, number> = {};
  const loop = async () => {
    while (!stop) {
      try {
        await prisma.$transaction(async (tx) => {
          await tx.$queryRaw`SELECT pg_sleep(0.05)::text AS s`;
          await tx.$queryRaw`SELECT pg_sleep(0.05)::text AS s`;
        }, { maxWait: 3000, timeout: 10000 });
      } catch (e) {
        const k = `${(e as any).name}:${(e as any).code}:${String((e as any).message).slice(-60)}`;
        errors[k] = (errors[k] ?? 0) + 1;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  const loops = Array.from({ length: 12 }, loop);
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setTimeout(r, 700));
    if (i % 2) await proxy.cut(); else { proxy.stall(); await new Promise((r) => setTimeout(r, 300)); await proxy.cut(); }
    console.log('cut', stats());
    await new Promise((r) => setTimeout(r, 1000));
    await proxy.restore();
    console.log('restored', stats());
  }
  await new Promise((r) => setTimeout(r, 2000));
  stop = true;
  await Promise.all(loops);
  console.log('end', stats(), errors);
  const t0 = Date.now();
  try { await prisma.$transaction(async (tx) => tx.$queryRaw`SELECT 1::int AS x`, { maxWait: 5000, timeout: 5000 }); console.log('new tx ok', Date.now() - t0); } catch (e) { console.log('new tx failed', (e as Error).message); }
  await prisma.$disconnect(); await sql.end(); await proxy.close();
}
main();
