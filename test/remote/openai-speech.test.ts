// Engine openai-speech against (1) a stand-in for vLLM-Omni serving Fun-CosyVoice3 and (2) a real
// OpenAI-compatible server: cosyfleet's own /v1/audio/speech, built by buildApp with espeak. In
// (1) the model is stood in for at the process boundary (fakes/openai-server.ts speaks vLLM-Omni's
// wire format, backed by espeak); (2) runs for real.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runEngineConformance } from '../../src/engines/conformance.js';
import { rms } from '../../src/audio/pcm.js';
import { OpenAISpeechEngine } from '../../src/engines/remote/openai-speech.js';
import type { RemoteSettings } from '../../src/engines/remote/base.js';
import { FakeOpenAISpeechServer, SERVED_MODEL } from './fakes/openai-server.js';
import { StandInModel } from './fakes/model.js';
import { collect, collectUntilError, makePrompt, testSettings } from './helpers.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const API_KEY = 'sk-test-0123456789abcdef';
const model = new StandInModel();
const fake = new FakeOpenAISpeechServer(model, { apiKey: API_KEY, uploadedVoices: ['alice'] });
let ready: Promise<void> | null = null;
const server = () => (ready ??= model.start().then(() => fake.start().then(() => undefined)));
after(async () => {
  await fake.close();
  await model.close();
});

const engineFor = (options: { remote?: Partial<RemoteSettings> & { firstByteMs?: number }; url?: string; apiKey?: string; instruct?: boolean; voices?: string[]; model?: string } = {}) =>
  new OpenAISpeechEngine({
    url: options.url ?? fake.url,
    model: options.model ?? SERVED_MODEL,
    apiKey: options.apiKey ?? API_KEY,
    voices: options.voices ?? ['alice'],
    sampleRate: 24000,
    instruct: options.instruct ?? false,
    remote: testSettings(options.remote),
  });

runEngineConformance(
  'openai-speech (vLLM-Omni stand-in)',
  async () => {
    await server();
    return engineFor();
  },
);

describe('openai-speech: what goes over the wire', () => {
  let engine: OpenAISpeechEngine;
  before(async () => {
    await server();
    engine = engineFor();
    await engine.start();
  });
  after(() => engine.close());

  it('named voices: model, input, voice, pcm, stream_format audio and the Bearer key', async () => {
    await collect(engine, { text: 'Hello there.', mode: 'preset', voice: 'alice', language: 'en', speed: 1 });
    const got = fake.received.at(-1);
    assert.deepEqual(got?.body, { model: SERVED_MODEL, input: 'Hello there.', response_format: 'pcm', voice: 'alice', stream_format: 'audio' });
    assert.equal(got?.authorization, `Bearer ${API_KEY}`);
  });

  it('cloned voices: ref_audio as a 16 kHz WAV data URL and ref_text; another speed goes without stream_format', async () => {
    const prompt = await makePrompt(model);
    const pcm = await collect(engine, { text: 'Hello there.', mode: 'clone', voice: prompt.id, prompt, language: 'en', speed: 1.5 });
    assert.ok(rms(pcm) > 0.01);
    const got = fake.received.at(-1);
    assert.equal(got?.body.ref_text, prompt.transcript);
    assert.match(String(got?.body.ref_audio), /^data:audio\/wav;base64,/);
    assert.deepEqual(got?.prompt && { rate: got.prompt.sampleRate, channels: got.prompt.channels }, { rate: 16000, channels: 1 });
    assert.equal(got?.body.speed, 1.5);
    assert.equal(got?.body.stream_format, undefined);
    assert.equal(got?.body.voice, undefined);
  });

  it('a refused API key turns health red with a message that does not contain the key', async () => {
    const wrong = engineFor({ apiKey: 'sk-wrong-key-000000000' });
    try {
      await wrong.start();
      assert.equal(wrong.health().ready, false);
      assert.match(wrong.health().detail ?? '', /HTTP 401: the API key \(OPENAI_SPEECH_API_KEY\) was refused/);
      assert.doesNotMatch(wrong.health().detail ?? '', /sk-wrong/);
    } finally {
      await wrong.close();
    }
  });

  it('the server\'s own error message reaches the client, as a non-retried engine_failed', async () => {
    const before = fake.received.length;
    const misnamed = engineFor({ model: 'tts-1' });
    await misnamed.start();
    try {
      const { error } = await collectUntilError(misnamed, { text: 'Hello.', mode: 'preset', voice: 'alice', language: 'en', speed: 1 });
      assert.equal(error.code, 'engine_failed');
      assert.match(error.message, /HTTP 404: The model `tts-1` does not exist/);
      assert.equal(fake.received.length - before, 1, 'a 4xx is not retried');
    } finally {
      await misnamed.close();
    }
  });

  it('offers instruct mode only when configured, sending the instruction in plain words', async () => {
    assert.throws(() => engine.check({ text: 'Hi.', mode: 'instruct', voice: 'alice', language: 'en', speed: 1 }), { code: 'unsupported_mode' });
    const instructing = engineFor({ instruct: true });
    await instructing.start();
    try {
      const instruction = { key: 'emotion:happy', text: 'You are a helpful assistant. 请非常开心地说一句话。<|endofprompt|>' };
      await collect(instructing, { text: 'Hi.', mode: 'instruct', voice: 'alice', instruction, language: 'en', speed: 1 });
      assert.equal(fake.received.at(-1)?.body.instructions, '请非常开心地说一句话。');
    } finally {
      await instructing.close();
    }
  });
});

