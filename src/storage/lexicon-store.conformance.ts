// What every LexiconStore must do, whatever database is behind it, including when two handles
// (two nodes) write at once: the duplicate rule and maxEntries hold across them, and the
// revision moves with every change either makes. Run by src/storage/sqlite-stores.test.ts and
// test/storage/postgres-stores.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../errors/app-error.js';
import type { LexiconEntry } from '../lexicon/entry.js';
import type { LexiconStore } from '../lexicon/store.js';
import { withHandles, type TwoHandles } from './two-handles.js';

export function lexiconEntry(id: string, term: string, extra: Partial<LexiconEntry> = {}): LexiconEntry {
  return {
    id,
    owner: 'default',
    term,
    pronunciation: '[M][AY0][N][UW1][T]',
    language: null,
    caseSensitive: false,
    wholeWord: true,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...extra,
  };
}

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof AppError, String(err));
    return err;
  }
  assert.fail('expected a rejection');
}

/** Settles every promise; how many fulfilled and the codes of the AppErrors (anything else fails). */
async function outcomes(promises: Promise<unknown>[]): Promise<{ ok: number; codes: string[] }> {
  const settled = await Promise.allSettled(promises);
  const codes: string[] = [];
  for (const s of settled) {
    if (s.status === 'rejected') {
      assert.ok(s.reason instanceof AppError, String(s.reason));
      codes.push(s.reason.code);
    }
  }
  return { ok: settled.length - codes.length, codes: codes.sort() };
}

const LIMIT = { maxEntries: 100 };

