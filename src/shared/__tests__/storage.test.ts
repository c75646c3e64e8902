import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '../../../test/support/platform';
import { assertStorageKey, LocalStorage } from '../storage';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'storage-test-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe('LocalStorage', () => {
  it('when an object is put, then get/exists see it; overwrite replaces it; delete removes it (twice is fine)', async () => {
    const s = new LocalStorage(root);
    expect(await s.exists('tickets/a/b.pdf')).toBe(false);
    expect(await s.get('tickets/a/b.pdf')).toBeNull();
    await s.put('tickets/a/b.pdf', Buffer.from('one'));
    expect(await s.exists('tickets/a/b.pdf')).toBe(true);
    expect((await s.get('tickets/a/b.pdf'))!.toString()).toBe('one');
    await s.put('tickets/a/b.pdf', Buffer.from('two'));
    expect((await s.get('tickets/a/b.pdf'))!.toString()).toBe('two');
    expect(fs.readdirSync(path.join(root, 'tickets', 'a'))).toEqual(['b.pdf']); // no temp files left
    await s.delete('tickets/a/b.pdf');
    await s.delete('tickets/a/b.pdf');
    expect(await s.exists('tickets/a/b.pdf')).toBe(false);
  });

  it('when a key could escape the root or name a temporary file, then it is refused', async () => {
    const s = new LocalStorage(root);
    for (const bad of [
      '../x',
      'a/../../x',
      '/etc/passwd',
      'a//b',
      'a/.hidden',
      'a\\b',
      '',
      'a/b.pdf.tmp-123abc',
    ]) {
      expect(() => assertStorageKey(bad)).toThrow(/invalid storage key/);
      await expect(s.put(bad, Buffer.from('x'))).rejects.toThrow(/invalid storage key/);
    }
  });

  it('when many puts of one key race, then the file is always one whole version', async () => {
    const s = new LocalStorage(root);
    const versions = Array.from({ length: 20 }, (_, i) => Buffer.alloc(200_000, i));
    await Promise.all(versions.map((v) => s.put('race/file.bin', v)));
    const final = (await s.get('race/file.bin'))!;
    expect(versions.some((v) => v.equals(final))).toBe(true);
    expect(fs.readdirSync(path.join(root, 'race'))).toEqual(['file.bin']);
  });

  it('when the writing process is killed mid-write, then the key does not exist (no half file) and a later put succeeds', async () => {
    const script = path.join(root, 'writer.ts');
    const storageModule = path.resolve(__dirname, '../storage.ts');
    fs.writeFileSync(
      script,
      `import { LocalStorage } from ${JSON.stringify(storageModule)};\n` +
        `void new LocalStorage(${JSON.stringify(path.join(root, 'data'))}).put('big/file.bin', Buffer.alloc(512 * 1024 * 1024, 7));\n`,
    );
    const tsx = path.resolve(__dirname, '../../../node_modules/.bin/tsx');
    const child = spawn(tsx, [script], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    const dir = path.join(root, 'data', 'big');
    const temp = (await waitFor<string | undefined>(
      () => {
        const names = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
        const t = names.find((n) => n.includes('.tmp-'));
        return t && fs.statSync(path.join(dir, t)).size > 0 ? t : undefined;
      },
      30_000,
      'the temporary file to grow',
    )) as string;
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const s = new LocalStorage(path.join(root, 'data'));
    expect(fs.statSync(path.join(dir, temp)).size).toBeLessThan(512 * 1024 * 1024); // really killed mid-write
    expect(await s.exists('big/file.bin')).toBe(false);
    expect(await s.get('big/file.bin')).toBeNull();

    const whole = crypto.randomBytes(1000);
    await s.put('big/file.bin', whole);
    expect((await s.get('big/file.bin'))!.equals(whole)).toBe(true);
  });
});
