// What every VoiceStore must do, whatever database is behind it: registers node:test cases
// given a way to open two handles on one fresh database (two nodes, or two connections).
// src/storage/sqlite-stores.test.ts runs it on SQLite, test/storage/postgres-stores.test.ts
// on PostgreSQL.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withHandles, type TwoHandles } from './two-handles.js';
import { DEFAULT_OWNER, type NewVoice, type VoiceStore } from './voice-store.js';

export const voice = (id: string, owner = DEFAULT_OWNER): NewVoice => ({
  id,
  owner,
  name: `Voice ${id}`,
  transcript: 'Hello there.',
  language: 'en',
  gender: 'female',
  pitchHz: 180.5,
  durationSeconds: 4.25,
  original: { format: 'flac', contentType: 'audio/flac', bytes: 12345, sampleRate: 44100, channels: 2, durationSeconds: 6.5 },
});

export function runVoiceStoreConformance(label: string, open: () => Promise<TwoHandles<VoiceStore>>): void {
  const withStores = (body: (h: TwoHandles<VoiceStore>) => Promise<void>) => withHandles(open, body);

  describe(`VoiceStore conformance: ${label}`, () => {
    it(
      'creates and reads back every field exactly, through either handle',
      withStores(async ({ a, b }) => {
        const created = await a.create(voice('voice_a'));
        assert.equal(created.version, 1);
        assert.equal(created.createdAt, created.updatedAt);
        assert.ok(Date.parse(created.createdAt) > 0);
        assert.deepEqual(await a.get(DEFAULT_OWNER, 'voice_a'), created);
        assert.deepEqual(await b.get(DEFAULT_OWNER, 'voice_a'), created, 'the other handle sees the same record');
        await a.create({ ...voice('voice_null'), pitchHz: null });
        assert.equal((await b.get(DEFAULT_OWNER, 'voice_null'))?.pitchHz, null);
        await assert.rejects(b.create(voice('voice_a')), /UNIQUE|duplicate key/i, 'ids are unique');
      }),
    );

    it(
      'lists oldest first, ties in insertion order, and scopes everything by owner',
      withStores(async ({ a, b }) => {
        const ids = ['voice_z', 'voice_m', 'voice_a', 'voice_q'];
        for (const [i, id] of ids.entries()) await (i % 2 ? b : a).create(voice(id));
        await a.create(voice('voice_other', 'someone-else'));
        assert.deepEqual((await b.list(DEFAULT_OWNER)).map((v) => v.id), ids);
        assert.deepEqual((await a.list('someone-else')).map((v) => v.id), ['voice_other']);
        assert.deepEqual(await a.list('nobody'), []);
        assert.equal(await a.get(DEFAULT_OWNER, 'voice_other'), null, "another owner's voice is invisible");
        assert.equal(await a.update(DEFAULT_OWNER, 'voice_other', { name: 'x' }), null);
        assert.equal(await a.delete(DEFAULT_OWNER, 'voice_other'), false);
        assert.equal((await a.get('someone-else', 'voice_other'))?.name, 'Voice voice_other', 'and untouched');
        assert.deepEqual([...(await b.ids())].sort(), [...ids, 'voice_other'].sort(), 'ids() spans every owner');
      }),
    );

    it(
      'bumps the version when the transcript or language changes, not the name',
      withStores(async ({ a, b }) => {
        await a.create(voice('voice_a'));
        const renamed = await a.update(DEFAULT_OWNER, 'voice_a', { name: 'Renamed' });
        assert.equal(renamed?.name, 'Renamed');
        assert.equal(renamed?.version, 1, 'a new name does not change the prompt');
        assert.ok((renamed?.updatedAt ?? '') >= (renamed?.createdAt ?? ''));
        assert.equal((await b.update(DEFAULT_OWNER, 'voice_a', { transcript: 'Hello there!' }))?.version, 2, 'a new transcript does');
        assert.equal((await a.update(DEFAULT_OWNER, 'voice_a', { transcript: 'Hello there!' }))?.version, 2, 'the same transcript does not');
        assert.equal((await a.update(DEFAULT_OWNER, 'voice_a', { language: 'de' }))?.version, 3, 'a new language does');
        const reread = await b.get(DEFAULT_OWNER, 'voice_a');
        assert.deepEqual(
          { name: reread?.name, transcript: reread?.transcript, language: reread?.language, version: reread?.version, original: reread?.original },
          { name: 'Renamed', transcript: 'Hello there!', language: 'de', version: 3, original: voice('voice_a').original },
        );
        assert.equal(await a.update(DEFAULT_OWNER, 'voice_missing', { name: 'x' }), null);
      }),
    );

    it(
      'keeps, changes and clears the declared gender without a new version',
      withStores(async ({ a, b }) => {
        await a.create({ ...voice('voice_none'), gender: null });
        assert.equal((await b.get(DEFAULT_OWNER, 'voice_none'))?.gender, null, 'none declared reads back as null');
        await a.create(voice('voice_a'));
        assert.equal((await a.update(DEFAULT_OWNER, 'voice_a', { name: 'Renamed' }))?.gender, 'female', 'a patch without it keeps it');
        const changed = await b.update(DEFAULT_OWNER, 'voice_a', { gender: 'neutral' });
        assert.deepEqual([changed?.gender, changed?.version], ['neutral', 1], 'the prompt is the same, so is the version');
        assert.equal((await a.get(DEFAULT_OWNER, 'voice_a'))?.gender, 'neutral');
        assert.equal((await a.update(DEFAULT_OWNER, 'voice_a', { gender: null }))?.gender, null, 'null clears it');
        assert.equal((await b.get(DEFAULT_OWNER, 'voice_a'))?.gender, null);
      }),
    );

    it(
      'concurrent prompt changes from both handles each bump the version once',
      withStores(async ({ a, b }) => {
        await a.create(voice('voice_a'));
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => (i % 2 ? b : a).update(DEFAULT_OWNER, 'voice_a', { transcript: `Take ${i}.` })),
        );
        assert.deepEqual(results.map((r) => r?.version).sort((x, y) => (x ?? 0) - (y ?? 0)), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        assert.equal((await b.get(DEFAULT_OWNER, 'voice_a'))?.version, 11);
      }),
    );

    it(
      'deletes once, for its owner only',
      withStores(async ({ a, b }) => {
        await a.create(voice('voice_a'));
        assert.equal(await b.delete('someone-else', 'voice_a'), false);
        assert.equal(await b.delete(DEFAULT_OWNER, 'voice_a'), true);
        assert.equal(await a.delete(DEFAULT_OWNER, 'voice_a'), false);
        assert.equal(await a.get(DEFAULT_OWNER, 'voice_a'), null);
        assert.deepEqual([...(await a.ids())], []);
      }),
    );
  });
}
