// Engine cosyvoice-fastapi against stand-ins for the two CosyVoice FastAPI servers: upstream's
// runtime/python/fastapi/server.py (as it behaves with CosyVoice3: prompt routes that answer 200
// and die, issue #1805) and cosyfleet's patched workers/cosyvoice/fastapi_server.py. The model (a
// GPU and Fun-CosyVoice3 weights) is stood in for at the process boundary: the fake server
// (fakes/fastapi-server.ts) speaks the routes' wire format, backed by espeak. The real patched
// server runs as a process in test/cosyvoice/fastapi-server.test.ts.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runEngineConformance } from '../../src/engines/conformance.js';
import { rms } from '../../src/audio/pcm.js';
import { COSYVOICE3_PROMPT_PREFIX } from '../../src/engines/remote/cosyvoice3.js';
import { CosyVoiceFastApiEngine } from '../../src/engines/remote/cosyvoice-fastapi.js';
import { multipartBody } from '../../src/engines/remote/multipart.js';
import { AppError } from '../../src/errors/app-error.js';
import { FakeFastApiServer } from './fakes/fastapi-server.js';
import { StandInModel } from './fakes/model.js';
import { collect, collectUntilError, makePrompt, recordingWav, testSettings } from './helpers.js';
import { readBody, waitFor } from '../helpers/wait.js';
import type { RemoteSettings } from '../../src/engines/remote/base.js';

