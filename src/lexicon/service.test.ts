import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openDatabase } from '../storage/sqlite.js';
import { SqliteLexiconStore } from '../storage/sqlite-lexicon-store.js';
import { LexiconService } from './service.js';
import type { LexiconStore } from './store.js';

/** The real SQLite store, counting how often the service reads the whole list. */
function countingStore(): { store: LexiconStore; lists: () => number } {
  const inner = new SqliteLexiconStore(openDatabase(':memory:'));
  let lists = 0;
  const store: LexiconStore = {
    list: (owner, filter) => {
      lists++;
      return inner.list(owner, filter);
    },
    get: (owner, id) => inner.get(owner, id),
    insert: (entry, limits) => inner.insert(entry, limits),
    replace: (entry) => inner.replace(entry),
    delete: (owner, id) => inner.delete(owner, id),
    revision: (owner) => inner.revision(owner),
  };
  return { store, lists: () => lists };
}

describe('LexiconService', () => {
  it('compiles once per language and recompiles after every change', async () => {
    const { store, lists } = countingStore();
    const lexicon = new LexiconService(store, { maxEntries: 100 });
    assert.equal((await lexicon.rewrite('a mynute', 'en')).text, 'a mynute');
    const entry = await lexicon.create({ term: 'mynute', pronunciation: '[M][AY0][N][UW1][T]' });
    assert.equal((await lexicon.rewrite('a mynute', 'en')).text, 'a [M][AY0][N][UW1][T]');
    const afterCreate = lists();
    await lexicon.rewrite('mynute again', 'en');
    await lexicon.rewrite('and again mynute', 'en');
    assert.equal(lists(), afterCreate, 'cached matcher reused');
    await lexicon.rewrite('mynute', 'de');
    assert.equal(lists(), afterCreate + 1, 'one compile per language');

    await lexicon.replace(entry.id, { term: 'mynute', pronunciation: '[M][IH1][N][AH0][T]' });
    assert.equal((await lexicon.rewrite('a mynute', 'en')).text, 'a [M][IH1][N][AH0][T]');
    await lexicon.delete(entry.id);
    assert.equal((await lexicon.rewrite('a mynute', 'en')).text, 'a mynute');
  });

  it('recompiles when another service on the same store (another node) changes it, and only then', async () => {
    const { store, lists } = countingStore();
    const here = new LexiconService(store, { maxEntries: 100 });
    const elsewhere = new LexiconService(store, { maxEntries: 100 });
    assert.equal((await here.rewrite('a mynute', 'en')).text, 'a mynute');
    const entry = await elsewhere.create({ term: 'mynute', pronunciation: '[M][AY0][N][UW1][T]' });
    assert.equal((await here.rewrite('a mynute', 'en')).text, 'a [M][AY0][N][UW1][T]');
    const compiled = lists();
    await here.rewrite('mynute again', 'en');
    assert.equal(lists(), compiled, 'an unchanged revision reuses the matcher');
    await elsewhere.replace(entry.id, { term: 'mynute', pronunciation: '[M][IH1][N][AH0][T]' });
    assert.equal((await here.rewrite('a mynute', 'en')).text, 'a [M][IH1][N][AH0][T]');
    await elsewhere.delete(entry.id);
    assert.equal((await here.rewrite('a mynute', 'en')).text, 'a mynute');
    await elsewhere.create({ term: 'other', pronunciation: '[AH1][DH][ER0]' }, 'key-2');
    const before = lists();
    await here.rewrite('a mynute', 'en');
    assert.equal(lists(), before, "another owner's change leaves this owner's matcher alone");
  });

  it('detects the language when the request names none, as synthesis does', async () => {
    const { store } = countingStore();
    const lexicon = new LexiconService(store, { maxEntries: 100 });
    await lexicon.create({ term: '予', pronunciation: '[y][ǔ]', language: 'cmn' });
    assert.equal((await lexicon.rewrite('我给予你', undefined)).text, '我给[y][ǔ]你');
    assert.equal((await lexicon.rewrite('我给予你', 'ja')).text, '我给予你');
  });

  it('does not cache a matcher compiled from a list read before a change', async () => {
    const { store } = countingStore();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let listed: () => void = () => {};
    const firstListRead = new Promise<void>((resolve) => (listed = resolve));
    let calls = 0;
    const slow: LexiconStore = {
      ...store,
      list: async (owner, filter) => {
        const entries = await store.list(owner, filter);
        // Only the first read is held until the entry below has been created.
        if (++calls === 1) {
          listed();
          await gate;
        }
        return entries;
      },
    };
    const lexicon = new LexiconService(slow, { maxEntries: 100 });
    const stale = lexicon.rewrite('mynute', 'en');
    await firstListRead;
    await lexicon.create({ term: 'mynute', pronunciation: '[M][AY0][N][UW1][T]' });
    release();
    assert.equal((await stale).text, 'mynute', 'the in-flight rewrite used the list it read');
    assert.equal((await lexicon.rewrite('mynute', 'en')).text, '[M][AY0][N][UW1][T]', 'but did not cache it');
  });

  it('stamps createdAt and updatedAt, keeping createdAt on replace', async () => {
    const { store } = countingStore();
    let t = Date.parse('2026-03-01T00:00:00.000Z');
    const lexicon = new LexiconService(store, { maxEntries: 100, now: () => new Date((t += 1000)) });
    const created = await lexicon.create({ term: 'x', pronunciation: '[EH1][K][S]' });
    assert.equal(created.createdAt, '2026-03-01T00:00:01.000Z');
    assert.equal(created.updatedAt, created.createdAt);
    assert.match(created.id, /^lex_[0-9a-f]{32}$/);
    const replaced = await lexicon.replace(created.id, { term: 'y', pronunciation: '[W][AY1]' });
    assert.equal(replaced.createdAt, created.createdAt);
    assert.equal(replaced.updatedAt, '2026-03-01T00:00:02.000Z');
    await assert.rejects(lexicon.get('lex_missing'), { code: 'lexicon_not_found' });
    await assert.rejects(lexicon.replace('lex_missing', { term: 'z', pronunciation: '[Z]' }), { code: 'lexicon_not_found' });
    await assert.rejects(lexicon.delete('lex_missing'), { code: 'lexicon_not_found' });
  });
});
