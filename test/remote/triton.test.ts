// Engine triton against a stand-in for Triton serving the official cosyvoice3 model. The model
// (TensorRT-LLM, a GPU, Fun-CosyVoice3 weights) is stood in for at the process boundary: the fake
// (fakes/triton-server.ts) is a real @grpc/grpc-js server of the vendored KServe v2 proto that
// checks inputs against the official config.pbtxt, backed by espeak.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEngineConformance } from '../../src/engines/conformance.js';
import { rms } from '../../src/audio/pcm.js';
import { COSYVOICE3_PROMPT_PREFIX } from '../../src/engines/remote/cosyvoice3.js';
import { TritonEngine } from '../../src/engines/remote/triton.js';
import type { RemoteSettings } from '../../src/engines/remote/base.js';
import { FakeTritonServer, MODEL_NAME } from './fakes/triton-server.js';
import { StandInModel } from './fakes/model.js';
import { collect, collectUntilError, makePrompt, PROMPT_TEXT, recordingWav, testSettings } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

const model = new StandInModel();
const fake = new FakeTritonServer(model);
let voicesDir = '';
let ready: Promise<void> | null = null;
// The model only clones, so presets are reference recordings in REMOTE_VOICES_DIR.
const server = () =>
  (ready ??= (async () => {
    await model.start();
    await fake.start();
    voicesDir = await mkdtemp(join(tmpdir(), 'cosyfleet-voices-'));
    await writeFile(join(voicesDir, 'narrator.wav'), await recordingWav(model));
    await writeFile(join(voicesDir, 'narrator.txt'), PROMPT_TEXT);
  })());
after(async () => {
  fake.stop();
  await model.close();
  if (voicesDir) await rm(voicesDir, { recursive: true, force: true });
});

const engineFor = (remote: Partial<RemoteSettings> & { firstByteMs?: number } = {}, url = fake.address, modelName = MODEL_NAME) =>
  new TritonEngine({ url, model: modelName, sampleRate: 24000, remote: testSettings({ voicesDir, ...remote }) });

runEngineConformance(
  'triton',
  async () => {
    await server();
    return engineFor();
  },
  { skip: { speed: 'the official cosyvoice3 Triton model has no speed input; the engine warns speed_ignored instead' } },
);

describe('triton: what goes over the wire', () => {
  let engine: TritonEngine;
  before(async () => {
    await server();
    engine = engineFor();
    await engine.start();
  });
  after(() => engine.close());

  it('sends the inputs config.pbtxt declares, asks for the empty final response, and streams several waveform responses', async () => {
    const prompt = await makePrompt(model, 'voice_tritonwiretest01', 'A different transcript for this prompt, spoken slowly and clearly.');
    const chunks: number[] = [];
    for await (const c of engine.synthesize({ text: 'Hello from Triton, in several pieces of audio.', mode: 'clone', voice: prompt.id, prompt, language: 'en', speed: 1, requestId: 'req-42' })) chunks.push(c.samples.length);
    assert.ok(chunks.length > 1, `decoupled mode streams: ${chunks.length} chunk(s)`);
    const got = fake.received.at(-1);
    assert.equal(got?.id, 'req-42');
    assert.equal(got?.targetText, 'Hello from Triton, in several pieces of audio.');
    // cosyfleet sends the plain transcript; the model adds CosyVoice3's prefix itself.
    assert.equal(got?.referenceText, `${COSYVOICE3_PROMPT_PREFIX}${prompt.transcript}`);
    assert.equal(got?.referenceLength, (await prompt.loadAudio()).length);
    assert.equal(got?.finalResponseRequested, true);
  });

  it('reads a model deployed without decoupled mode: one response, flagged final', async () => {
    fake.decoupled = false;
    try {
      const pcm = await collect(engine, { text: 'One response only.', mode: 'preset', voice: 'narrator', language: 'en', speed: 1 });
      assert.ok(rms(pcm) > 0.01);
    } finally {
      fake.decoupled = true;
    }
  });

  it('only clones: cross_lingual and instruct are refused, speed and seed are warned about', () => {
    const base = { text: 'Hi.', voice: 'narrator', language: 'en', speed: 1 } as const;
    assert.throws(() => engine.check({ ...base, mode: 'cross_lingual' }), { code: 'unsupported_mode' });
    assert.throws(() => engine.check({ ...base, mode: 'instruct' }), { code: 'unsupported_mode' });
    assert.deepEqual(engine.check({ ...base, mode: 'preset', speed: 2, seed: 1 }).map((w) => w.code).sort(), ['seed_ignored', 'speed_ignored']);
  });

  it('a model error answered as error_message is the remote\'s message in an AppError', async () => {
    const bad = engineFor({ retries: 0 }, fake.address, MODEL_NAME);
    await bad.start();
    try {
      fake.faults.failBeforeAudio = 1;
      const { error } = await collectUntilError(bad, { text: 'Hello.', mode: 'preset', voice: 'narrator', language: 'en', speed: 1 });
      assert.equal(error.code, 'engine_failed');
      assert.match(error.message, /Error in streaming request: LLM server answered 503/);
    } finally {
      fake.faults.failBeforeAudio = 0;
      await bad.close();
    }
  });
});

