import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BLOB_KEY, InvalidBlobKeyError } from './blob-store.js';
import { FsBlobStore } from './fs-blob-store.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cosyfleet-blobs-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every file under `root`, as relative paths. */
async function files(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(root.length + 1)).sort();
}

describe('FsBlobStore', () => {
  it('stores, reads, replaces and deletes objects under their keys', async () => {
    const root = join(dir, 'a');
    const store = new FsBlobStore(root);
    assert.equal(await store.get('voices/v1/original'), null);
    assert.equal(await store.exists('voices/v1/original'), false);
    await store.put('voices/v1/original', Buffer.from('first'));
    await store.put('voices/v1/prompt', new Uint8Array([1, 2, 3]));
    assert.equal((await store.get('voices/v1/original'))?.toString(), 'first');
    assert.deepEqual([...((await store.get('voices/v1/prompt')) ?? [])], [1, 2, 3]);
    assert.equal(await store.exists('voices/v1/prompt'), true);
    await store.put('voices/v1/original', Buffer.from('second'));
    assert.equal(await readFile(join(root, 'voices', 'v1', 'original'), 'utf8'), 'second', 'the key is the path under the root');
    assert.deepEqual(await files(root), ['voices/v1/original', 'voices/v1/prompt'], 'no temporary file is left behind');

    assert.equal(await store.delete('voices/v1/original'), true);
    assert.equal(await store.delete('voices/v1/original'), false);
    assert.equal(await store.get('voices/v1/original'), null);
    assert.equal(await store.delete('voices/v1/prompt'), true);
    assert.deepEqual(await readdir(root), [], 'emptied directories are pruned up to the root');
  });

  it('refuses every key that is not server-shaped, before touching the filesystem', async () => {
    const root = join(dir, 'b');
    const store = new FsBlobStore(root);
    await writeFile(join(dir, 'outside'), 'keep');
    const bad = ['', '../outside', 'a/../../outside', '/etc/passwd', 'a//b', 'a/', 'A/b', 'a/b.tmp', '.hidden', 'a\\b', 'voices/%2e%2e', 'a b', 'é', 'a/b/c/d/e/f/g/h/i', 'x'.repeat(65)];
    for (const key of bad) {
      assert.equal(BLOB_KEY.test(key), false, key);
      await assert.rejects(store.put(key, Buffer.from('x')), InvalidBlobKeyError, `put ${key}`);
      await assert.rejects(store.get(key), InvalidBlobKeyError, `get ${key}`);
      await assert.rejects(store.delete(key), InvalidBlobKeyError, `delete ${key}`);
      await assert.rejects(store.exists(key), InvalidBlobKeyError, `exists ${key}`);
    }
    assert.equal(await readFile(join(dir, 'outside'), 'utf8'), 'keep');
    assert.deepEqual(await files(root), [], 'nothing was created under the root');
    for (const key of ['voices/voice_abc234/original', 'a', 'a-b/c_d/0']) assert.ok(BLOB_KEY.test(key), key);
  });

  it('a failed write leaves no temporary file and the store keeps working', async () => {
    const root = join(dir, 'c');
    const store = new FsBlobStore(root);
    // A directory where the object should go: the final rename fails after the data was written.
    await store.put('v/taken/child', Buffer.from('child'));
    await assert.rejects(store.put('v/taken', Buffer.from('x')));
    assert.deepEqual(await files(root), ['v/taken/child']);
    await store.put('v/other', Buffer.from('fine'));
    assert.equal((await store.get('v/other'))?.toString(), 'fine');
  });
});
