// The result cache over real HTTP: a repeated seeded request is answered from the object store
// without an engine call (counted on the real engine, wrapped), byte for byte what the first
// answer was; anything that changes the audio (text, seed, format, speed, streaming, a lexicon
// entry) is a new entry; tenants never share entries; unseeded requests are not cached
// unless RESULT_CACHE=always; the OpenAI route (response_format and SSE) too; hit rate in metrics.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { EspeakEngine } from '../../src/engines/espeak/engine.js';
import { ObservedEngine } from '../helpers/observed-engine.js';
import { postJson, startTestServer, type TestServer } from '../helpers/server.js';
import { ffprobeJson, tempDir } from '../../src/audio/test-helpers.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FsBlobStore } from '../../src/storage/fs-blob-store.js';
import { ResultCache } from '../../src/outputs/result-cache.js';

const ACME = 'cache-acme-key-0123456789abcdef';
const GLOBEX = 'cache-globex-key-0123456789abcdef';
const ADMIN = 'cache-admin-key-0123456789abcdef';
const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function start(overrides: Record<string, unknown> = {}): Promise<{ server: TestServer; engine: ObservedEngine }> {
  const engine = new ObservedEngine(new EspeakEngine({ workers: 1 }));
  const server = await startTestServer({ auth: 'keys', adminKey: ADMIN, apiKeys: `acme:${ACME},globex:${GLOBEX}`, ...overrides }, { engine });
  servers.push(server);
  return { server, engine };
}

const headers = (key: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${key}` });

async function tts(server: TestServer, key: string, body: Record<string, unknown>): Promise<{ cache: string | null; bytes: Buffer; type: string | null }> {
  const res = await postJson(`${server.url}/v1/tts`, body, { headers: headers(key) });
  assert.equal(res.status, 200, await res.clone().text());
  return { cache: res.headers.get('x-cache'), bytes: Buffer.from(await res.arrayBuffer()), type: res.headers.get('content-type') };
}

describe('result cache (RESULT_CACHE=seeded)', () => {
  it('a repeated seeded request is a hit: the same bytes, no engine call; what changes the audio misses', async () => {
    const { server, engine } = await start();
    const base = { text: 'Press one for sales. Press two for support.', seed: 42, format: 'mp3' };
    const first = await tts(server, ACME, base);
    assert.equal(first.cache, 'miss');
    const calls = engine.segmentsStarted;
    assert.ok(calls > 0);
    const again = await tts(server, ACME, base);
    assert.equal(again.cache, 'hit');
    assert.equal(engine.segmentsStarted, calls, 'no engine call for a hit');
    assert.ok(again.bytes.equals(first.bytes), 'byte for byte the first answer');
    assert.equal(again.type, first.type);
    const dir = await tempDir('cosyfleet-cache-');
    try {
      await writeFile(join(dir.path, 'hit.mp3'), again.bytes);
      assert.equal((await ffprobeJson(join(dir.path, 'hit.mp3'))).streams[0]?.codec_name, 'mp3');
    } finally {
      await dir.remove();
    }
    // Streamed: its own entry (a streamed answer is another byte stream), then a hit.
    assert.equal((await tts(server, ACME, { ...base, stream: true })).cache, 'miss');
    const streamedHit = await tts(server, ACME, { ...base, stream: true });
    assert.equal(streamedHit.cache, 'hit');
    // Each of these shapes the audio: a miss.
    for (const change of [{ text: 'Press one for billing.' }, { seed: 43 }, { format: 'wav' }, { speed: 1.25 }]) {
      const before = engine.segmentsStarted;
      assert.equal((await tts(server, ACME, { ...base, ...change })).cache, 'miss', JSON.stringify(change));
      assert.ok(engine.segmentsStarted > before);
    }
    // Another tenant never gets acme's entry.
    assert.equal((await tts(server, GLOBEX, base)).cache, 'miss');
    // A lexicon entry that rewrites the text changes the key.
    const entry = await postJson(`${server.url}/v1/lexicon`, { term: 'sales', pronunciation: '[S][EY1][L][Z]', language: 'en' }, { headers: headers(ACME) });
    assert.equal(entry.status, 201);
    assert.equal((await tts(server, ACME, base)).cache, 'miss');
    // Without a seed, nothing is cached.
    const plain = await tts(server, ACME, { text: 'Hello.' });
    assert.equal(plain.cache, null);
    assert.equal((await tts(server, ACME, { text: 'Hello.' })).cache, null);
    const metrics = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
    assert.match(metrics, /cosyfleet_result_cache_total\{event="hit"\} 2/);
    assert.match(metrics, /cosyfleet_result_cache_total\{event="miss"\} 8/);
    assert.match(metrics, /cosyfleet_result_cache_total\{event="stored"\} 8/);
  });

  it('the OpenAI route with RESULT_CACHE=always: a repeat is a hit, raw and as SSE', async () => {
    const { server, engine } = await start({ resultCache: 'always' });
    const client = new OpenAI({ apiKey: ACME, baseURL: `${server.url}/v1`, maxRetries: 0 });
    const ask = () => client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'Your call is important to us.', response_format: 'flac' }).asResponse();
    const first = await ask();
    assert.equal(first.headers.get('x-cache'), 'miss');
    const a = Buffer.from(await first.arrayBuffer());
    const calls = engine.segmentsStarted;
    const second = await ask();
    assert.equal(second.headers.get('x-cache'), 'hit');
    assert.ok(Buffer.from(await second.arrayBuffer()).equals(a));
    assert.equal(engine.segmentsStarted, calls);
    const sse = async () => {
      const res = await postJson(`${server.url}/v1/audio/speech`, { model: 'tts-1', voice: 'alloy', input: 'Your call is important to us.', response_format: 'flac', stream_format: 'sse' }, { headers: headers(ACME) });
      assert.equal(res.status, 200);
      return { cache: res.headers.get('x-cache'), text: await res.text() };
    };
    const s1 = await sse();
    assert.equal(s1.cache, 'hit', 'the SSE request shares the raw one\'s audio entry');
    assert.match(s1.text, /"type":"speech.audio.done"/);
    assert.equal(engine.segmentsStarted, calls);
  });

  it('entries older than RESULT_CACHE_DAYS are swept', async () => {
    const dir = await tempDir('cosyfleet-cache-sweep-');
    try {
      const blobs = new FsBlobStore(dir.path);
      const cache = new ResultCache({ blobs, mode: 'always', maxAgeDays: 7 });
      const key = 'cache/acme/' + 'a'.repeat(64);
      for await (const part of cache.fill((async function* () { yield Buffer.from('audio'); })(), key, () => ({ contentType: 'audio/wav', sampleRate: 22050, audioSeconds: 1 }))) assert.equal(part.toString(), 'audio');
      assert.equal((await cache.get(key))?.bytes.toString(), 'audio');
      assert.equal(await cache.sweep(Date.now() + 6 * 86_400_000), 0);
      assert.equal(await cache.sweep(Date.now() + 8 * 86_400_000), 1);
      assert.equal(await cache.get(key), null);
    } finally {
      await dir.remove();
    }
  });

  it('RESULT_CACHE=off: never', async () => {
    const { server } = await start({ resultCache: 'off' });
    const body = { text: 'Hello again.', seed: 7 };
    assert.equal((await tts(server, ACME, body)).cache, null);
    assert.equal((await tts(server, ACME, body)).cache, null);
  });
});