export function runLexiconStoreConformance(label: string, open: () => Promise<TwoHandles<LexiconStore>>): void {
  const withStores = (body: (h: TwoHandles<LexiconStore>) => Promise<void>) => withHandles(open, body);

  describe(`LexiconStore conformance: ${label}`, () => {
    it(
      'stores, lists in creation order, reads, replaces and deletes',
      withStores(async ({ a, b }) => {
        const entryA = lexiconEntry('a', 'Mynute', { language: 'en', caseSensitive: true, wholeWord: false });
        await a.insert(lexiconEntry('z', 'zeta'), LIMIT);
        await b.insert(entryA, LIMIT);
        await a.insert(lexiconEntry('m', 'mu', { language: 'en' }), LIMIT);
        assert.deepEqual(await a.get('default', 'a'), entryA);
        assert.deepEqual((await a.list('default')).map((e) => e.id), ['z', 'a', 'm']);
        assert.deepEqual((await b.list('default', { language: 'en' })).map((e) => e.id), ['a', 'm']);
        assert.deepEqual(await a.list('default', { language: 'de' }), []);

        const replaced = await b.replace({ ...entryA, term: 'Mynoot', language: null, createdAt: 'ignored', updatedAt: '2026-02-02T00:00:00.000Z' });
        assert.deepEqual(replaced, { ...entryA, term: 'Mynoot', language: null, updatedAt: '2026-02-02T00:00:00.000Z' });
        assert.deepEqual(await a.get('default', 'a'), replaced);
        assert.deepEqual((await a.list('default')).map((e) => e.id), ['z', 'a', 'm'], 'a replaced entry keeps its place');
        assert.equal(await a.replace(lexiconEntry('missing', 'x')), null);

        assert.equal(await a.delete('default', 'a'), true);
        assert.equal(await b.delete('default', 'a'), false);
        assert.equal(await b.get('default', 'a'), null);
      }),
    );

    it(
      'refuses duplicates of term and language, ignoring case unless both are case-sensitive',
      withStores(async ({ a, b }) => {
        await a.insert(lexiconEntry('a', 'Nginx'), LIMIT);
        const err = await rejection(b.insert(lexiconEntry('b', 'NGINX'), LIMIT));
        assert.equal(err.code, 'lexicon_conflict');
        assert.equal(err.status, 409);
        assert.equal(err.param, 'term');
        assert.match(err.message, /"Nginx" in every language already exists \(a\)/);
        await a.insert(lexiconEntry('c', 'nginx', { language: 'en' }), LIMIT);
        await b.insert(lexiconEntry('d', 'NGINX', { caseSensitive: true }), LIMIT);
        await a.insert(lexiconEntry('e', 'Nginx', { caseSensitive: true }), LIMIT);
        assert.equal((await rejection(b.insert(lexiconEntry('f', 'Nginx', { caseSensitive: true }), LIMIT))).code, 'lexicon_conflict');
        assert.match((await rejection(a.insert(lexiconEntry('g', 'NGINX', { language: 'en' }), LIMIT))).message, /in language en already exists \(c\)/);
        // Replacing an entry with its own term is no conflict; taking another's is.
        await b.replace(lexiconEntry('a', 'nginx'));
        assert.equal((await rejection(a.replace(lexiconEntry('c', 'NGINX', { language: null })))).code, 'lexicon_conflict');
        assert.equal((await b.get('default', 'c'))?.language, 'en', 'a refused replace changes nothing');
        assert.deepEqual((await a.list('default')).map((e) => e.id), ['a', 'c', 'd', 'e']);
      }),
    );

    it(
      'stops at maxEntries per owner',
      withStores(async ({ a, b }) => {
        await a.insert(lexiconEntry('a', 'one'), { maxEntries: 2 });
        await b.insert(lexiconEntry('b', 'two'), { maxEntries: 2 });
        const err = await rejection(a.insert(lexiconEntry('c', 'three'), { maxEntries: 2 }));
        assert.equal(err.code, 'lexicon_full');
        assert.equal(err.status, 409);
        assert.match(err.message, /already holds 2 entries/);
        assert.equal((await b.list('default')).length, 2);
        await b.insert(lexiconEntry('d', 'three', { owner: 'key-2' }), { maxEntries: 2 });
        await b.delete('default', 'a');
        await a.insert(lexiconEntry('c', 'three'), { maxEntries: 2 });
      }),
    );

    it(
      'keeps owners apart',
      withStores(async ({ a, b }) => {
        await a.insert(lexiconEntry('a', 'same'), LIMIT);
        await b.insert(lexiconEntry('b', 'same', { owner: 'key-2' }), LIMIT);
        assert.deepEqual((await a.list('key-2')).map((e) => e.id), ['b']);
        assert.equal(await b.get('key-2', 'a'), null);
        assert.equal(await b.delete('key-2', 'a'), false);
        assert.equal(await a.replace(lexiconEntry('a', 'other', { owner: 'key-2' })), null);
        assert.equal((await b.get('default', 'a'))?.term, 'same');
      }),
    );

    it(
      'concurrent inserts from both handles: one of each duplicate wins, the rest conflict',
      withStores(async ({ a, b }) => {
        const terms = ['alpha', 'beta', 'gamma', 'delta'];
        const attempts = terms.flatMap((term) =>
          Array.from({ length: 4 }, (_, i) => (i % 2 ? b : a).insert(lexiconEntry(`${term}-${i}`, i % 2 ? term.toUpperCase() : term), LIMIT)),
        );
        const { ok, codes } = await outcomes(attempts);
        assert.equal(ok, terms.length, 'one entry per term');
        assert.deepEqual(codes, Array(terms.length * 3).fill('lexicon_conflict'));
        const stored = await a.list('default');
        assert.deepEqual(stored.map((e) => e.term.toLowerCase()).sort(), [...terms].sort());
      }),
    );

    it(
      'concurrent inserts from both handles never pass maxEntries',
      withStores(async ({ a, b }) => {
        const max = 5;
        const attempts = Array.from({ length: 16 }, (_, i) => (i % 2 ? b : a).insert(lexiconEntry(`e${i}`, `term ${i}`), { maxEntries: max }));
        // Another owner, writing at the same time, has a count of its own.
        attempts.push(...Array.from({ length: 3 }, (_, i) => b.insert(lexiconEntry(`o${i}`, `term ${i}`, { owner: 'key-2' }), { maxEntries: max })));
        const { ok, codes } = await outcomes(attempts);
        assert.equal(ok, max + 3);
        assert.deepEqual(codes, Array(16 - max).fill('lexicon_full'));
        assert.equal((await a.list('default')).length, max);
        assert.equal((await b.list('key-2')).length, 3);
      }),
    );

    it(
      'moves the revision with every change from either handle, per owner, and not on refusals',
      withStores(async ({ a, b }) => {
        const r0 = await a.revision('default');
        await a.insert(lexiconEntry('a', 'one'), LIMIT);
        const r1 = await b.revision('default');
        assert.notEqual(r1, r0, 'an insert moves it');
        await rejection(b.insert(lexiconEntry('b', 'ONE'), LIMIT));
        await rejection(b.insert(lexiconEntry('c', 'two'), { maxEntries: 1 }));
        assert.equal(await a.revision('default'), r1, 'a refused insert does not');
        assert.equal(await a.delete('default', 'missing'), false);
        assert.equal(await a.replace(lexiconEntry('missing', 'x')), null);
        assert.equal(await a.revision('default'), r1, 'nor does touching nothing');
        const k0 = await a.revision('key-2');
        await b.insert(lexiconEntry('k', 'one', { owner: 'key-2' }), LIMIT);
        assert.equal(await a.revision('default'), r1, "another owner's change does not");
        assert.notEqual(await a.revision('key-2'), k0);
        await b.replace(lexiconEntry('a', 'uno'));
        const r2 = await a.revision('default');
        assert.ok(r2 !== r1 && r2 !== r0, 'a replace moves it');
        await b.delete('default', 'a');
        const r3 = await a.revision('default');
        assert.ok(![r0, r1, r2].includes(r3), 'a delete moves it');
      }),
    );
  });
}
