// End to end: the pronunciation lexicon through the real server on loopback, with its real
// SQLite file in a temporary DATA_DIR and the real espeak engine speaking the result.
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';

interface Entry {
  id: string;
  term: string;
  pronunciation: string;
  language: string | null;
  caseSensitive: boolean;
  wholeWord: boolean;
  createdAt: string;
  updatedAt: string;
}

interface Preview {
  text: string;
  segments: string[];
  language: string;
  languageDetected: boolean;
  lexiconApplied: Array<{ id: string; term: string; pronunciation: string; position: number; matched: string }>;
  warnings: Array<{ code: string }>;
}

const QWZX = '[K][W][IH1][Z]';

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return JSON.parse(text) as T;
}

async function errorOf(res: Response, status: number): Promise<{ code: string; message: string; param: string | null }> {
  return (await json<{ error: { code: string; message: string; param: string | null } }>(res, status)).error;
}

describe('lexicon API', () => {
  let server: TestServer;
  let dataDir: string;
  const create = async (body: object): Promise<Entry> => json<Entry>(await postJson(`${server.url}/v1/lexicon`, body), 201);
  const preview = async (body: object): Promise<Preview> => json<Preview>(await postJson(`${server.url}/v1/tts/preview-text`, body), 200);
  const put = (id: string, body: object) =>
    fetch(`${server.url}/v1/lexicon/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const del = (id: string) => fetch(`${server.url}/v1/lexicon/${id}`, { method: 'DELETE' });

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cosyfleet-lexicon-e2e-'));
    server = await startTestServer({ dataDir });
  });
  after(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    const { data } = await json<{ data: Entry[] }>(await fetch(`${server.url}/v1/lexicon`), 200);
    for (const e of data) assert.equal((await del(e.id)).status, 204);
  });

  it('creates, lists, reads, replaces and deletes entries', async () => {
    const created = await create({ term: ' Qwzx ', pronunciation: QWZX });
    assert.match(created.id, /^lex_[0-9a-f]{32}$/);
    assert.deepEqual(
      { ...created, id: 'x', createdAt: 'c', updatedAt: 'u' },
      { id: 'x', term: 'Qwzx', pronunciation: QWZX, language: null, caseSensitive: false, wholeWord: true, createdAt: 'c', updatedAt: 'u' },
    );
    assert.ok(!('owner' in created), 'the owner is internal');
    assert.equal(created.createdAt, created.updatedAt);
    assert.ok(Date.parse(created.createdAt) > 0);
    const cmn = await create({ term: '予', pronunciation: '[y][ǔ]', language: 'cmn' });

    assert.deepEqual(await json(await fetch(`${server.url}/v1/lexicon/${created.id}`), 200), created);
    const all = await json<{ data: Entry[] }>(await fetch(`${server.url}/v1/lexicon`), 200);
    assert.deepEqual(all.data.map((e) => e.id), [created.id, cmn.id]);
    const onlyCmn = await json<{ data: Entry[] }>(await fetch(`${server.url}/v1/lexicon?language=cmn`), 200);
    assert.deepEqual(onlyCmn.data.map((e) => e.id), [cmn.id]);

    const replaced = await json<Entry>(await put(created.id, { term: 'Qwzx', pronunciation: '[K][W][IH1][K][S]', caseSensitive: true, language: 'en' }), 200);
    assert.equal(replaced.id, created.id);
    assert.equal(replaced.pronunciation, '[K][W][IH1][K][S]');
    assert.equal(replaced.caseSensitive, true);
    assert.equal(replaced.wholeWord, true, 'PUT replaces: omitted fields take their defaults');
    assert.equal(replaced.language, 'en');
    assert.equal(replaced.createdAt, created.createdAt);
    assert.ok(replaced.updatedAt >= created.updatedAt);
    assert.deepEqual(await json(await fetch(`${server.url}/v1/lexicon/${created.id}`), 200), replaced);

    const gone = await del(created.id);
    assert.equal(gone.status, 204);
    assert.equal(await gone.text(), '');
    const missing = await errorOf(await fetch(`${server.url}/v1/lexicon/${created.id}`), 404);
    assert.equal(missing.code, 'lexicon_not_found');
    assert.match(missing.message, new RegExp(created.id));
    assert.equal((await errorOf(await del(created.id), 404)).code, 'lexicon_not_found');
    assert.equal((await errorOf(await put(created.id, { term: 'x', pronunciation: QWZX }), 404)).code, 'lexicon_not_found');
  });

  it('refuses invalid entries with the code, the field and what is wrong', async () => {
    const post = (body: object) => postJson(`${server.url}/v1/lexicon`, body);
    const bad = await errorOf(await post({ term: 'Qwzx', pronunciation: '[K][W][IH7][Z]' }), 400);
    assert.equal(bad.code, 'invalid_token');
    assert.equal(bad.param, 'pronunciation');
    assert.match(bad.message, /\[IH7\] at position 6/);
    assert.match(bad.message, /Did you mean \[IH\d\]\?/);

    const mixed = await errorOf(await post({ term: 'Qwzx', pronunciation: '[K][W] [j][ǐ]' }), 400);
    assert.equal(mixed.code, 'invalid_pronunciation');
    assert.match(mixed.message, /mixes CMU phoneme and pinyin tokens/);

    const prose = await errorOf(await post({ term: 'Qwzx', pronunciation: 'kwiz' }), 400);
    assert.equal(prose.code, 'invalid_pronunciation');
    assert.equal((await errorOf(await post({ term: 'Qwzx', pronunciation: '[K][breath]' }), 400)).code, 'invalid_pronunciation');

    const longTerm = await errorOf(await post({ term: 'x'.repeat(101), pronunciation: QWZX }), 400);
    assert.deepEqual([longTerm.code, longTerm.param], ['invalid_value', 'term']);
    const longPron = await errorOf(await post({ term: 'x', pronunciation: '[K]'.repeat(101) }), 400);
    assert.deepEqual([longPron.code, longPron.param], ['invalid_value', 'pronunciation']);
    assert.equal((await errorOf(await post({ term: 'say [K]', pronunciation: QWZX }), 400)).param, 'term');
    assert.equal((await errorOf(await post({ term: 'Qwzx' }), 400)).code, 'missing_field');
    assert.equal((await errorOf(await post({ term: 'Qwzx', pronunciation: QWZX, owner: 'me' }), 400)).code, 'unknown_field');
    assert.equal((await errorOf(await post({ term: 'Qwzx', pronunciation: QWZX, language: 'xx' }), 400)).code, 'invalid_value');
    assert.equal((await errorOf(await post({ term: 'Qwzx', pronunciation: QWZX, caseSensitive: 'yes' }), 400)).code, 'invalid_type');
    assert.equal((await errorOf(await fetch(`${server.url}/v1/lexicon?language=xx`), 400)).code, 'invalid_value');
    // Nothing was stored by any of them.
    assert.deepEqual((await json<{ data: Entry[] }>(await fetch(`${server.url}/v1/lexicon`), 200)).data, []);
  });

  it('answers 409 lexicon_conflict for a duplicate term in the same language', async () => {
    const first = await create({ term: 'Qwzx', pronunciation: QWZX });
    const dup = await errorOf(await postJson(`${server.url}/v1/lexicon`, { term: 'QWZX', pronunciation: '[K][W][IH1][K][S]' }), 409);
    assert.equal(dup.code, 'lexicon_conflict');
    assert.match(dup.message, new RegExp(first.id));
    const english = await create({ term: 'qwzx', pronunciation: QWZX, language: 'en' });
    assert.equal((await errorOf(await put(english.id, { term: 'Qwzx', pronunciation: QWZX }), 409)).code, 'lexicon_conflict');
  });

  it('the lexicon changes the text the engine receives (preview-text)', async () => {
    const entry = await create({ term: 'Qwzx', pronunciation: QWZX });
    const p = await preview({ text: 'Meet Qwzx today. Qwzx again!', format: 'opus' });
    assert.equal(p.text, `Meet ${QWZX} today. ${QWZX} again!`);
    assert.deepEqual(p.segments, [`Meet ${QWZX} today. ${QWZX} again!`]);
    assert.equal(p.language, 'en');
    assert.equal(p.languageDetected, true);
    assert.deepEqual(p.lexiconApplied, [
      { id: entry.id, term: 'Qwzx', pronunciation: QWZX, position: 5, matched: 'Qwzx' },
      { id: entry.id, term: 'Qwzx', pronunciation: QWZX, position: 17, matched: 'Qwzx' },
    ]);
    assert.deepEqual(p.warnings, []);

    const off = await preview({ text: 'Meet Qwzx today.', lexicon: false });
    assert.equal(off.text, 'Meet Qwzx today.');
    assert.deepEqual(off.lexiconApplied, []);
  });

  it('the lexicon changes the audio: espeak speaks the entry\'s phonemes', async () => {
    await create({ term: 'Qwzx', pronunciation: QWZX });
    const pcm = async (body: object): Promise<Buffer> => {
      const res = await postJson(`${server.url}/v1/tts`, { format: 'pcm', ...body });
      assert.equal(res.status, 200, await res.clone().text());
      return Buffer.from(await res.arrayBuffer());
    };
    const withLexicon = await pcm({ text: 'Meet Qwzx today.' });
    const without = await pcm({ text: 'Meet Qwzx today.', lexicon: false });
    const written = await pcm({ text: `Meet ${QWZX} today.`, lexicon: false });
    // espeak spells the unknown word out; the entry makes it one short word, exactly as if the
    // client had written the tokens.
    assert.notEqual(withLexicon.length, without.length);
    assert.ok(without.length > withLexicon.length, `${without.length} vs ${withLexicon.length}`);
    assert.equal(withLexicon.length, written.length);
  });

  it('overlapping entries resolve to the longest match', async () => {
    await create({ term: 'New York', pronunciation: '[N][UW1] [Y][AO1][R][K]' });
    await create({ term: 'York City', pronunciation: '[Y][AO1][R][K] [S][IH1][T][IY0]' });
    await create({ term: 'New', pronunciation: '[N][UW1]' });
    const p = await preview({ text: 'New York City is new. New York is big.' });
    // "York City" (9) beats "New York" (8); the "New" it leaves free still gets its own entry.
    assert.equal(p.text, '[N][UW1] [Y][AO1][R][K] [S][IH1][T][IY0] is [N][UW1]. [N][UW1] [Y][AO1][R][K] is big.');
    assert.deepEqual(p.lexiconApplied.map((a) => [a.term, a.position]), [
      ['New', 0],
      ['York City', 4],
      ['New', 17],
      ['New York', 22],
    ]);
  });

  it('leaves the request\'s own annotations intact', async () => {
    await create({ term: 'AY', pronunciation: '[EY1]', wholeWord: false, caseSensitive: true });
    await create({ term: 'strong', pronunciation: '[S][T][R][AO1][NG]' });
    await create({ term: 'breath', pronunciation: '[B][R][EH1][TH]' });
    const text = 'A [M][AY0][N][UW1][T] <strong>strong</strong> [breath] breath AY.';
    const p = await preview({ text });
    assert.equal(p.text, 'A [M][AY0][N][UW1][T] <strong>[S][T][R][AO1][NG]</strong> [breath] [B][R][EH1][TH] [EY1].');
    assert.deepEqual(p.lexiconApplied.map((a) => a.position), [text.indexOf('strong</'), text.indexOf(' breath ') + 1, text.indexOf('AY.')]);
  });

  it('case sensitivity and whole words', async () => {
    await create({ term: 'GIF', pronunciation: '[JH][IH1][F]', caseSensitive: true });
    await create({ term: 'cat', pronunciation: '[K][AE1][T]' });
    await create({ term: 'dog', pronunciation: '[D][AO1][G]', wholeWord: false });
    const p = await preview({ text: 'GIF gif Gif; cat Cat catalog scat; dog dogma hotdogs' });
    assert.equal(p.text, '[JH][IH1][F] gif Gif; [K][AE1][T] [K][AE1][T] catalog scat; [D][AO1][G] [D][AO1][G]ma hot[D][AO1][G]s');
  });

  it('Chinese terms match inside running text', async () => {
    await create({ term: '予', pronunciation: '[y][ǔ]' });
    const p = await preview({ text: '我给予你，予以支持。' });
    assert.equal(p.text, '我给[y][ǔ]你，[y][ǔ]以支持。');
    assert.equal(p.language, 'cmn');
  });

  it('an entry with a language applies only to requests in that language', async () => {
    await create({ term: '予', pronunciation: '[y][ǔ]', language: 'cmn' });
    await create({ term: 'Qwzx', pronunciation: QWZX, language: 'en' });
    assert.equal((await preview({ text: '给予' })).text, '给[y][ǔ]', 'detected as cmn');
    assert.equal((await preview({ text: '给予', language: 'yue' })).text, '给予');
    assert.equal((await preview({ text: 'Qwzx', language: 'en' })).text, QWZX);
    assert.equal((await preview({ text: 'Qwzx', language: 'de' })).text, 'Qwzx');
  });

  it('preview-text validates exactly like /v1/tts', async () => {
    const unknown = await errorOf(await postJson(`${server.url}/v1/tts/preview-text`, { text: 'hi', bogus: 1 }), 400);
    assert.deepEqual([unknown.code, unknown.param], ['unknown_field', 'bogus']);
    const token = await errorOf(await postJson(`${server.url}/v1/tts/preview-text`, { text: 'say [M][AY7]' }), 400);
    assert.equal(token.code, 'invalid_token');
    assert.match(token.message, /\[AY7\] at position 7/);
    assert.equal((await errorOf(await postJson(`${server.url}/v1/tts/preview-text`, { text: '  ' }), 400)).code, 'empty_text');
    assert.equal((await errorOf(await postJson(`${server.url}/v1/tts/preview-text`, { text: 'hi', mode: 'clone' }), 422)).code, 'unsupported_mode');
    const warned = await preview({ text: 'hi [breath] there', seed: 3 });
    assert.deepEqual(warned.warnings.map((w) => w.code).sort(), ['paralinguistic_ignored', 'seed_ignored']);
  });

  it('keeps entries across a restart on the same DATA_DIR', async () => {
    const entry = await create({ term: 'Qwzx', pronunciation: QWZX });
    await server.close();
    server = await startTestServer({ dataDir });
    assert.deepEqual(await json(await fetch(`${server.url}/v1/lexicon/${entry.id}`), 200), entry);
    assert.equal((await preview({ text: 'Qwzx' })).text, QWZX);
  });
});

describe('lexicon size limit', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ lexiconMaxEntries: 2 });
  });
  after(async () => {
    await server.close();
  });

  it('answers 409 lexicon_full past LEXICON_MAX_ENTRIES, and accepts again after a delete', async () => {
    const post = (term: string) => postJson(`${server.url}/v1/lexicon`, { term, pronunciation: QWZX });
    const first = await json<Entry>(await post('one'), 201);
    await json<Entry>(await post('two'), 201);
    const full = await errorOf(await post('three'), 409);
    assert.equal(full.code, 'lexicon_full');
    assert.match(full.message, /LEXICON_MAX_ENTRIES/);
    assert.equal((await fetch(`${server.url}/v1/lexicon/${first.id}`, { method: 'DELETE' })).status, 204);
    await json<Entry>(await post('three'), 201);
  });
});
