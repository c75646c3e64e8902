import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from './config';

/**
 * Where derived files (ticket PDFs) live. Keys are relative, slash-separated names such as
 * `tickets/<campaignId>/<bookingId>.pdf`. A put either stores the whole object or leaves the
 * previous state untouched: readers never see a half-written file.
 */
export interface Storage {
  put(key: string, data: Buffer): Promise<void>;
  /** The object's bytes, or null when there is none. */
  get(key: string): Promise<Buffer | null>;
  exists(key: string): Promise<boolean>;
  /** Removes the object; removing a missing object is not an error. */
  delete(key: string): Promise<void>;
}

const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;
const TEMP_MARK = '.tmp-';

/** Rejects keys that could leave the storage root or collide with temporary files. */
export function assertStorageKey(key: string): void {
  if (
    !KEY_PATTERN.test(key) ||
    key.length > 512 ||
    key.split('/').some((p) => p === '..' || p.includes(TEMP_MARK))
  ) {
    throw new Error(`invalid storage key "${key}"`);
  }
}

/**
 * A folder on the local disk. Atomicity: put writes `<file>.tmp-<random>` in the target's own
 * folder, fsyncs it, renames it over the target (rename is atomic within one filesystem) and
 * fsyncs the folder. A crash before the rename leaves only a temporary file, which no key can
 * name (assertStorageKey refuses TEMP_MARK), so get/exists never see it; a crash after it
 * leaves the complete new file. Two puts of the same key race harmlessly: the last rename wins
 * and either way the file is whole.
 */
export class LocalStorage implements Storage {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  private pathOf(key: string): string {
    assertStorageKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  async put(key: string, data: Buffer): Promise<void> {
    const target = this.pathOf(key);
    const dir = path.dirname(target);
    await fs.mkdir(dir, { recursive: true });
    const temp = `${target}${TEMP_MARK}${crypto.randomBytes(6).toString('hex')}`;
    const handle = await fs.open(temp, 'wx', 0o640);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } catch (err) {
      await handle.close().catch(() => undefined);
      await fs.rm(temp, { force: true });
      throw err;
    }
    await handle.close();
    try {
      await fs.rename(temp, target);
    } catch (err) {
      await fs.rm(temp, { force: true });
      throw err;
    }
    await syncDir(dir);
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return await fs.readFile(this.pathOf(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await fs.stat(this.pathOf(key))).isFile();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.pathOf(key), { force: true });
  }
}

async function syncDir(dir: string): Promise<void> {
  // Makes the rename itself durable; some filesystems refuse fsync on a directory.
  const handle = await fs.open(dir, 'r').catch(() => null);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // EINVAL/EISDIR on filesystems without directory fsync: the rename is still atomic.
  } finally {
    await handle.close();
  }
}

/** The storage the configuration names (a local folder, STORAGE_DIR). */
export function createStorage(config: Pick<Config, 'STORAGE_DIR'>): Storage {
  return new LocalStorage(config.STORAGE_DIR);
}
