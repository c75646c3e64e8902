import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import * as esbuild from 'esbuild';
import QRCode from 'qrcode';
import type { BrowserContext, Page } from 'playwright-core';
import type { TestSession } from './auth';
import type { TestBrowser } from './browser';

/** Helpers for the gate page's browser tests: a fake camera showing a QR code, an enrolled phone. */

/** A campaign starting in an hour (Lagos time): its tickets are valid now (from 12 h before the start). */
export function tonight(): Record<string, unknown> {
  const startsAt = new Date(Date.now() + 3_600_000);
  return {
    startsAt: startsAt.toISOString(),
    endsAt: new Date(startsAt.getTime() + 6 * 3_600_000).toISOString(),
    timezone: 'Africa/Lagos',
  };
}

/**
 * Writes a .y4m video (what Chromium's `--use-file-for-fake-video-capture` plays, looped) of a
 * QR code holding `text` exactly, in black on white, centred. Written directly (4:2:0, the
 * header says `C420`, which Chromium needs; ffmpeg would write `C420mpeg2`), so the tests need
 * no video tool. The QR is made the way tickets are: error correction M, Base45 text in
 * alphanumeric mode.
 */
export function writeQrVideo(
  file: string,
  text: string,
  opts: { width?: number; height?: number; frames?: number } = {},
) {
  const width = opts.width ?? 640;
  const height = opts.height ?? 480;
  const frames = opts.frames ?? 10;
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const size = qr.modules.size;
  const quiet = 4;
  const scale = Math.floor((Math.min(width, height) * 0.9) / (size + 2 * quiet));
  const side = scale * (size + 2 * quiet);
  const left = Math.floor((width - side) / 2);
  const top = Math.floor((height - side) / 2);
  const y = Buffer.alloc(width * height, 235); // white (video range)
  for (let r = 0; r < size; r++)
    for (let c = 0; c < size; c++) {
      if (!qr.modules.get(r, c)) continue;
      for (let dy = 0; dy < scale; dy++) {
        const row = top + (quiet + r) * scale + dy;
        y.fill(16, row * width + left + (quiet + c) * scale, row * width + left + (quiet + c + 1) * scale);
      }
    }
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, chroma]);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420\n`);
  fs.writeFileSync(file, Buffer.concat([header, ...Array.from({ length: frames }, () => frame)]));
}

export interface GatePhone {
  page: Page;
  deviceId: string;
}

/**
 * A phone enrolled as the seller's page does it: `staff` creates the device, the phone opens
 * the setup link (which sets the device cookie and redirects to /gate).
 */
export async function enrolPhone(
  context: BrowserContext,
  baseUrl: string,
  staff: TestSession,
  campaignId: string,
  opts: { name: string; gateId?: string },
): Promise<GatePhone> {
  const made = await staff
    .post(`/api/v1/validation/campaigns/${campaignId}/devices`)
    .send({ name: opts.name, ...(opts.gateId ? { gateId: opts.gateId } : {}) });
  if (made.status !== 201)
    throw new Error(`create device answered ${made.status}: ${JSON.stringify(made.body)}`);
  const body = made.body as { device: { id: string }; enrolment: { url: string } };
  const page = await context.newPage();
  await page.goto(`${baseUrl}${new URL(body.enrolment.url).pathname}`);
  await page.waitForURL(/\/gate$/);
  await page.locator('[data-gate-app][data-ready="true"]').waitFor({ timeout: 30_000 });
  return { page, deviceId: body.device.id };
}

/** The result screen's state, once one is shown for a scan different from `previousScanId`. */
export async function nextResult(page: Page, previousScanId = '', timeout = 20_000) {
  const result = page.locator('[data-result]');
  await page.waitForFunction(
    (prev) => {
      const el = document.querySelector<HTMLElement>('[data-result]');
      return el && !el.hidden && el.dataset.scanId && el.dataset.scanId !== prev;
    },
    previousScanId,
    { timeout },
  );
  // Read in one go: attribute by attribute, a decision rendered in between would mix two results.
  return result.evaluate((el) => {
    const text = (sel: string) => el.querySelector(sel)?.textContent?.trim();
    return {
      scanId: el.getAttribute('data-scan-id')!,
      colour: el.getAttribute('data-colour'),
      result: el.getAttribute('data-result-state'),
      reason: el.getAttribute('data-reason'),
      offline: el.getAttribute('data-offline') === 'true',
      word: text('[data-result-word]'),
      name: text('[data-result-name]'),
      detail: text('[data-result-detail]'),
      entries: text('[data-result-entries]'),
    };
  });
}

const GATE_DIR = path.resolve(__dirname, '../../src/web/static/gate');

/**
 * The gate page's own modules (src/web/static/gate), bundled by esbuild as the build does, as
 * one script exposing `entry`'s exports on `window[globalName]`. For tests and the benchmark
 * that call them in a real browser without the whole page.
 */
export async function gateModulesScript(entry: string, globalName: string): Promise<string> {
  const out = await esbuild.build({
    stdin: { contents: entry, resolveDir: GATE_DIR, loader: 'ts' },
    bundle: true,
    format: 'iife',
    globalName,
    target: 'es2022',
    write: false,
  });
  return out.outputFiles[0]!.text;
}

/**
 * A blank page on 127.0.0.1 (a secure context: WebCrypto's Ed25519 needs one) with `script`
 * loaded. close() stops its little server.
 */
export async function securePageWith(browser: TestBrowser, script: string) {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>gate modules</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const page = await browser.newPage(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
  await page.goto('/');
  await page.addScriptTag({ content: script });
  return {
    page,
    close: async () => {
      await page.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
