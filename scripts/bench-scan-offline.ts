/**
 * The offline half of `npm run bench:scan`: how long the gate page takes to verify one ticket
 * with no network, in headless Chromium (Debian's, through playwright-core), median over 1,000
 * different tickets. Target: < 2 ms.
 *
 * The page runs the gate bundle's own code (src/web/static/gate: verify.ts over the tickets
 * module's shared QR layout, the IndexedDB store and decideLocally; bench.ts times them),
 * bundled here by esbuild as the build does. Tickets are signed by the server's own signTicketPayload with a fresh
 * campaign key. Two figures per Ed25519 engine (WebCrypto, and the @noble/ed25519 fallback
 * forced): the signature check alone (decode, layout, key, Ed25519, window), and the whole
 * offline decision the page makes per scan (that + the revocation and ticket lookups in
 * IndexedDB, holding 1,000 revoked tickets, + the entry rules).
 *
 *   npx tsx scripts/bench-scan-offline.ts         # prints and writes docs/benchmarks.md
 *   runOfflineVerificationBench() from scripts/bench-scan.ts, which writes its own section.
 */
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { generateSigningKeyPair, signTicketPayload, toQrText } from '../src/modules/tickets';
import { launchBrowser } from '../test/support/browser';
import { gateModulesScript, securePageWith } from '../test/support/gate-page';
import { writeBenchmarkSection } from './bench-docs';

export interface OfflineBenchFigures {
  engine: 'webcrypto' | 'noble';
  n: number;
  verify: { p50: number; p95: number; p99: number; mean: number };
  decide: { p50: number; p95: number; p99: number; mean: number };
}

export interface OfflineBenchResult {
  chromium: string;
  figures: OfflineBenchFigures[];
  /** What the page picks by itself (WebCrypto when the browser verifies RFC 8032 correctly). */
  defaultEngine: string;
}

const N = 1000;

export async function runOfflineVerificationBench(n = N): Promise<OfflineBenchResult> {
  const script = await gateModulesScript("export * from './bench';", 'gateBench');

  const campaignId = randomUUID();
  const ticketTypeId = randomUUID();
  const key = generateSigningKeyPair();
  const now = Date.now();
  const codes = Array.from({ length: n }, () =>
    toQrText(
      signTicketPayload(
        {
          ticketId: randomUUID(),
          campaignId,
          ticketTypeId,
          maxScans: 2,
          validFrom: new Date(now - 3_600_000),
          validUntil: new Date(now + 86_400_000),
          keyId: 1,
        },
        key.privateKey,
      ),
    ),
  );
  const publicKey = key.publicKey.toString('base64url');

  const browser = await launchBrowser();
  // Its page server closed with it: left listening, it kept the process from exiting (and
  // bench:scan, which runs this after the online half, from ever returning).
  const secure = await securePageWith(browser, script);
  try {
    const { page } = secure;
    const chromium = await page.evaluate(
      () => navigator.userAgent.match(/Chrome\/([\d.]+)/)?.[1] ?? 'unknown',
    );
    const defaultEngine = await page.evaluate(() => (window as never as Bench).gateBench.ed25519Engine());
    const figures: OfflineBenchFigures[] = [];
    for (const engine of ['webcrypto', 'noble'] as const) {
      const f = await page.evaluate((input) => (window as never as Bench).gateBench.runBench(input), {
        engine,
        codes,
        campaignId,
        ticketTypeId,
        publicKey,
        revoked: 1000,
      });
      figures.push({ engine, n, ...f });
    }
    return { chromium, figures, defaultEngine };
  } finally {
    await secure.close();
    await browser.close();
  }
}

interface Bench {
  gateBench: {
    ed25519Engine(): Promise<string>;
    runBench(input: {
      engine: string;
      codes: string[];
      campaignId: string;
      ticketTypeId: string;
      publicKey: string;
      revoked: number;
    }): Promise<Pick<OfflineBenchFigures, 'verify' | 'decide'>>;
  };
}

const ms = (x: number) => x.toFixed(3);

/** The markdown of the figures, for docs/benchmarks.md. */
export function offlineBenchMarkdown(r: OfflineBenchResult): string {
  const nproc = execFileSync('nproc').toString().trim();
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const rows = r.figures
    .map(
      (f) =>
        `| ${f.engine === 'webcrypto' ? 'WebCrypto Ed25519' : '@noble/ed25519 (fallback)'}${f.engine === r.defaultEngine ? ' (used by default)' : ''} | ${ms(f.verify.p50)} | ${ms(f.verify.mean)} | ${ms(f.verify.p95)} / ${ms(f.verify.p99)} | ${ms(f.decide.p50)} | ${ms(f.decide.mean)} | ${ms(f.decide.p95)} / ${ms(f.decide.p99)} |`,
    )
    .join('\n');
  const used = r.figures.find((f) => f.engine === r.defaultEngine) ?? r.figures[0]!;
  return `## Gate page: verifying a ticket offline in the browser (\`scripts/bench-scan-offline.ts\`)

Measured ${new Date().toISOString().slice(0, 10)} on nproc ${nproc} (${cpu}), headless Chromium ${r.chromium} (Debian), one tab.
${used.n} different tickets signed by the server's \`signTicketPayload\` (one campaign key); each verified by the gate
bundle's own code, one after another, timed with \`performance.now()\` after 50 warm-up checks. "Verify" is
\`verifyTicketQr\` (Base45 decode, layout, key choice, Ed25519, window); "offline decision" adds what the page does per
scan with no network: the revocation and ticket lookups in IndexedDB (holding 1,000 revoked tickets) and the entry rules.
Chromium coarsens \`performance.now()\` to 0.1 ms in a page that is not cross-origin isolated, so single checks read as
multiples of 0.1 ms; the mean is the whole loop's time divided by the count. The machine is shared: p99 includes other
engineers' load.

| Ed25519 | verify p50 (ms) | mean | p95 / p99 | offline decision p50 (ms) | mean | p95 / p99 |
|---|---:|---:|---|---:|---:|---|
${rows}

Median offline verification: **${ms(used.verify.p50)} ms** (target < 2 ms: ${used.verify.p50 < 2 ? 'met' : 'NOT met'}).`;
}

if (require.main === module) {
  void runOfflineVerificationBench().then(
    (r) => {
      for (const f of r.figures)
        console.log(
          `[bench-scan-offline] ${f.engine}: verify p50 ${ms(f.verify.p50)} ms, mean ${ms(f.verify.mean)}, p95 ${ms(f.verify.p95)}, p99 ${ms(f.verify.p99)}; offline decision p50 ${ms(f.decide.p50)} ms, mean ${ms(f.decide.mean)}, p95 ${ms(f.decide.p95)}, p99 ${ms(f.decide.p99)} (n=${f.n})`,
        );
      console.log(`[bench-scan-offline] default engine: ${r.defaultEngine}; Chromium ${r.chromium}`);
      const file = writeBenchmarkSection('scan-offline', offlineBenchMarkdown(r));
      console.log(`[bench-scan-offline] written to ${file}`);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
