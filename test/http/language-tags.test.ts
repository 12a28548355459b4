// Language tags as people write them, on every route that takes a language, against a real
// server: they reach the engine as its codes, the response says which language was used, and an
// unknown tag is refused naming the closest supported language.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

describe('language tags', () => {
  it('/v1/tts: zh-CN, cmn-Hans-CN → Mandarin, zh-HK, zh-yue → Cantonese, EN-us → English; X-Audio-Language says which', async () => {
    const cases: [string, string, string][] = [
      ['你好。', 'zh-CN', 'cmn'],
      ['你好。', 'cmn-Hans-CN', 'cmn'],
      ['你好。', 'zh-Hans', 'cmn'],
      ['你好。', 'zh-HK', 'yue'],
      ['你好。', 'zh-yue', 'yue'],
      ['Hello.', 'EN-us', 'en'],
      ['こんにちは。', 'ja-JP', 'ja'],
    ];
    for (const [text, language, code] of cases) {
      const res = await postJson(`${server.url}/v1/tts`, { text, language, format: 'pcm' });
      assert.equal(res.status, 200, `${language}: ${await res.clone().text()}`);
      assert.equal(res.headers.get('x-audio-language'), code, language);
      await res.arrayBuffer();
    }
  });

  it('preview-text, pronounce and the lexicon take tags too', async () => {
    const preview = await postJson(`${server.url}/v1/tts/preview-text`, { text: 'Hello.', language: 'en-GB' });
    assert.equal(preview.status, 200, await preview.clone().text());
    const pronounce = await fetch(`${server.url}/v1/pronounce?text=minute&language=en-US`);
    assert.equal(pronounce.status, 200, await pronounce.clone().text());
    const entry = await postJson(`${server.url}/v1/lexicon`, { term: 'minute', pronunciation: '[M][AY0][N][UW1][T]', language: 'en-US' });
    assert.equal(entry.status, 201, await entry.clone().text());
    assert.equal(((await entry.json()) as { language: string }).language, 'en');
    const listed = await fetch(`${server.url}/v1/lexicon?language=EN`);
    assert.equal(listed.status, 200);
    assert.equal(((await listed.json()) as { data: unknown[] }).data.length, 1);
  });

  it('an unknown tag is refused, naming the closest supported language', async () => {
    for (const [language, closest] of [['englsh', 'en'], ['jp', 'ja']] as const) {
      const res = await postJson(`${server.url}/v1/tts`, { text: 'Hello.', language });
      assert.equal(res.status, 400);
      const body = (await res.json()) as { error: { code: string; message: string; param: string } };
      assert.deepEqual([body.error.code, body.error.param], ['invalid_value', 'language']);
      assert.match(body.error.message, new RegExp(`the closest is "${closest}"`));
      assert.match(body.error.message, /zh-CN, zh-HK or en-US work too/);
    }
    const res = await fetch(`${server.url}/v1/pronounce?text=minute&language=pt-BR`);
    assert.equal(res.status, 400);
  });
});

describe('language tags on voice uploads (multipart)', () => {
  it('a recording uploaded with language zh-HK is Cantonese; an unknown tag names the closest', async () => {
    const wav = Buffer.from(await (await postJson(`${server.url}/v1/tts`, { text: 'Hello there, my friend. This recording is long enough to become a voice prompt for cloning.', language: 'en', format: 'wav' })).arrayBuffer());
    const upload = async (language: string) => {
      const form = new FormData();
      for (const [k, v] of Object.entries({ name: 'Tagged', transcript: 'Hello there, my friend. This recording is long enough to become a voice prompt for cloning.', language, consent: 'true' })) form.append(k, v);
      form.append('audio', new Blob([wav], { type: 'audio/wav' }), 'voice.wav');
      return fetch(`${server.url}/v1/voices`, { method: 'POST', body: form });
    };
    const created = await upload('zh-HK');
    assert.equal(created.status, 201, await created.clone().text());
    assert.equal(((await created.json()) as { language: string }).language, 'yue');
    const refused = await upload('englsh');
    assert.equal(refused.status, 400);
    assert.match(((await refused.json()) as { error: { message: string } }).error.message, /the closest is "en"/);
  });
});