const model = new StandInModel();
const fake = new FakeFastApiServer(model); // the patched server
const upstream = new FakeFastApiServer(model, { flavour: 'upstream' });
let ready: Promise<void> | null = null;
const server = () => (ready ??= model.start().then(() => Promise.all([fake.start(), upstream.start()]).then(() => undefined)));
after(async () => {
  await fake.close();
  await upstream.close();
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

describe('cosyvoice-fastapi with the patched server: what goes over the wire', () => {
  let engine: CosyVoiceFastApiEngine;
  before(async () => {
    await server();
    engine = engineFor();
    await engine.start();
  });
  after(() => engine.close());

  it('identifies the patched server: every mode, ready without reservations', () => {
    assert.deepEqual(engine.capabilities.modes, ['preset', 'clone', 'cross_lingual', 'instruct']);
    assert.deepEqual(engine.health(), { ready: true });
    assert.doesNotMatch(engine.capabilities.description, /#1805/);
  });

  it('preset speakers go to /inference_sft with the text as written (the server prefixes after normalizing)', async () => {
    const request = { text: '你好，欢迎使用语音合成服务。', mode: 'preset' as const, voice: '中文女', language: 'cmn', speed: 1 };
    assert.deepEqual(engine.check(request), []);
    const pcm = await collect(engine, request);
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

  it('cross_lingual sends the text as written (prefixed by the server); instruct sends the wrapped instruction to /inference_instruct2', async () => {
    const prompt = await makePrompt(model);
    await collect(engine, { text: 'Bonjour à tous.', mode: 'cross_lingual', voice: prompt.id, prompt, language: 'fr', speed: 1 });
    let got = fake.received.at(-1);
    assert.equal(got?.route, '/inference_cross_lingual');
    assert.equal(got?.fields.tts_text, 'Bonjour à tous.');
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

  it('a refusal of the server (unknown speaker, 400 JSON) is engine_failed with its words, not retried', async () => {
    const own = new CosyVoiceFastApiEngine({ url: fake.url, sampleRate: 24000, speakers: ['無名'], remote: testSettings() });
    await own.start();
    try {
      const before = fake.received.length;
      const { samples, error } = await collectUntilError(own, { text: 'Hello.', mode: 'preset', voice: '無名', language: 'en', speed: 1 });
      assert.equal(samples, 0);
      assert.equal(error.code, 'engine_failed');
      assert.match(error.message, /answered HTTP 400: unknown spk_id '無名'/);
      assert.equal(fake.received.length - before, 1, 'a 4xx is the server refusing: no retry');
    } finally {
      await own.close();
    }
  });

  it('is not ready while the patched server loads its model (/health 503), and ready once it has', async () => {
    fake.loading = true;
    const own = engineFor(testSettings({ healthIntervalMs: 50, retries: 0 }));
    try {
      await own.start();
      assert.equal(own.health().ready, false);
      assert.match(own.health().detail ?? '', /GET \/health answered HTTP 503/);
      fake.loading = false;
      await waitFor(() => own.health().ready, 'health to go green once the model is loaded');
    } finally {
      fake.loading = false;
      await own.close();
    }
  });
});

describe("cosyvoice-fastapi with upstream's server.py", () => {
  let engine: CosyVoiceFastApiEngine;
  before(async () => {
    await server();
    engine = engineFor(testSettings(), upstream.url);
    await engine.start();
  });
  after(() => engine.close());

  /** A form post straight to the fake, to show what upstream's server does with it. */
  async function post(route: string, fields: Parameters<typeof multipartBody>[0]) {
    const form = multipartBody(fields);
    const res = await fetch(`${upstream.url}${route}`, { method: 'POST', headers: { 'content-type': form.contentType }, body: form.body });
    return { status: res.status, body: await readBody(res) };
  }

  it('the stand-in behaves as upstream does with CosyVoice3: 200, then the stream dies', async () => {
    const wav = { filename: 'prompt.wav', contentType: 'audio/wav', data: await recordingWav(model) };
    // #1805: the prompt routes hand the package a tensor where its frontend wants a file.
    for (const [route, fields] of [
      ['/inference_zero_shot', { tts_text: 'Hello.', prompt_text: `${COSYVOICE3_PROMPT_PREFIX}Hi.`, prompt_wav: wav }],
      ['/inference_cross_lingual', { tts_text: `${COSYVOICE3_PROMPT_PREFIX}Hello.`, prompt_wav: wav }],
      ['/inference_instruct2', { tts_text: 'Hello.', instruct_text: 'You are a helpful assistant. Speak slowly.<|endofprompt|>', prompt_wav: wav }],
    ] as const) {
      const out = await post(route, fields);
      assert.deepEqual({ route, status: out.status, complete: out.body.complete, bytes: out.body.bytes }, { route, status: 200, complete: false, bytes: 0 });
    }
    // HEAD's LLM asserts `<|endofprompt|>`, which /inference_sft does not add.
    const bare = await post('/inference_sft', { tts_text: 'Hello there.', spk_id: '英文男' });
    assert.deepEqual({ status: bare.status, complete: bare.body.complete }, { status: 200, complete: false });
    const prefixed = await post('/inference_sft', { tts_text: `${COSYVOICE3_PROMPT_PREFIX}Hello there.`, spk_id: '英文男' });
    assert.equal(prefixed.status, 200);
    assert.ok(prefixed.body.complete && prefixed.body.bytes > 0);
  });

  it('is identified from /openapi.json: preset only, and capabilities and health say why', () => {
    assert.deepEqual(engine.capabilities.modes, ['preset']);
    assert.match(engine.capabilities.description, /FunAudioLLM\/CosyVoice issue #1805/);
    assert.match(engine.capabilities.description, /workers\/cosyvoice\/fastapi_server\.py/);
    const health = engine.health();
    assert.equal(health.ready, true);
    assert.match(health.detail ?? '', /issue #1805.*workers\/cosyvoice\/fastapi_server\.py/);
  });

  it('refuses every mode that needs prompt audio before anything reaches the server, naming #1805 and the patched server', async () => {
    const prompt = await makePrompt(model);
    const instruction = { text: 'You are a helpful assistant. Speak slowly.<|endofprompt|>' };
    const requests = [
      { text: 'Hello there.', mode: 'clone' as const, voice: prompt.id, prompt, language: 'en', speed: 1 },
      { text: 'Bonjour à tous.', mode: 'cross_lingual' as const, voice: prompt.id, prompt, language: 'fr', speed: 1 },
      { text: 'Hello there.', mode: 'instruct' as const, voice: prompt.id, prompt, instruction, language: 'en', speed: 1 },
      // A library or REMOTE_VOICES_DIR voice in preset mode is spoken by cloning too.
      { text: 'Hello there.', mode: 'preset' as const, voice: prompt.id, prompt, language: 'en', speed: 1 },
    ];
    const before = upstream.received.length;
    for (const request of requests) {
      const refusal = (e: unknown) => {
        assert.ok(e instanceof AppError, String(e));
        assert.equal(e.code, 'unsupported_mode');
        assert.equal(e.status, 422);
        assert.equal(e.retryable, false);
        assert.equal(e.param, request.mode === 'preset' ? 'voice' : 'mode');
        assert.match(e.message, /runtime\/python\/fastapi\/server\.py.*FunAudioLLM\/CosyVoice issue #1805.*workers\/cosyvoice\/fastapi_server\.py/);
        return true;
      };
      assert.throws(() => engine.check(request), refusal, request.mode);
      await assert.rejects(collect(engine, request), refusal, request.mode);
    }
    assert.equal(upstream.received.length, before, 'no request reached the server');
  });

  it('saved speakers get the prefix from cosyfleet, with a warning that the text normalizer is skipped', async () => {
    const request = { text: 'Hello there, from a saved speaker.', mode: 'preset' as const, voice: '英文男', language: 'en', speed: 1 };
    const warnings = engine.check(request);
    assert.deepEqual(warnings.map((w) => w.code), ['text_normalization_skipped']);
    assert.match(warnings[0]?.message ?? '', /fastapi_server\.py/);
    const pcm = await collect(engine, request);
    assert.ok(rms(pcm) > 0.01);
    assert.deepEqual(upstream.received.at(-1)?.fields, { tts_text: `${COSYVOICE3_PROMPT_PREFIX}${request.text}`, spk_id: '英文男' });
  });

  it('a server not yet identified (down at start) is identified before a prompt request is sent', async () => {
    const model2 = new StandInModel();
    await model2.start();
    const probe = new FakeFastApiServer(model2, { flavour: 'upstream' });
    const port = Number(new URL(await probe.start()).port);
    await probe.close();
    const own = engineFor(testSettings({ retries: 0 }), `http://127.0.0.1:${port}`);
    const late = new FakeFastApiServer(model2, { flavour: 'upstream' });
    try {
      await own.start();
      assert.equal(own.health().ready, false);
      const prompt = await makePrompt(model2);
      const request = { text: 'Hello there.', mode: 'clone' as const, voice: prompt.id, prompt, language: 'en', speed: 1 };
      assert.doesNotThrow(() => own.check(request), 'unknown server: nothing to refuse yet');
      await late.start(port);
      await assert.rejects(collect(own, request), { code: 'unsupported_mode', message: /#1805/ });
      assert.equal(late.received.length, 0);
    } finally {
      await own.close();
      await late.close();
      await model2.close();
    }
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
