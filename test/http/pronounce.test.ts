// End to end: GET /v1/pronounce on the real server, and its suggestions used as they are meant
// to be (a lexicon entry, inline request text).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';

interface Item {
  text: string;
  position: number;
  found: boolean;
  readings: Array<{ tokens: string; source: string; raw: string }>;
  unrepresentable?: string[];
}
interface Answer {
  language: string;
  languageDetected: boolean;
  items: Item[];
}

describe('GET /v1/pronounce', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  const get = (query: Record<string, string>) => fetch(`${server.url}/v1/pronounce?${new URLSearchParams(query)}`);
  async function lookup(query: Record<string, string>): Promise<Answer> {
    const res = await get(query);
    const body = await res.text();
    assert.equal(res.status, 200, body);
    return JSON.parse(body) as Answer;
  }
  const tokensOf = (answer: Answer, text: string): string[] => {
    const item = answer.items.find((i) => i.text === text);
    assert.ok(item, `no item for ${text}`);
    return item.readings.map((r) => r.tokens);
  };

  it('English words: every CMU dictionary pronunciation, as CosyVoice3 tokens', async () => {
    const a = await lookup({ text: 'minute tomato read' });
    assert.equal(a.language, 'en');
    assert.equal(a.languageDetected, true);
    assert.deepEqual(a.items.map((i) => [i.text, i.position, i.found]), [
      ['minute', 0, true],
      ['tomato', 7, true],
      ['read', 14, true],
    ]);
    const minute = tokensOf(a, 'minute');
    assert.ok(minute.includes('[M][IH1][N][AH0][T]'), minute.join(' '));
    assert.ok(minute.includes('[M][AY0][N][UW1][T]'), minute.join(' '));
    assert.deepEqual(tokensOf(a, 'tomato'), ['[T][AH0][M][EY1][T][OW2]', '[T][AH0][M][AA1][T][OW2]']);
    assert.deepEqual(tokensOf(a, 'read'), ['[R][EH1][D]', '[R][IY1][D]']);
    assert.ok(a.items.every((i) => i.readings.every((r) => r.source === 'cmudict')));
    assert.equal(a.items[0]?.readings[0]?.raw, 'M IH1 N AH0 T');
  });

  it('Chinese characters: every pinyin reading of a polyphone, as initial + toned final tokens', async () => {
    const a = await lookup({ text: '行重予绿' });
    assert.equal(a.language, 'cmn');
    const xing = tokensOf(a, '行');
    assert.ok(xing.includes('[x][íng]') && xing.includes('[h][áng]'), xing.join(' '));
    assert.deepEqual(tokensOf(a, '重'), ['[zh][òng]', '[ch][óng]']);
    assert.equal(tokensOf(a, '予')[0], '[y][ǔ]');
    assert.equal(tokensOf(a, '绿')[0], '[l][ǜ]');
    assert.ok(a.items.every((i) => i.readings.every((r) => r.source === 'pinyin-pro')));
    // In context the reading pinyin-pro picks comes first: 银行 is yín háng.
    const bank = await lookup({ text: '银行' });
    assert.equal(tokensOf(bank, '行')[0], '[h][áng]');
  });

  it('says which words it does not know, and which readings the tokens cannot spell', async () => {
    const a = await lookup({ text: 'qwzxv minute 嗯', language: 'cmn' });
    assert.equal(a.languageDetected, false);
    assert.deepEqual(a.items.find((i) => i.text === 'qwzxv'), { text: 'qwzxv', position: 0, found: false, readings: [] });
    const en = a.items.find((i) => i.text === '嗯');
    assert.equal(en?.found, true);
    assert.ok((en?.unrepresentable ?? []).length > 0);
  });

  it('skips annotation tokens already in the text', async () => {
    const a = await lookup({ text: 'a [M][AY0][N][UW1][T] ago [j][ǐ]' });
    assert.deepEqual(a.items.map((i) => i.text), ['a', 'ago']);
  });

  it('suggestions are valid lexicon pronunciations and valid request text', async () => {
    const a = await lookup({ text: 'minute 行' });
    let n = 0;
    for (const item of a.items) {
      for (const r of item.readings) {
        n++;
        const created = await postJson(`${server.url}/v1/lexicon`, { term: `${item.text}${n}`, pronunciation: r.tokens });
        assert.equal(created.status, 201, await created.text());
        const preview = await postJson(`${server.url}/v1/tts/preview-text`, { text: `x ${r.tokens} y`, lexicon: false });
        assert.equal(preview.status, 200, await preview.text());
      }
    }
    assert.ok(n >= 5, String(n));
  });

  it('refuses empty, too long, unknown-parameter and unsupported-language queries with 4xx', async () => {
    const err = async (query: Record<string, string>, status: number) => {
      const res = await get(query);
      const body = (await res.json()) as { error: { code: string; message: string; param: string | null } };
      assert.equal(res.status, status, JSON.stringify(body));
      return body.error;
    };
    assert.equal((await err({}, 400)).code, 'missing_field');
    assert.equal((await err({ text: '   ' }, 400)).code, 'empty_text');
    const long = await err({ text: 'a'.repeat(201) }, 400);
    assert.equal(long.code, 'text_too_long');
    assert.match(long.message, /201 characters; \/v1\/pronounce looks up at most 200/);
    await lookup({ text: '字'.repeat(200) });
    assert.equal((await err({ text: 'hi', bogus: '1' }, 400)).code, 'unknown_field');
    assert.equal((await err({ text: 'hi', language: 'xx' }, 400)).code, 'invalid_value');
    const ja = await err({ text: 'こんにちは' }, 422);
    assert.equal(ja.code, 'unsupported_language');
    assert.match(ja.message, /reads as "ja".*language=en or language=cmn/);
    assert.equal((await err({ text: '行', language: 'yue' }, 422)).code, 'unsupported_language');
  });
});
