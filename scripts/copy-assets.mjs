#!/usr/bin/env node
// Part of `npm run build`: tsc emits only JavaScript, but the compiled code reads files next to
// itself through __dirname (templates, CSS and other static files under src/, and the SQL
// migrations two levels above src/shared). This copies them into dist/ at the same relative
// places, so `node dist/src/server.js` finds everything. Plain Node, no dependencies.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const isSource = (file) => /\.(c|m)?tsx?$/.test(file) || file.endsWith('.map');

let copied = 0;
function copyTree(from, to, keep) {
  if (!fs.existsSync(from)) return;
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dest = path.join(to, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === '__tests__') continue;
      copyTree(src, dest, keep);
    } else if (keep(src)) {
      fs.mkdirSync(to, { recursive: true });
      fs.copyFileSync(src, dest);
      copied += 1;
    }
  }
}

// Every non-TypeScript file under src/ (views, static assets, anything a module adds later).
copyTree(path.join(root, 'src'), path.join(dist, 'src'), (file) => !isSource(file));
// src/shared/migrate.ts resolves ../../prisma/migrations from its own directory.
copyTree(path.join(root, 'prisma', 'migrations'), path.join(dist, 'prisma', 'migrations'), () => true);
console.log(`[build] copied ${copied} asset file(s) into dist/`);
