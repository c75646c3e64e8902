#!/usr/bin/env node
// Builds the gate page's browser code (a PWA) into src/web/static/build/, which Express serves
// at /static/build/ and scripts/copy-assets.mjs copies into dist/. Part of `npm run build`,
// `npm start` and the test set-up (test/support/global-setup.ts); the output is not committed
// (.gitignore): it is derived from src/web/static/gate and node_modules in about a second.
//
// - gate.js: src/web/static/gate/main.ts bundled with its npm libraries (barcode-detector, idb,
//   @noble/ed25519) and the tickets module's browser API (the QR layout the server uses).
// - zxing_reader.wasm: the decoder's WebAssembly, served by us (the library's default is a CDN).
// - gate-sw.js: the service worker, with the list of app-shell files and a version hash of
//   their contents, so a new build replaces the cached shell.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src/web/static/gate');
const out = path.join(root, 'src/web/static/build');
const require = createRequire(import.meta.url);

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });

const common = {
  bundle: true,
  minify: true,
  sourcemap: 'linked',
  target: ['es2022', 'chrome110', 'safari16', 'firefox115'],
  logLevel: 'warning',
  legalComments: 'linked',
};

await esbuild.build({
  ...common,
  entryPoints: { gate: path.join(src, 'main.ts') },
  outdir: out,
  format: 'esm',
});

// The zxing-wasm that barcode-detector itself imports: its JS and its wasm must match.
const fromDetector = createRequire(require.resolve('barcode-detector'));
fs.copyFileSync(
  fromDetector.resolve('zxing-wasm/reader/zxing_reader.wasm'),
  path.join(out, 'zxing_reader.wasm'),
);

// What the page needs to open with no network: the page itself (/gate, cached when fetched)
// and these files. The wasm is cached too, so the camera works offline.
const shell = [
  '/static/build/gate.js',
  '/static/build/zxing_reader.wasm',
  '/static/gate/gate.css',
  '/static/gate/manifest.webmanifest',
  '/static/app.css',
  '/static/favicon.svg',
];
// Cached when the server has it (a web process without Socket.io answers 404): the page works
// without live pushes, catching up through its revocation sync.
const optional = ['/socket.io/socket.io.js'];
const hash = crypto.createHash('sha256');
for (const url of [...shell, ...optional]) {
  const file = url.startsWith('/static/')
    ? path.join(root, 'src/web', url)
    : // What the socket.io server answers at /socket.io/socket.io.js (serveClient).
      path.join(path.dirname(require.resolve('socket.io/package.json')), 'client-dist/socket.io.js');
  hash.update(url).update(fs.readFileSync(file));
}
const version = hash.digest('hex').slice(0, 16);

await esbuild.build({
  ...common,
  entryPoints: { 'gate-sw': path.join(src, 'sw.ts') },
  outdir: out,
  format: 'iife',
  define: {
    __SHELL_VERSION__: JSON.stringify(version),
    __SHELL_FILES__: JSON.stringify(shell),
    __SHELL_OPTIONAL__: JSON.stringify(optional),
  },
});

console.log(`[build-web] gate page built into src/web/static/build (shell ${version})`);
