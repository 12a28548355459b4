import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { currentVersion, migrate, openDatabase } from './sqlite.js';
import { SqliteVoiceStore, VOICE_MIGRATIONS } from './sqlite-voice-store.js';
import { voice } from './voice-store.conformance.js';
import { DEFAULT_OWNER } from './voice-store.js';

describe('SqliteVoiceStore', () => {
  it('creates, reads, lists, updates and deletes, scoped by owner, and survives reopening', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cosyfleet-voices-'));
    try {
      const path = join(dir, 'cosyfleet.db');
      let db = openDatabase(path);
      let store = new SqliteVoiceStore(db);
      assert.equal(currentVersion(db, 'voices'), VOICE_MIGRATIONS.length);
      const a = await store.create(voice('voice_a'));
      await store.create({ ...voice('voice_b'), pitchHz: null });
      await store.create(voice('voice_c', 'someone-else'));
      assert.equal(a.version, 1);
      assert.equal(a.createdAt, a.updatedAt);
      assert.deepEqual(await store.get(DEFAULT_OWNER, 'voice_a'), a);
      assert.deepEqual((await store.list(DEFAULT_OWNER)).map((v) => v.id), ['voice_a', 'voice_b']);
      assert.equal((await store.get(DEFAULT_OWNER, 'voice_b'))?.pitchHz, null);
      assert.equal(await store.get(DEFAULT_OWNER, 'voice_c'), null, 'another owner\'s voice is invisible');
      assert.equal(await store.update(DEFAULT_OWNER, 'voice_c', { name: 'x' }), null);
      assert.equal(await store.delete(DEFAULT_OWNER, 'voice_c'), false);
      assert.deepEqual((await store.list('someone-else')).map((v) => v.id), ['voice_c']);

      const renamed = await store.update(DEFAULT_OWNER, 'voice_a', { name: 'Renamed' });
      assert.equal(renamed?.name, 'Renamed');
      assert.equal(renamed?.version, 1, 'a new name does not change the prompt');
      const corrected = await store.update(DEFAULT_OWNER, 'voice_a', { transcript: 'Hello there!' });
      assert.equal(corrected?.version, 2, 'a new transcript does');
      assert.equal((await store.update(DEFAULT_OWNER, 'voice_a', { transcript: 'Hello there!' }))?.version, 2, 'the same transcript does not');
      assert.equal((await store.update(DEFAULT_OWNER, 'voice_a', { language: 'de' }))?.version, 3, 'a new language does');
      db.close();

      db = openDatabase(path);
      store = new SqliteVoiceStore(db);
      const reread = await store.get(DEFAULT_OWNER, 'voice_a');
      assert.deepEqual(
        { name: reread?.name, transcript: reread?.transcript, language: reread?.language, version: reread?.version, original: reread?.original },
        { name: 'Renamed', transcript: 'Hello there!', language: 'de', version: 3, original: voice('voice_a').original },
      );
      assert.equal(await store.delete(DEFAULT_OWNER, 'voice_a'), true);
      assert.equal(await store.get(DEFAULT_OWNER, 'voice_a'), null);
      await assert.rejects(store.create(voice('voice_b')), /UNIQUE/, 'ids are unique');
      db.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('upgrades a library made before genders were stored: its voices keep everything and declare none', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cosyfleet-voices-'));
    try {
      const path = join(dir, 'cosyfleet.db');
      const old = openDatabase(path);
      migrate(old, 'voices', VOICE_MIGRATIONS.slice(0, 1));
      old
        .prepare(
          `INSERT INTO voices (id, owner, name, transcript, language, version, pitch_hz, duration_seconds, original_format, original_content_type,
             original_bytes, original_sample_rate, original_channels, original_duration_seconds, created_at, updated_at)
           VALUES ('voice_old', 'default', 'Old', 'Hello.', 'en', 4, 120, 3, 'wav', 'audio/wav', 10, 16000, 1, 3, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`,
        )
        .run();
      old.close();
      const db = openDatabase(path);
      const store = new SqliteVoiceStore(db);
      assert.equal(currentVersion(db, 'voices'), VOICE_MIGRATIONS.length);
      const before = await store.get(DEFAULT_OWNER, 'voice_old');
      assert.deepEqual([before?.name, before?.version, before?.pitchHz, before?.gender], ['Old', 4, 120, null]);
      assert.equal((await store.update(DEFAULT_OWNER, 'voice_old', { gender: 'male' }))?.gender, 'male');
      db.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
