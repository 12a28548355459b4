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
import type { VoicePrompt } from '../../src/engines/engine.js';
import { AppError } from '../../src/errors/app-error.js';
import { audioFingerprint, FakeTritonServer, MODEL_NAME } from './fakes/triton-server.js';
import { StandInModel } from './fakes/model.js';
import { collect, collectUntilError, makePrompt, PROMPT_TEXT, recordingWav, testSettings } from './helpers.js';
import { waitFor } from '../helpers/wait.js';
import { postJson, startTestServer } from '../helpers/server.js';
import { expectError, uploadVoice } from '../helpers/voices.js';

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

// Many products have every speaker read the same enrolment script, so voices sharing a transcript
// are ordinary; the official model caches prompt features by transcript alone (model.py
// `_prepare_prompt`, `speaker_cache[reference_text]`), which the fake mirrors.
describe('triton: voices that share a transcript', () => {
  const SCRIPT = 'Please call Stella and ask her to bring these things with her from the store.';
  /** A cloned voice whose recording says `spoken` while its transcript is `transcript`. */
  const voice = async (id: string, spoken: string, transcript = SCRIPT, version = 1): Promise<VoicePrompt> => ({ ...(await makePrompt(model, id, spoken)), transcript, version });
  const speakAs = (prompt: VoicePrompt) => ({ text: 'Hello from the second speaker.', mode: 'clone' as const, voice: prompt.id, prompt, language: 'en', speed: 1 });
  let own: FakeTritonServer;
  before(async () => {
    await server();
    own = new FakeTritonServer(model);
    await own.start();
  });
  after(() => own.stop());
  /** Runs fn with a started engine in front of this block's own server (a fresh engine: a cosyfleet that knows nothing yet). */
  const withEngine = async (fn: (engine: TritonEngine) => Promise<void>) => {
    const engine = engineFor({}, own.address);
    await engine.start();
    try {
      await fn(engine);
    } finally {
      await engine.close();
    }
  };

  it('upstream behaviour: a second voice with the same transcript is spoken with the first one\'s recording', async () => {
    // Two cosyfleet processes (or one restarted) cannot know what the other sent; the server
    // answers the second voice from its cache anyway.
    const first = await voice('voice_sharedscript0001', 'The first speaker reads the enrolment script in her own voice.');
    const second = await voice('voice_sharedscript0002', 'A second speaker, quite different, reads the very same script.');
    for (const prompt of [first, second]) await withEngine(async (engine) => void (await collect(engine, speakAs(prompt))));
    const got = own.received.at(-1);
    assert.equal(got?.sentAudio, audioFingerprint(await second.loadAudio()));
    assert.equal(got?.speakerAudio, audioFingerprint(await first.loadAudio()), 'spoken with the first voice\'s recording');
  });

  it('refuses a second voice with the same transcript before sending anything, naming the first and the fix', async () => {
    await withEngine(async (engine) => {
      const first = await voice('voice_enrolmentspk0001', 'The first speaker reads the enrolment script in her own voice.', `${SCRIPT} (one)`);
      const second = await voice('voice_enrolmentspk0002', 'A second speaker, quite different, reads the very same script.', `${SCRIPT} (one)`);
      assert.ok(rms(await collect(engine, speakAs(first))) > 0.01);
      const sent = own.received.length;
      assert.throws(() => engine.check(speakAs(second)), (err: unknown) => {
        assert.ok(err instanceof AppError);
        assert.equal(err.code, 'voice_transcript_conflict');
        assert.equal(err.status, 409);
        assert.equal(err.param, 'voice');
        assert.match(err.message, /same transcript as voice "voice_enrolmentspk0001" \(version 1\)/);
        assert.match(err.message, /transcript of its own.*restart every Triton server/);
        return true;
      });
      const { samples, error } = await collectUntilError(engine, speakAs(second));
      assert.equal(error.code, 'voice_transcript_conflict');
      assert.equal(samples, 0);
      assert.equal(own.received.length, sent, 'nothing reached the server');
      // The first voice keeps working, and a transcript that differs at all is another cache entry.
      await collect(engine, speakAs(first));
      await collect(engine, speakAs({ ...second, transcript: `${SCRIPT} (one).` }));
      assert.equal(own.received.at(-1)?.speakerAudio, audioFingerprint(await second.loadAudio()));
    });
  });

  it('refuses a new version of a voice whose transcript did not change', async () => {
    await withEngine(async (engine) => {
      const v1 = await voice('voice_rerecordedvoice1', 'The first recording of this voice, made on a noisy day.', `${SCRIPT} (two)`);
      const v2 = await voice('voice_rerecordedvoice1', 'The second recording of this voice, made in a quiet room.', `${SCRIPT} (two)`, 2);
      await collect(engine, speakAs(v1));
      assert.throws(() => engine.check(speakAs(v2)), { code: 'voice_transcript_conflict', message: /version 1 of the same voice/ });
    });
  });

  it('two requests racing with one transcript: the first sent speaks, the other is refused before any audio', async () => {
    await withEngine(async (engine) => {
      const a = await voice('voice_racingvoice00001', 'The first speaker reads the enrolment script in her own voice.', `${SCRIPT} (three)`);
      const b = await voice('voice_racingvoice00002', 'A second speaker, quite different, reads the very same script.', `${SCRIPT} (three)`);
      // Both pass check() (nothing sent yet); the key is claimed when a segment is sent.
      assert.deepEqual(engine.check(speakAs(a)), []);
      assert.deepEqual(engine.check(speakAs(b)), []);
      const results = await Promise.allSettled([collect(engine, speakAs(a)), collect(engine, speakAs(b))]);
      assert.equal(results[0].status, 'fulfilled');
      assert.equal(results[1].status, 'rejected');
      assert.equal(((results[1] as PromiseRejectedResult).reason as AppError).code, 'voice_transcript_conflict');
      assert.equal(own.received.filter((r) => r.referenceText.endsWith('(three)')).length, 1);
    });
  });

  it('a REMOTE_VOICES_DIR voice owns its transcript from the start; two of them sharing one stop start()', async () => {
    await withEngine(async (engine) => {
      // narrator (REMOTE_VOICES_DIR, transcript PROMPT_TEXT) was never spoken, and still wins.
      const copy = await voice('voice_narratorcopycat1', 'Someone else reads the narrator\'s transcript.', PROMPT_TEXT);
      assert.throws(() => engine.check(speakAs(copy)), { code: 'voice_transcript_conflict', message: /the reference voice "narrator" from REMOTE_VOICES_DIR/ });
    });
    const dir = await mkdtemp(join(tmpdir(), 'cosyfleet-voices-'));
    try {
      for (const name of ['alice', 'bob']) {
        await writeFile(join(dir, `${name}.wav`), await recordingWav(model, `${name} reads the enrolment script aloud, slowly and clearly.`));
        await writeFile(join(dir, `${name}.txt`), SCRIPT);
      }
      const twins = engineFor({ voicesDir: dir }, own.address);
      try {
        await assert.rejects(twins.start(), /REMOTE_VOICES_DIR: "bob" and "alice" have the same transcript/);
      } finally {
        await twins.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('over HTTP: 409 voice_transcript_conflict in JSON, before any audio, even for a streamed request', async () => {
    const service = await startTestServer({ engine: 'triton', tritonUrl: own.address });
    try {
      const ids: string[] = [];
      for (const spoken of ['The first speaker reads the enrolment script in her own voice.', 'A second speaker, quite different, reads the very same script.']) {
        const res = await uploadVoice(service.url, { audio: { bytes: await recordingWav(model, spoken), filename: 'me.wav', type: 'audio/wav' }, fields: { transcript: `${SCRIPT} (four)` } });
        assert.equal(res.status, 201, await res.clone().text());
        ids.push(((await res.json()) as { id: string }).id);
      }
      const first = await postJson(`${service.url}/v1/tts`, { text: 'Hello there.', voice: ids[0], language: 'en', stream: true });
      assert.equal(first.status, 200, await first.clone().text());
      await first.arrayBuffer();
      const error = await expectError(await postJson(`${service.url}/v1/tts`, { text: 'Hello there.', voice: ids[1], language: 'en', stream: true }), 409, 'voice_transcript_conflict', 'voice');
      assert.match(error.message, new RegExp(`same transcript as voice "${ids[0]}"`));
    } finally {
      await service.close();
    }
  });
});
