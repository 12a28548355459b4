// Engine cosyvoice-fastapi against a stand-in for the official CosyVoice FastAPI server. The
// model (a GPU and Fun-CosyVoice3 weights) is stood in for at the process boundary: the fake
// server (fakes/fastapi-server.ts) speaks the official routes' wire format, backed by espeak.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runEngineConformance } from '../../src/engines/conformance.js';
import { rms } from '../../src/audio/pcm.js';
import { COSYVOICE3_PROMPT_PREFIX } from '../../src/engines/remote/cosyvoice3.js';
import { CosyVoiceFastApiEngine } from '../../src/engines/remote/cosyvoice-fastapi.js';
import { FakeFastApiServer } from './fakes/fastapi-server.js';
import { StandInModel } from './fakes/model.js';
import { collect, collectUntilError, makePrompt, testSettings } from './helpers.js';
import { waitFor } from '../helpers/wait.js';
import type { RemoteSettings } from '../../src/engines/remote/base.js';

const model = new StandInModel();
const fake = new FakeFastApiServer(model);
let ready: Promise<void> | null = null;
const server = () => (ready ??= model.start().then(() => fake.start().then(() => undefined)));
after(async () => {
  await fake.close();
  await model.close();
});

const engineFor = (remote: RemoteSettings = testSettings(), url = fake.url) =>
  new CosyVoiceFastApiEngine({ url, sampleRate: 24000, speakers: ['中文女', '英文男'], remote });

runEngineConformance(
  'cosyvoice-fastapi',
  async () => {
    await server();
    return engineFor();
  },
  {
    skip: {
      streaming: 'the official FastAPI server runs the model with stream=False: a segment arrives once it is made (one body piece per sentence), so the engine declares streaming: false',
      speed: 'the official FastAPI server has no speed parameter; the engine warns speed_ignored instead',
    },
  },
);

describe('cosyvoice-fastapi: what goes over the wire', () => {
  let engine: CosyVoiceFastApiEngine;
  before(async () => {
    await server();
    engine = engineFor();
    await engine.start();
  });
  after(() => engine.close());

  it('preset speakers go to /inference_sft with tts_text and spk_id', async () => {
    const pcm = await collect(engine, { text: '你好，欢迎使用语音合成服务。', mode: 'preset', voice: '中文女', language: 'cmn', speed: 1 });
    assert.ok(rms(pcm) > 0.01);
    const got = fake.received.at(-1);
    assert.equal(got?.route, '/inference_sft');
    assert.equal(got?.method, 'POST');
    assert.deepEqual(got?.fields, { tts_text: '你好，欢迎使用语音合成服务。', spk_id: '中文女' });
  });

  it('clone posts /inference_zero_shot with the v3 prompt prefix and the prompt as a 16 kHz WAV upload', async () => {
    const prompt = await makePrompt(model);
    const pcm = await collect(engine, { text: 'Hello there.', mode: 'clone', voice: prompt.id, prompt, language: 'en', speed: 1 });
    assert.ok(rms(pcm) > 0.01);
    const got = fake.received.at(-1);
    assert.equal(got?.route, '/inference_zero_shot');
    assert.equal(got?.fields.tts_text, 'Hello there.');
    assert.equal(got?.fields.prompt_text, `${COSYVOICE3_PROMPT_PREFIX}${prompt.transcript}`);
    assert.equal(got?.prompt?.sampleRate, 16000);
    assert.equal(got?.prompt?.channels, 1);
    assert.ok((got?.prompt?.seconds ?? 0) > 2, `prompt lasts ${got?.prompt?.seconds} s`);
  });

  it('cross_lingual prefixes the text; instruct sends the wrapped instruction to /inference_instruct2', async () => {
    const prompt = await makePrompt(model);
    await collect(engine, { text: 'Bonjour à tous.', mode: 'cross_lingual', voice: prompt.id, prompt, language: 'fr', speed: 1 });
    let got = fake.received.at(-1);
    assert.equal(got?.route, '/inference_cross_lingual');
    assert.equal(got?.fields.tts_text, `${COSYVOICE3_PROMPT_PREFIX}Bonjour à tous.`);
    assert.ok(got?.prompt);

    const instruction = { key: 'speed:fast', text: 'You are a helpful assistant. 请用尽可能快地语速说一句话。<|endofprompt|>' };
    await collect(engine, { text: '今天天气很好。', mode: 'instruct', voice: prompt.id, prompt, instruction, language: 'cmn', speed: 1 });
    got = fake.received.at(-1);
    assert.equal(got?.route, '/inference_instruct2');
    assert.deepEqual({ tts_text: got?.fields.tts_text, instruct_text: got?.fields.instruct_text }, { tts_text: '今天天气很好。', instruct_text: instruction.text });
  });

  it('reuses one keep-alive connection for consecutive segments', async () => {
    const own = engineFor();
    await own.start();
    try {
      const before = fake.connections;
      for (let i = 0; i < 3; i++) await collect(own, { text: `Segment number ${i}.`, mode: 'preset', voice: '英文男', language: 'en', speed: 1 });
      assert.ok(fake.connections - before <= 1, `${fake.connections - before} new connections for 3 segments`);
    } finally {
      await own.close();
    }
  });

  it('warns about what the server cannot do and refuses cloning modes for a speaker it knows only by name', () => {
    const warnings = engine.check({ text: 'Hi.', mode: 'preset', voice: '英文男', language: 'en', speed: 1.5, seed: 7 });
    assert.deepEqual(warnings.map((w) => w.code).sort(), ['seed_ignored', 'speed_ignored']);
    assert.throws(() => engine.check({ text: 'Hi.', mode: 'clone', voice: '英文男', language: 'en', speed: 1 }), { code: 'invalid_value' });
    assert.throws(() => engine.check({ text: 'Hi.', mode: 'instruct', voice: '英文男', language: 'en', speed: 1 }), { code: 'invalid_value' });
  });
});