describe('triton: failures', () => {
  let engine: TritonEngine;
  before(async () => {
    await server();
    engine = engineFor();
    await engine.start();
  });
  after(() => engine.close());
  const request = { text: 'First part of the story, second part of the story, and the end.', mode: 'preset' as const, voice: 'narrator', language: 'en', speed: 1 };

  it('a model error before any audio is retried once, and the segment succeeds', async () => {
    const before = fake.received.length;
    fake.faults.failBeforeAudio = 1;
    const pcm = await collect(engine, request);
    assert.ok(rms(pcm) > 0.01);
    assert.equal(fake.received.length - before, 2);
  });

  it('a model that fails mid-stream: engine_failed after the audio already sent, no retry', async () => {
    const before = fake.received.length;
    fake.faults.dieAfterPieces = 2;
    const { samples, error } = await collectUntilError(engine, request);
    assert.ok(samples > 0);
    assert.equal(error.code, 'engine_failed');
    assert.match(error.message, /after part of the audio.*illegal memory access/);
    assert.equal(fake.received.length - before, 1);
  });

  it('a model slower than REMOTE_TIMEOUT_MS fails with engine_failed, no hang', async () => {
    const slow = engineFor({ firstByteMs: 200, retries: 0 });
    await slow.start();
    try {
      fake.faults.delayFirstAudioMs = 2000;
      const { error } = await collectUntilError(slow, request);
      assert.equal(error.code, 'engine_failed');
      assert.match(error.message, /no audio within 200 ms/);
    } finally {
      fake.faults.delayFirstAudioMs = 0;
      await slow.close();
    }
  });
});

describe('triton: health from ServerReady and ModelReady', () => {
  it('is red for a model the server does not have', async () => {
    await server();
    const engine = engineFor({}, fake.address, 'no_such_model');
    try {
      await engine.start();
      assert.equal(engine.health().ready, false);
      assert.match(engine.health().detail ?? '', /NOT_FOUND: Request for unknown model/);
    } finally {
      await engine.close();
    }
  });

  it('goes red when the model is unloaded or the server dies, green when it is back', async () => {
    await server();
    const own = new FakeTritonServer(model);
    await own.start();
    const engine = engineFor({ healthIntervalMs: 50 }, own.address);
    try {
      await engine.start();
      assert.equal(engine.health().ready, true);
      own.modelReady = false;
      await waitFor(() => !engine.health().ready, 'health to go red for an unloaded model');
      assert.match(engine.health().detail ?? '', /model "cosyvoice3" is not ready/);
      own.modelReady = true;
      await waitFor(() => engine.health().ready, 'health to go green');
      const port = own.port;
      own.stop();
      await waitFor(() => !engine.health().ready, 'health to go red for a dead server');
      const back = new FakeTritonServer(model);
      await back.start(port);
      try {
        await waitFor(() => engine.health().ready, 'health to go green after the restart');
      } finally {
        back.stop();
      }
    } finally {
      own.stop();
      await engine.close();
    }
  });
});
