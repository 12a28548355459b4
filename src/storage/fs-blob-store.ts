// BlobStore on the local filesystem under one root directory (DATA_DIR/blobs). A put writes a
// temporary file beside the target, flushes it and renames it into place, so a crash or a full
// disk never leaves a half-written object under a real key. Temporary names contain a dot,
// which BLOB_KEY forbids, so they can never collide with an object.
import { randomBytes } from 'node:crypto';
import { mkdir, open, type FileHandle, readFile, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { assertBlobKey, BLOB_KEY, type BlobStore } from './blob-store.js';

export class FsBlobStore implements BlobStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const path = this.path(key);
    const temp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
    try {
      const handle = await this.createTemp(temp);
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, path);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  /** Creates the directory and the file; retried because a concurrent delete may prune the directory in between. */
  private async createTemp(temp: string): Promise<FileHandle> {
    for (let attempt = 1; ; attempt++) {
      await mkdir(dirname(temp), { recursive: true });
      try {
        return await open(temp, 'wx', 0o600);
      } catch (err) {
        if (!isMissing(err) || attempt >= 3) throw err;
      }
    }
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return await readFile(this.path(key));
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<boolean> {
    const path = this.path(key);
    try {
      await unlink(path);
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
    await this.pruneEmptyParents(dirname(path));
    return true;
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.path(key))).isFile();
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  async list(prefix: string): Promise<{ key: string; modifiedMs: number }[]> {
    const out: { key: string; modifiedMs: number }[] = [];
    for (const file of await this.files()) {
      if (file.temporary || !file.key.startsWith(prefix)) continue;
      out.push({ key: file.key, modifiedMs: file.modifiedMs });
    }
    return out;
  }

  async removeTemporaries(olderThanMs: number): Promise<number> {
    const now = Date.now();
    let removed = 0;
    for (const file of await this.files()) {
      if (!file.temporary || now - file.modifiedMs < olderThanMs) continue;
      await rm(file.path, { force: true });
      await this.pruneEmptyParents(dirname(file.path));
      removed++;
    }
    return removed;
  }

  /** Every regular file under the root: an object (its key) or a temporary of an interrupted put. */
  private async files(): Promise<{ path: string; key: string; temporary: boolean; modifiedMs: number }[]> {
    const entries = await readdir(this.root, { recursive: true, withFileTypes: true }).catch((err: unknown) => {
      if (isMissing(err)) return [];
      throw err;
    });
    const out: { path: string; key: string; temporary: boolean; modifiedMs: number }[] = [];
    for (const e of entries) {
      if (!e.isFile()) continue;
      const path = join(e.parentPath, e.name);
      const key = relative(this.root, path).split(sep).join('/');
      const temporary = /\.tmp-[0-9a-f]+$/.test(e.name);
      // Anything else that is not a valid key was not written by this store: left alone.
      if (!temporary && !BLOB_KEY.test(key)) continue;
      const modifiedMs = (await stat(path).catch(() => null))?.mtimeMs ?? Date.now();
      out.push({ path, key, temporary, modifiedMs });
    }
    return out;
  }

  private path(key: string): string {
    assertBlobKey(key);
    const path = join(this.root, ...key.split('/'));
    // BLOB_KEY already rules out escaping the root; this guards against a future loosening.
    if (!path.startsWith(this.root + sep)) throw new Error(`blob key ${key} leaves the store root`);
    return path;
  }

  /** Removes directories the delete left empty, up to (not including) the root. */
  private async pruneEmptyParents(dir: string): Promise<void> {
    while (dir !== this.root && relative(this.root, dir).split(sep)[0] !== '..') {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (or already gone): stop
      }
      dir = dirname(dir);
    }
  }
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
