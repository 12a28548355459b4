// reconcileVoiceStorage on the real filesystem store and a real SQLite database: what a kill -9
// between a voice's blobs and its row (or its row and its blobs) leaves behind.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { FsBlobStore } from '../storage/fs-blob-store.js';
import { openDatabase } from '../storage/sqlite.js';
import { SqliteVoiceStore } from '../storage/sqlite-voice-store.js';
import { DEFAULT_OWNER } from '../storage/voice-store.js';
import { newVoiceId, voiceBlobKeys } from './ids.js';
import { reconcileVoiceStorage } from './reconcile.js';

async function files(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(root.length + 1)).sort();
}

it('removes temporaries and blobs of voices without a row, keeps everything else, reports rows without blobs', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cosyfleet-reconcile-'));
  const db = openDatabase(join(dir, 'cosyfleet.db'));
  try {
    const store = new SqliteVoiceStore(db);
    const root = join(dir, 'blobs');
    const blobs = new FsBlobStore(root);
    const [kept, orphan, bare] = [newVoiceId(), newVoiceId(), newVoiceId()];
    for (const id of [kept, bare]) {
      await store.create({ id, owner: DEFAULT_OWNER, name: id, transcript: 'Hello.', language: 'en', gender: null, pitchHz: null, durationSeconds: 3, original: { format: 'wav', contentType: 'audio/wav', bytes: 4, sampleRate: 16000, channels: 1, durationSeconds: 3 } });
    }
    for (const key of Object.values(voiceBlobKeys(kept))) await blobs.put(key, Buffer.from('kept'));
    // A crash after the blobs and before the row (upload), or after the row delete (delete):
    for (const key of Object.values(voiceBlobKeys(orphan))) await blobs.put(key, Buffer.from('orphan'));
    // A crash inside a put: its temporary, beside a real object and alone in a directory.
    await writeFile(join(root, 'voices', kept, 'original.tmp-0123456789ab'), 'half');
    await mkdir(join(root, 'voices', newVoiceId()), { recursive: true });
    const lone = join(root, 'voices', newVoiceId());
    await mkdir(lone, { recursive: true });
    await writeFile(join(lone, 'prompt.tmp-abcdef012345'), 'half');
    // Not written by the store: left alone.
    await writeFile(join(root, 'voices', 'README.txt'), 'an operator note');

    // On the timer, young leftovers may be writes in flight: untouched.
    const young = await reconcileVoiceStorage(store, blobs, 60_000);
    assert.deepEqual([young.temporaries, young.orphans], [0, []]);
    assert.ok((await files(root)).some((f) => f.includes(orphan)));

    for (const f of await files(root)) {
      const old = new Date(Date.now() - 3_600_000);
      await utimes(join(root, f), old, old);
    }
    const result = await reconcileVoiceStorage(store, blobs, 60_000);
    assert.equal(result.temporaries, 2);
    assert.deepEqual([...result.orphans].sort(), Object.values(voiceBlobKeys(orphan)).sort());
    assert.deepEqual(result.missing, [bare]);
    assert.deepEqual(await files(root), ['voices/README.txt', `voices/${kept}/original`, `voices/${kept}/prompt`]);
    assert.equal(String(await blobs.get(voiceBlobKeys(kept).prompt)), 'kept');

    const again = await reconcileVoiceStorage(store, blobs, 0);
    assert.deepEqual([again.temporaries, again.orphans, again.missing], [0, [], [bare]], 'idempotent');
  } finally {
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
});
