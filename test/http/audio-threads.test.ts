// Audio work runs off the event loop on a real server: encoding a response, resampling it,
// decoding and checking a voice upload each show up in /metrics as done by the audio thread
// pool (AUDIO_THREADS), and AUDIO_THREADS=0 does the same work inline. A client that leaves a
// stream mid-way frees its codec session. How much this spares the event loop is measured in
// `npm run bench:serving`, not here.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';
import { speech, uploadVoice } from '../helpers/voices.js';
import { metricValue, waitFor } from '../helpers/wait.js';

async function metric(url: string, name: string, labels: Record<string, string>): Promise<number> {
  return metricValue(await (await fetch(`${url}/metrics`)).text(), name, labels) ?? 0;
}

const tasks = (url: string, op: string, where: string) => metric(url, 'cosyfleet_audio_tasks_total', { op, where });

describe('audio work off the event loop', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ audioThreads: 2 });
  });
  after(async () => {
    await server.close();
  });

  it('encodes MP3 (resampled to 24 kHz) in a pool thread, and the audio is whole', async () => {
    const res = await postJson(`${server.url}/v1/tts`, { text: 'Encoding happens beside the event loop.', language: 'en', format: 'mp3', sample_rate: 24000 });
    assert.equal(res.status, 200);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.ok(bytes.length > 2000);
    assert.equal(res.headers.get('x-sample-rate'), '24000');
    assert.ok((await tasks(server.url, 'open', 'thread')) >= 1);
    assert.ok((await tasks(server.url, 'write', 'thread')) >= 1);
    assert.equal(await tasks(server.url, 'end', 'thread'), 1);
    assert.equal(await tasks(server.url, 'write', 'inline'), 0);
    assert.equal(await metric(server.url, 'cosyfleet_audio_work', { kind: 'open_sessions' }), 0);
  });

  it('decodes and checks a voice upload (FLAC at 48 kHz) in a pool thread', async () => {
    const flac = await speech(server.url, { format: 'flac', sample_rate: 48000 });
    const before = await tasks(server.url, 'prompt', 'thread');
    const res = await uploadVoice(server.url, { audio: { bytes: flac, filename: 'fox.flac', type: 'audio/flac' } });
    assert.equal(res.status, 201, await res.clone().text());
    assert.equal(await tasks(server.url, 'prompt', 'thread'), before + 1);
    assert.equal(await tasks(server.url, 'prompt', 'inline'), 0);
  });

  it('frees the codec session of a stream the client leaves', async () => {
    const text = 'A long streamed answer that the client will not wait for. '.repeat(30);
    const abort = new AbortController();
    const res = await postJson(`${server.url}/v1/tts`, { text, language: 'en', format: 'opus', stream: true }, { signal: abort.signal });
    assert.equal(res.status, 200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    assert.equal(await metric(server.url, 'cosyfleet_audio_work', { kind: 'open_sessions' }), 1);
    abort.abort();
    await waitFor(async () => (await metric(server.url, 'cosyfleet_audio_work', { kind: 'open_sessions' })) === 0, 'the left stream\'s session to close');
    // The close itself is a task; once it is answered no thread is busy.
    await waitFor(async () => (await metric(server.url, 'cosyfleet_audio_work', { kind: 'pending_tasks' })) === 0, 'the audio threads to be idle');
    assert.ok((await tasks(server.url, 'close', 'thread')) >= 1, 'the session was closed in its thread');
    // The pool still serves the next request.
    const next = await postJson(`${server.url}/v1/tts`, { text: 'Still here.', language: 'en', format: 'opus' });
    assert.equal(next.status, 200);
    assert.ok((await next.arrayBuffer()).byteLength > 500);
  });
});

describe('AUDIO_THREADS=0', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ audioThreads: 0 });
  });
  after(async () => {
    await server.close();
  });

  it('does the same work on the event loop and starts no thread', async () => {
    const res = await postJson(`${server.url}/v1/tts`, { text: 'Inline encoding.', language: 'en', format: 'mp3' });
    assert.equal(res.status, 200);
    assert.ok((await res.arrayBuffer()).byteLength > 1000);
    assert.ok((await tasks(server.url, 'write', 'inline')) >= 1);
    assert.equal(await tasks(server.url, 'write', 'thread'), 0);
    assert.equal(await metric(server.url, 'cosyfleet_audio_work', { kind: 'threads' }), 0);
  });
});