describe('openai-speech: failures', () => {
  let engine: OpenAISpeechEngine;
  before(async () => {
    await server();
    engine = engineFor();
    await engine.start();
  });
  after(() => engine.close());
  const request = { text: 'First part of the story, second part of the story, and the end.', mode: 'preset' as const, voice: 'alice', language: 'en', speed: 1 };

  it('a dropped connection before any audio is retried once and succeeds', async () => {
    const before = fake.received.length;
    fake.faults.failBeforeAudio = 1;
    assert.ok(rms(await collect(engine, request)) > 0.01);
    assert.equal(fake.received.length - before, 2);
  });

  it('dies mid-stream: engine_failed after some audio, no retry', async () => {
    const before = fake.received.length;
    fake.faults.dieAfterPieces = 2;
    const { samples, error } = await collectUntilError(engine, request);
    assert.ok(samples > 0);
    assert.equal(error.code, 'engine_failed');
    assert.equal(fake.received.length - before, 1);
  });

  it('slower than REMOTE_TIMEOUT_MS: engine_failed, no hang', async () => {
    const slow = engineFor({ remote: { firstByteMs: 200, retries: 0 } });
    await slow.start();
    try {
      fake.faults.delayFirstAudioMs = 2000;
      const { error } = await collectUntilError(slow, request);
      assert.equal(error.code, 'engine_failed');
      assert.match(error.message, /no answer within 200 ms/);
    } finally {
      fake.faults.delayFirstAudioMs = 0;
      await slow.close();
    }
  });
});

describe('openai-speech in front of a real OpenAI-compatible server (cosyfleet with espeak)', () => {
  let upstream: TestServer;
  before(async () => {
    upstream = await startTestServer();
  });
  after(() => upstream.close());

  it('speaks through the upstream\'s /v1/audio/speech, health from its /v1/models', async () => {
    const engine = engineFor({ url: upstream.url, model: 'tts-1', voices: ['mei', 'sam'], apiKey: '', remote: { healthIntervalMs: 50 } });
    try {
      await engine.start();
      assert.equal(engine.health().ready, true);
      const pcm = await collect(engine, { text: 'Hello from one cosyfleet to another.', mode: 'preset', voice: 'sam', language: 'en', speed: 1 });
      const seconds = pcm.length / 24000;
      assert.ok(seconds > 1 && rms(pcm) > 0.01, `${seconds} s`);
      // The upstream's own speed handling (espeak's rate) shows through.
      const fast = await collect(engine, { text: 'Hello from one cosyfleet to another.', mode: 'preset', voice: 'sam', language: 'en', speed: 2 });
      assert.ok(fast.length < pcm.length * 0.8, `speed 2: ${fast.length} vs ${pcm.length} samples`);
      await upstream.close();
      await waitFor(() => !engine.health().ready, 'health to go red when the upstream stops');
    } finally {
      await engine.close();
    }
  });
});