describe('cosyvoice-fastapi: failures', () => {
  let engine: CosyVoiceFastApiEngine;
  before(async () => {
    await server();
    engine = engineFor();
    await engine.start();
  });
  after(() => engine.close());
  const request = { text: 'First part of the story, second part of the story, and the end.', mode: 'preset' as const, voice: '英文男', language: 'en', speed: 1 };

  it('a server that drops the connection before any audio is retried once, and the segment succeeds', async () => {
    const before = fake.received.length;
    fake.faults.failBeforeAudio = 1;
    const pcm = await collect(engine, request);
    assert.ok(rms(pcm) > 0.01);
    assert.equal(fake.received.length - before, 2, 'one failed attempt, one retry');
  });

  it('a server that keeps failing before any audio gives a retryable AppError after the retries', async () => {
    const before = fake.received.length;
    fake.faults.failBeforeAudio = 5;
    const { samples, error } = await collectUntilError(engine, request);
    fake.faults.failBeforeAudio = 0;
    assert.equal(samples, 0);
    assert.equal(error.code, 'engine_failed');
    assert.equal(error.retryable, true);
    assert.equal(fake.received.length - before, 2, 'REMOTE_RETRIES=1: two attempts');
  });

  it('a server that dies mid-stream: the audio already sent stays sent, then engine_failed, no retry', async () => {
    const before = fake.received.length;
    fake.faults.dieAfterPieces = 1;
    const { samples, error } = await collectUntilError(engine, request);
    assert.ok(samples > 0, 'the first piece arrived');
    assert.equal(error.code, 'engine_failed');
    assert.match(error.message, /after part of the audio/);
    assert.equal(fake.received.length - before, 1, 'a segment that already played is never retried');
  });

  it('a server slower than REMOTE_TIMEOUT_MS fails with engine_failed instead of hanging, and the request is dropped', async () => {
    const slow = engineFor(testSettings({ firstByteMs: 200, retries: 0 }));
    await slow.start();
    try {
      fake.faults.delayFirstAudioMs = 60_000;
      const { samples, error } = await collectUntilError(slow, request);
      assert.equal(samples, 0);
      assert.equal(error.code, 'engine_failed');
      assert.match(error.message, /no answer within 200 ms/);
      // The fake saw the connection close and stopped (it would otherwise sleep for a minute).
      await waitFor(() => model.active === 0, 'the fake to drop the abandoned request');
    } finally {
      fake.faults.delayFirstAudioMs = 0;
      await slow.close();
    }
  });
});

describe('cosyvoice-fastapi: health', () => {
  it('goes red when the server is down and green when it is back (probing on an interval)', async () => {
    const model2 = new StandInModel();
    await model2.start();
    const own = new FakeFastApiServer(model2);
    const url = await own.start();
    const port = Number(new URL(url).port);
    const engine = engineFor(testSettings({ healthIntervalMs: 50 }), url);
    try {
      await engine.start();
      assert.equal(engine.health().ready, true);
      await own.close();
      await waitFor(() => !engine.health().ready, 'health to go red');
      assert.match(engine.health().detail ?? '', /CosyVoice FastAPI server http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
      const { error } = await collectUntilError(engine, { text: 'Hello.', mode: 'preset', voice: '英文男', language: 'en', speed: 1 });
      assert.equal(error.code, 'engine_unavailable');
      const back = new FakeFastApiServer(model2);
      await back.start(port);
      try {
        await waitFor(() => engine.health().ready, 'health to go green again');
      } finally {
        await back.close();
      }
    } finally {
      await engine.close();
      await model2.close();
    }
  });
});
