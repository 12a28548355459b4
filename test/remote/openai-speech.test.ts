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
import { COSYVOICE3_PROMPT_PREFIX } from '../../src/engines/remote/cosyvoice3.js';
import { FakeOpenAISpeechServer, SERVED_MODEL, VLLM_OMNI_STREAM_FLAG, type SpeechServerBehaviour } from './fakes/openai-server.js';
import { StandInModel } from './fakes/model.js';
import { collect, collectUntilError, makePrompt, PROMPT_TEXT, testSettings } from './helpers.js';
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

  it('named voices: model, input, voice, pcm, stream with stream_format audio, and the Bearer key', async () => {
    await collect(engine, { text: 'Hello there.', mode: 'preset', voice: 'alice', language: 'en', speed: 1 });
    const got = fake.received.at(-1);
    assert.deepEqual(got?.body, { model: SERVED_MODEL, input: 'Hello there.', response_format: 'pcm', voice: 'alice', stream_format: 'audio', stream: true });
    assert.equal(got?.streamed, true);
    assert.equal(got?.authorization, `Bearer ${API_KEY}`);
  });

  it('cloned voices: ref_audio as a 16 kHz WAV data URL and ref_text with the v3 prefix; another speed goes without stream or stream_format', async () => {
    const prompt = await makePrompt(model);
    const pcm = await collect(engine, { text: 'Hello there.', mode: 'clone', voice: prompt.id, prompt, language: 'en', speed: 1.5 });
    assert.ok(rms(pcm) > 0.01);
    const got = fake.received.at(-1);
    assert.equal(got?.body.ref_text, `${COSYVOICE3_PROMPT_PREFIX}${prompt.transcript}`);
    assert.equal(got?.promptText, `${COSYVOICE3_PROMPT_PREFIX}${prompt.transcript}`, 'the server does not add a second prefix');
    assert.equal(got?.body.stream, undefined);
    assert.equal(got?.streamed, false);
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

describe('openai-speech: what the server is, read at start', () => {
  /** A stand-in with its own behaviour, and an engine started in front of it. */
  async function against(behaviour: Partial<SpeechServerBehaviour>) {
    await server();
    const own = new FakeOpenAISpeechServer(model, { apiKey: API_KEY, uploadedVoices: ['alice'], behaviour });
    await own.start();
    const engine = engineFor({ url: own.url });
    await engine.start();
    return { own, engine, close: async () => { await engine.close(); await own.close(); } };
  }
  const hello = { text: 'Hello there, this is a test.', mode: 'preset' as const, voice: 'alice', language: 'en', speed: 1 };

  it('reads GET /version and the request fields of /openapi.json; the description says so', async () => {
    const { engine, close } = await against({});
    try {
      assert.equal(engine.server?.version, '0.0.0+current');
      assert.ok(engine.server?.fields?.has('seed') && engine.server.fields.has('stream'));
      // Nothing lacking: ready without a detail (a detail is what `cosyfleet doctor` warns about).
      assert.deepEqual(engine.health(), { ready: true });
      assert.match(engine.capabilities.description, /Server: version 0\.0\.0\+current \(GET \/version\); takes every field cosyfleet sends/);
    } finally {
      await close();
    }
  });

  it('sends seed to a server that declares it, with no warning, and the model gets it', async () => {
    const { own, engine, close } = await against({});
    try {
      assert.deepEqual(engine.check({ ...hello, seed: 7 }), []);
      await collect(engine, { ...hello, seed: 7 });
      const got = own.received.at(-1);
      assert.equal(got?.body.seed, 7);
      assert.equal(got?.seed, 7);
    } finally {
      await close();
    }
  });

  it('a server without seed: seed_ignored, not sent, and health names what it lacks', async () => {
    const { own, engine, close } = await against({ fields: ['input', 'model', 'voice', 'response_format', 'speed', 'stream', 'stream_format', 'ref_audio', 'ref_text', 'instructions'] });
    try {
      assert.deepEqual(engine.check({ ...hello, seed: 7 }).map((w) => w.code), ['seed_ignored']);
      await collect(engine, { ...hello, seed: 7 });
      assert.equal(own.received.at(-1)?.body.seed, undefined);
      assert.match(engine.health().detail ?? '', /lacks seed \(seed_ignored\)/);
    } finally {
      await close();
    }
  });

  it('a server that publishes no schema gets what vLLM-Omni takes, the seed marked as unverified', async () => {
    const { own, engine, close } = await against({ openapi: false, version: null });
    try {
      assert.equal(engine.server?.fields, null);
      assert.deepEqual(engine.check({ ...hello, seed: 7 }).map((w) => w.code), ['seed_not_reproducible']);
      await collect(engine, { ...hello, seed: 7 });
      const got = own.received.at(-1);
      assert.deepEqual([got?.body.seed, got?.body.stream, got?.body.stream_format], [7, true, 'audio']);
      assert.match(engine.health().detail ?? '', /no GET \/version; publishes no request schema/);
    } finally {
      await close();
    }
  });

  it('an earlier vLLM-Omni that streams only on stream: true and passes ref_text as it comes: still streamed, and the reference is not re-spoken', async () => {
    const { own, engine, close } = await against(VLLM_OMNI_STREAM_FLAG);
    try {
      await collect(engine, hello);
      assert.equal(own.received.at(-1)?.streamed, true, 'streamed as decoded');
      const prompt = await makePrompt(model);
      await collect(engine, { text: 'Only this sentence.', mode: 'clone', voice: prompt.id, prompt, language: 'en', speed: 1 });
      const got = own.received.at(-1);
      assert.equal(got?.promptText, `${COSYVOICE3_PROMPT_PREFIX}${PROMPT_TEXT}`);
      assert.equal(got?.spoken, 'Only this sentence.', 'the model speaks the input only');
    } finally {
      await close();
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
      // Its /openapi.json declares no seed, stream, ref_audio or ref_text (the route refuses unknown fields).
      assert.match(engine.health().detail ?? '', /lacks stream \(sent without it\), seed \(seed_ignored\), ref_audio/);
      assert.deepEqual(engine.check({ text: 'Hi.', mode: 'preset', voice: 'sam', language: 'en', speed: 1, seed: 3 }).map((w) => w.code), ['seed_ignored']);
      const prompt = await makePrompt(model);
      assert.throws(() => engine.check({ text: 'Hi.', mode: 'clone', voice: prompt.id, prompt, language: 'en', speed: 1 }), { code: 'invalid_value', message: /takes no ref_audio\/ref_text/ });
      const pcm = await collect(engine, { text: 'Hello from one cosyfleet to another.', mode: 'preset', voice: 'sam', language: 'en', speed: 1, seed: 3 });
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
