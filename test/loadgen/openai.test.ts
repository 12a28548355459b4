// bench on the OpenAI-compatible route: the request it sends has the shape the official `openai`
// client sends (both recorded by one loopback server), and it measures a real cosyfleet
// server's POST /v1/audio/speech.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { answerPcm, stubServer, type Received } from './stub-server.js';
import { startTestServer } from '../helpers/server.js';
import { exchange, runClosedLoop, fixedTexts, sampleText } from '../../src/loadgen/index.js';

const TEXT = 'Hello from the load generator.';

function shape(r: Received) {
  const body = JSON.parse(r.body) as Record<string, unknown>;
  return {
    method: r.method,
    path: r.path,
    contentType: r.headers['content-type'],
    accept: r.headers.accept,
    authorization: r.headers.authorization,
    bodyKeys: Object.keys(body).sort(),
    body,
  };
}

describe('bench on the OpenAI-compatible route', () => {
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of closers) await c();
  });

  it('sends what the official openai client sends: method, path, content type, Accept, Bearer key, body fields', async () => {
    const recorder = await stubServer((res) => answerPcm(res, 0.25, 24000));
    closers.push(recorder.close);
    const client = new OpenAI({ apiKey: 'sk-bench-test', baseURL: `${recorder.url}/v1`, maxRetries: 0 });
    const speech = await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: TEXT, response_format: 'pcm' });
    assert.equal((await speech.arrayBuffer()).byteLength, 12000);
    // bench with the origin and with an OpenAI-style base ending in /v1: the same request.
    for (const url of [recorder.url, `${recorder.url}/v1`]) {
      const x = await exchange({ url, route: 'openai', audioFormat: 'pcm', apiKey: 'sk-bench-test' }, TEXT, 'en', new AbortController().signal);
      assert.equal(x.outcome, 'ok');
      assert.equal(x.audioSeconds, 0.25, 'pcm at OpenAI\'s 24 kHz');
    }
    const [sdk, ...ours] = recorder.received.map(shape);
    assert.ok(sdk);
    assert.equal(sdk.path, '/v1/audio/speech');
    assert.equal(sdk.authorization, 'Bearer sk-bench-test');
    for (const b of ours) {
      assert.deepEqual(
        { method: b.method, path: b.path, contentType: b.contentType, accept: b.accept, authorization: b.authorization, bodyKeys: b.bodyKeys, body: b.body },
        { method: sdk.method, path: sdk.path, contentType: sdk.contentType, accept: sdk.accept, authorization: sdk.authorization, bodyKeys: sdk.bodyKeys, body: sdk.body },
      );
    }
  });

  it('measures a real server\'s /v1/audio/speech: audio, first audio, throughput', async () => {
    const server = await startTestServer();
    closers.push(server.close);
    const run = await runClosedLoop({ target: { url: server.url, route: 'openai', audioFormat: 'pcm', apiKey: 'unused' }, texts: fixedTexts(40, 'en'), concurrency: [1], levelDurationS: 60, levelRequests: 3, warmupS: 0 });
    const [level] = run.levels;
    assert.ok(level && level.ok > 0, JSON.stringify(level));
    assert.equal(level.errorCount + level.status429, 0, JSON.stringify(level.errorSamples));
    assert.ok(level.audioSecondsPerSecond > 0 && level.firstAudioMs !== null);
    assert.equal(run.target.path, '/v1/audio/speech');
    assert.deepEqual([run.target.model, run.target.voice], ['tts-1', 'alloy']);
    // bench's audio length is the official client's: the same bytes at 24 kHz s16le.
    const client = new OpenAI({ apiKey: 'unused', baseURL: `${server.url}/v1`, maxRetries: 0 });
    const text = sampleText('en', 40);
    const bytes = (await (await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: text, response_format: 'pcm' })).arrayBuffer()).byteLength;
    const x = await exchange({ url: server.url, route: 'openai', audioFormat: 'pcm' }, text, 'en', new AbortController().signal);
    assert.ok(Math.abs((x.audioSeconds as number) - bytes / 2 / 24000) < 0.05, `${x.audioSeconds} vs ${bytes / 2 / 24000}`);
  });
});
