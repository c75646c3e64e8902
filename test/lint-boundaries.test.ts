import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..');

const forbidden: Array<[file: string, spec: string, message: string]> = [
  ['src/app.ts', './modules/alpha/alpha.repository', 'through its index.ts'],
  ['src/modules/registry.ts', './alpha/alpha.routes', 'through its index.ts'],
  ['src/modules/beta/beta.service.ts', '../alpha/alpha.repository', 'through its index.ts'],
  ['src/modules/beta/sub/deep.ts', '../../alpha/alpha.service', 'through its index.ts'],
  ['workers/tickets/main.ts', '../../src/modules/alpha/alpha.service', 'through its index.ts'],
  ['test/flow.test.ts', '../src/modules/alpha/alpha.repository', 'through its index.ts'],
  ['src/web/static/gate/main.ts', '../../../modules/alpha/alpha.layout', 'through its index.ts'],
  ['workers/tickets/handler.ts', './tickets.repository', 'never a repository'],
];
const allowed: Array<[file: string, spec: string]> = [
  ['src/server.ts', './modules/alpha'],
  ['src/modules/index-user.ts', './alpha/index'],
  ['src/modules/beta/beta.routes.ts', '../alpha'],
  ['src/modules/beta/beta.events.ts', './beta.repository'],
  ['src/modules/beta/beta.errors.ts', '../../shared/errors'],
  ['src/modules/alpha/__tests__/alpha.test.ts', '../alpha.repository'],
  ['workers/email/main.ts', '../../src/modules/alpha/index.js'],
  ['workers/email/handler.ts', '../../src/shared/outbox'],
  ['src/web/static/gate/verify.ts', '../../../modules/alpha/browser'],
];

/**
 * The module boundary rule of eslint.config.mjs, run by the real ESLint CLI on a scratch
 * project holding the real config, two modules (`alpha`, `beta`) and one file per case.
 * (ESLint loads its config with a dynamic import, which Jest's sandbox cannot run in-process.)
 */
describe('ESLint module boundaries', () => {
  let dir: string;
  const found = new Map<string, string[]>();

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-lint-'));
    fs.copyFileSync(path.join(root, 'eslint.config.mjs'), path.join(dir, 'eslint.config.mjs'));
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
    for (const m of ['alpha', 'beta']) fs.mkdirSync(path.join(dir, 'src/modules', m), { recursive: true });
    const files = [
      ...forbidden,
      ...allowed,
      ['src/generated/prisma/client.ts', '../../modules/alpha/alpha.repository'],
    ];
    for (const [file, spec] of files) {
      fs.mkdirSync(path.dirname(path.join(dir, file!)), { recursive: true });
      fs.writeFileSync(path.join(dir, file!), `import { x } from '${spec}';\nexport const y = x;\n`);
    }
    const run = spawnSync(
      process.execPath,
      [path.join(root, 'node_modules/eslint/bin/eslint.js'), '--format', 'json', '.'],
      {
        cwd: dir,
        encoding: 'utf8',
      },
    );
    const results = JSON.parse(run.stdout) as Array<{
      filePath: string;
      messages: Array<{ ruleId: string; message: string }>;
    }>;
    for (const r of results) {
      found.set(
        path.relative(dir, r.filePath),
        r.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message),
      );
    }
  }, 60_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each(forbidden)('when %s imports %s, then lint fails', (file, _spec, message) => {
    expect(found.get(file)).toContainEqual(expect.stringContaining(message));
  });

  it.each(allowed)('when %s imports %s, then lint allows it', (file) => {
    expect(found.get(file)).toEqual([]);
  });

  it('when generated code breaks the rules, then it is not linted', () => {
    expect(found.has('src/generated/prisma/client.ts')).toBe(false);
    expect(found.has('src/app.ts')).toBe(true);
  });
});
