import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AppError } from '../errors/app-error.js';
import { lexiconEntry as entry } from './lexicon-store.conformance.js';
import { openServiceDatabase } from './service-database.js';
import { currentVersion, openDatabase } from './sqlite.js';
import { LEXICON_MIGRATIONS, SqliteLexiconStore } from './sqlite-lexicon-store.js';

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof AppError, String(err));
    return err;
  }
  assert.fail('expected a rejection');
}

const LIMIT = { maxEntries: 100 };

describe('SqliteLexiconStore', () => {
  it('stores, lists in creation order, reads, replaces and deletes', async () => {
    const store = new SqliteLexiconStore(openDatabase(':memory:'));
    const a = entry('a', 'Mynute', { language: 'en', caseSensitive: true, wholeWord: false });
    await store.insert(entry('z', 'zeta'), LIMIT);
    await store.insert(a, LIMIT);
    assert.deepEqual(await store.get('default', 'a'), a);
    assert.deepEqual((await store.list('default')).map((e) => e.id), ['z', 'a']);
    assert.deepEqual((await store.list('default', { language: 'en' })).map((e) => e.id), ['a']);
    assert.deepEqual(await store.list('default', { language: 'de' }), []);

    const replaced = await store.replace({ ...a, term: 'Mynoot', language: null, createdAt: 'ignored', updatedAt: '2026-02-02T00:00:00.000Z' });
    assert.deepEqual(replaced, { ...a, term: 'Mynoot', language: null, updatedAt: '2026-02-02T00:00:00.000Z' });
    assert.deepEqual(await store.get('default', 'a'), replaced);
    assert.equal(await store.replace(entry('missing', 'x')), null);

    assert.equal(await store.delete('default', 'a'), true);
    assert.equal(await store.delete('default', 'a'), false);
    assert.equal(await store.get('default', 'a'), null);
  });

  it('refuses duplicates of term and language, ignoring case unless both are case-sensitive', async () => {
    const store = new SqliteLexiconStore(openDatabase(':memory:'));
    await store.insert(entry('a', 'Nginx'), LIMIT);
    const err = await rejection(store.insert(entry('b', 'NGINX'), LIMIT));
    assert.equal(err.code, 'lexicon_conflict');
    assert.equal(err.status, 409);
    assert.match(err.message, /"Nginx" in every language already exists \(a\)/);
    // Other language, or the case-sensitive variant: allowed.
    await store.insert(entry('c', 'nginx', { language: 'en' }), LIMIT);
    await store.insert(entry('d', 'NGINX', { caseSensitive: true }), LIMIT);
    await store.insert(entry('e', 'Nginx', { caseSensitive: true }), LIMIT);
    assert.equal((await rejection(store.insert(entry('f', 'Nginx', { caseSensitive: true }), LIMIT))).code, 'lexicon_conflict');
    // Replacing an entry with its own term is no conflict; taking another's is.
    await store.replace(entry('a', 'nginx'));
    assert.equal((await rejection(store.replace(entry('c', 'NGINX', { language: null })))).code, 'lexicon_conflict');
    assert.equal((await store.get('default', 'c'))?.language, 'en');
  });

  it('stops at maxEntries per owner', async () => {
    const store = new SqliteLexiconStore(openDatabase(':memory:'));
    await store.insert(entry('a', 'one'), { maxEntries: 2 });
    await store.insert(entry('b', 'two'), { maxEntries: 2 });
    const err = await rejection(store.insert(entry('c', 'three'), { maxEntries: 2 }));
    assert.equal(err.code, 'lexicon_full');
    assert.equal((await store.list('default')).length, 2);
    // Another owner has its own count.
    await store.insert(entry('d', 'three', { owner: 'key-2' }), { maxEntries: 2 });
    await store.delete('default', 'a');
    await store.insert(entry('c', 'three'), { maxEntries: 2 });
  });

  it('keeps owners apart', async () => {
    const store = new SqliteLexiconStore(openDatabase(':memory:'));
    await store.insert(entry('a', 'same'), LIMIT);
    await store.insert(entry('b', 'same', { owner: 'key-2' }), LIMIT);
    assert.deepEqual((await store.list('key-2')).map((e) => e.id), ['b']);
    assert.equal(await store.get('key-2', 'a'), null);
    assert.equal(await store.delete('key-2', 'a'), false);
  });

  it('migrates its namespace in the service database file and persists across reopening', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cosyfleet-lexicon-'));
    try {
      let db = openServiceDatabase({ dataDir: dir });
      new SqliteLexiconStore(db);
      assert.equal(currentVersion(db, 'lexicon'), LEXICON_MIGRATIONS.length);
      await new SqliteLexiconStore(db).insert(entry('a', 'Mynute'), LIMIT);
      db.close();
      db = openServiceDatabase({ dataDir: dir });
      assert.deepEqual((await new SqliteLexiconStore(db).list('default')).map((e) => e.term), ['Mynute']);
      db.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
