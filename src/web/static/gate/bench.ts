import { decideLocally } from './decide';
import { openGateStore } from './store';
import type { BootstrapCampaign } from './types';
import { ed25519Engine, useEd25519Engine, verifyTicketQr, type Ed25519Engine } from './verify';

/**
 * In-page half of scripts/bench-scan-offline.ts (bundled by that script, not part of gate.js):
 * times the gate page's own verification and offline decision over the given codes.
 */

export { ed25519Engine };

export interface BenchInput {
  engine: Ed25519Engine;
  codes: string[];
  campaignId: string;
  ticketTypeId: string;
  publicKey: string;
  revoked: number;
}

/** Percentiles of single checks (performance.now() is coarsened to 0.1 ms here) and the exact mean. */
function percentiles(xs: number[], totalMs: number) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
  return { p50: at(50), p95: at(95), p99: at(99), mean: totalMs / xs.length };
}

export async function runBench(input: BenchInput) {
  useEd25519Engine(input.engine);
  const now = new Date().toISOString();
  const campaign: BootstrapCampaign = {
    id: input.campaignId,
    title: 'Bench',
    status: 'ACTIVE',
    startsAt: now,
    endsAt: now,
    timezone: 'UTC',
    gates: [],
    ticketTypes: [{ id: input.ticketTypeId, name: 'General', reentry: false }],
    keys: [{ keyId: 1, algorithm: 'Ed25519', publicKey: input.publicKey, status: 'ACTIVE' }],
    revocations: {
      seq: input.revoked,
      items: Array.from({ length: input.revoked }, (_, i) => ({
        seq: i + 1,
        ticketId: crypto.randomUUID(),
        serial: i + 1,
        revokedAt: now,
        reason: 'REFUNDED' as const,
      })),
    },
    socket: { room: '', token: '' },
  };
  const store = await openGateStore(`bench-${input.engine}`);
  await store.saveBootstrap({
    serverTime: now,
    actor: { kind: 'device', name: 'bench' },
    gate: null,
    campaigns: [campaign],
  });
  const keys = await store.keys();
  // Warm-up (key import, JIT), not measured.
  for (const c of input.codes.slice(0, 50)) await verifyTicketQr(c, keys, new Date());
  const verify: number[] = [];
  let start = performance.now();
  for (const c of input.codes) {
    const t0 = performance.now();
    const v = await verifyTicketQr(c, keys, new Date());
    verify.push(performance.now() - t0);
    if (v.status !== 'VALID') throw new Error(`bench ticket did not verify: ${JSON.stringify(v)}`);
  }
  const verifyTotal = performance.now() - start;
  const decide: number[] = [];
  start = performance.now();
  for (const c of input.codes) {
    const t0 = performance.now();
    const v = await verifyTicketQr(c, keys, new Date());
    const id = v.status === 'VALID' ? v.claims.ticketId : '';
    const d = decideLocally({
      scanId: crypto.randomUUID(),
      type: 'entry',
      verification: v,
      campaigns: [campaign],
      revocation: await store.revocation(id),
      ticket: await store.ticket(id),
    });
    decide.push(performance.now() - t0);
    if (d.result !== 'ok') throw new Error(`bench ticket refused: ${d.reason}`);
  }
  const decideTotal = performance.now() - start;
  return { verify: percentiles(verify, verifyTotal), decide: percentiles(decide, decideTotal) };
}
