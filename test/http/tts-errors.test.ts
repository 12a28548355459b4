// Bad input on a real server: every case is a 4xx JSON error from the catalog, names the field
// where there is one, carries no stack trace, and the server keeps serving afterwards.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';

interface ErrorBody {
  error: { code: string; message: string; param: string | null };
}

const MAX_TEXT = 300;
const MAX_BODY = 4096;

async function expectError(res: Response, status: number, code: string, param?: string | null): Promise<ErrorBody['error']> {
  const raw = await res.text();
  assert.equal(res.status, status, raw);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  assert.doesNotMatch(raw, /\bat .+:\d+:\d+|node_modules|\.ts:\d+/, 'no stack trace or source path leaks to the client');
  const body = JSON.parse(raw) as ErrorBody;
  assert.deepEqual(Object.keys(body), ['error']);
  assert.equal(body.error.code, code, raw);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0);
  if (param !== undefined) assert.equal(body.error.param, param, raw);
  return body.error;
}

describe('POST /v1/tts rejects bad input', () => {
  let server: TestServer;
  let tts: string;
  before(async () => {
    server = await startTestServer({ maxTextChars: MAX_TEXT, maxBodyBytes: MAX_BODY });
    tts = `${server.url}/v1/tts`;
  });
  after(() => server.close());

  it('empty and whitespace-only text', async () => {
    await expectError(await postJson(tts, { text: '' }), 400, 'empty_text', 'text');
    await expectError(await postJson(tts, { text: ' \n\t ' }), 400, 'empty_text', 'text');
  });

  it('text over the per-request limit, counted in characters not bytes', async () => {
    const err = await expectError(await postJson(tts, { text: 'a'.repeat(MAX_TEXT + 1) }), 400, 'text_too_long', 'text');
    assert.match(err.message, new RegExp(String(MAX_TEXT)));
    // 300 CJK characters are 900 UTF-8 bytes but within the limit (and within the body limit).
    const ok = await postJson(tts, { text: '好'.repeat(MAX_TEXT), format: 'pcm' });
    assert.equal(ok.status, 200, await ok.clone().text().catch(() => ''));
    await ok.arrayBuffer();
  });

  it('unknown mode, format and field, and a missing text', async () => {
    await expectError(await postJson(tts, { text: 'hi', mode: 'karaoke' }), 400, 'invalid_value', 'mode');
    await expectError(await postJson(tts, { text: 'hi', format: 'aac' }), 400, 'invalid_value', 'format');
    const unknown = await expectError(await postJson(tts, { text: 'hi', volume: 3 }), 400, 'unknown_field', 'volume');
    assert.match(unknown.message, /volume/);
    await expectError(await postJson(tts, { voice: 'mei' }), 400, 'missing_field', 'text');
  });

  it('a mode the engine cannot serve names the engine that can', async () => {
    for (const mode of ['clone', 'cross_lingual', 'instruct']) {
      const err = await expectError(await postJson(tts, { text: 'hi', mode }), 422, 'unsupported_mode', 'mode');
      assert.match(err.message, /CosyVoice3/);
    }
  });

  it('an invalid phoneme token names the token and its position', async () => {
    const text = 'Say [M][AY0][N][UW7][T] now';
    const err = await expectError(await postJson(tts, { text }), 400, 'invalid_token', 'text');
    assert.match(err.message, /\[UW7\]/);
    assert.match(err.message, new RegExp(`position ${text.indexOf('[UW7]')}\\b`));
    assert.match(err.message, /Did you mean \[UW[012]\]/);
    const pinyin = await expectError(await postJson(tts, { text: '我[x][iaǒ]你' }), 400, 'invalid_token', 'text');
    assert.match(pinyin.message, /\[iaǒ\] at position 4\b/);
    assert.match(pinyin.message, /Did you mean \[iǎo\]/);
  });

  it('wrong types name the field', async () => {
    await expectError(await postJson(tts, { text: 42 }), 400, 'invalid_type', 'text');
    await expectError(await postJson(tts, { text: 'hi', speed: 'fast' }), 400, 'invalid_type', 'speed');
    await expectError(await postJson(tts, { text: 'hi', stream: 'yes' }), 400, 'invalid_type', 'stream');
    await expectError(await postJson(tts, { text: 'hi', seed: 1.5 }), 400, 'invalid_type', 'seed');
    await expectError(await postJson(tts, ['hi']), 400, 'invalid_type');
    await expectError(await postJson(tts, 'null'), 400, 'invalid_type');
  });

  it('out-of-range values', async () => {
    await expectError(await postJson(tts, { text: 'hi', speed: 3 }), 400, 'invalid_value', 'speed');
    await expectError(await postJson(tts, { text: 'hi', sample_rate: 12345 }), 400, 'invalid_value', 'sample_rate');
    await expectError(await postJson(tts, { text: 'hi', language: 'klingon' }), 400, 'invalid_value', 'language');
    await expectError(await postJson(tts, { text: 'hi', voice: 'nobody' }), 400, 'unknown_voice', 'voice');
  });

  it('malformed JSON, a wrong content type and an oversized body', async () => {
    await expectError(await postJson(tts, '{"text": "hi",'), 400, 'invalid_json');
    await expectError(await postJson(tts, ''), 400, 'invalid_json');
    const plain = await fetch(tts, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    await expectError(plain, 415, 'unsupported_media_type');
    const big = await postJson(tts, { text: 'a'.repeat(MAX_BODY * 2) });
    await expectError(big, 413, 'body_too_large');
  });

  it('unknown routes are JSON 404s', async () => {
    await expectError(await fetch(`${server.url}/v1/nope`), 404, 'not_found');
    await expectError(await fetch(tts), 404, 'not_found');
  });

  it('keeps serving after all of the above', async () => {
    const res = await postJson(tts, { text: 'Still serving.', format: 'wav' });
    assert.equal(res.status, 200);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(bytes.subarray(0, 4).toString('latin1'), 'RIFF');
    assert.equal(Number(res.headers.get('content-length')), bytes.length);
  });
});

describe('requests the HTTP parser rejects', () => {
  it('answer in the catalog shape, not the framework default', async () => {
    const server = await startTestServer();
    try {
      const { port } = new URL(server.url);
      const { connect } = await import('node:net');
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => {
          // Unencoded UTF-8 in the request target is not valid HTTP.
          socket.write(Buffer.concat([Buffer.from('GET /v1/pronounce?text='), Buffer.from('行', 'utf8'), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')]));
        });
        let data = '';
        socket.on('data', (d) => (data += d.toString('utf8')));
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
      });
      assert.match(raw, /^HTTP\/1\.1 400/);
      const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as ErrorBody;
      assert.equal(body.error.code, 'invalid_request');
      // The server keeps serving.
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    } finally {
      await server.close();
    }
  });
});
