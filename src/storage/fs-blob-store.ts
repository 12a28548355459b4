// BlobStore on the local filesystem under one root directory (DATA_DIR/blobs). A put writes a
// temporary file beside the target, flushes it and renames it into place, so a crash or a full
// disk never leaves a half-written object under a real key. Temporary names contain a dot,
// which BLOB_KEY forbids, so they can never collide with an object.
import { randomBytes } from 'node:crypto';
import { mkdir, open, type FileHandle, readFile, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { assertBlobKey, type BlobStore } from './blob-store.js';

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
