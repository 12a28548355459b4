// The engine conformance suite: every engine (embedded, GPU worker, remote adapters) must pass
// it. An engine that cannot meet a check skips it explicitly with a reason, which the test
// report shows; a skip is never silent.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../errors/app-error.js';
import { concatFloat32, rms } from '../audio/pcm.js';
import { resampleAll } from '../audio/resample.js';
import { ENGINE_API_VERSION, SYNTHESIS_MODES, type Engine, type SynthesisRequest, type VoicePrompt } from './engine.js';

export type ConformanceCheck =
  | 'capabilities'
  | 'voices'
  | 'languages'
  | 'streaming'
  | 'refusals'
  | 'prompts'
  | 'abort'
  | 'early-return'
  | 'speed'
  | 'concurrency'
  | 'close';

export interface ConformanceOptions {
  /** Checks this engine cannot pass, each with the reason shown in the report. */
  skip?: Partial<Record<ConformanceCheck, string>>;
  /** A sentence per language; defaults cover the common languages. */
  samples?: Record<string, string>;
  /** The same request always gives the same audio (lets the suite catch mixed-up outputs). */
  deterministic?: boolean;
}

export const SAMPLE_TEXT: Record<string, string> = {
  en: 'The quick brown fox jumps over the lazy dog.',
  cmn: '今天天气很好，我们一起去公园散步吧。',
  yue: '今日天氣好好，我哋一齊去公園行下啦。',
  ja: '今日はとても良い天気ですね。',
  ko: '오늘은 날씨가 아주 좋습니다.',
  de: 'Heute ist ein wunderschöner Tag.',
  es: 'Hoy hace un día muy bonito.',
  fr: 'Il fait très beau aujourd\'hui.',
  it: 'Oggi è una bellissima giornata.',
  ru: 'Сегодня прекрасная погода.',
};

const LONG_EN =
  'This is a longer sentence that an engine has to speak, and it keeps going with several clauses, so that a streaming engine has time to produce more than one chunk of audio before it is done.';

async function collect(engine: Engine, request: SynthesisRequest, signal?: AbortSignal) {
  const chunks: Float32Array[] = [];
  for await (const chunk of engine.synthesize(request, { signal })) {
    assert.equal(chunk.sampleRate, engine.capabilities.sampleRate, 'chunk sample rate must equal the declared rate');
    chunks.push(chunk.samples);
  }
  return { chunks, samples: concatFloat32(chunks) };
}

export function runEngineConformance(label: string, makeEngine: () => Promise<Engine>, options: ConformanceOptions = {}): void {
  const skip = options.skip ?? {};
  const samples = { ...SAMPLE_TEXT, ...options.samples };
  const test = (check: ConformanceCheck, name: string, fn: () => Promise<void> | void) =>
    it(`${check}: ${name}`, skip[check] ? { skip: skip[check] } : {}, fn);

  describe(`engine conformance: ${label}`, () => {
    let engine: Engine;
    let base: SynthesisRequest;

    before(async () => {
      engine = await makeEngine();
      await engine.start();
      const voice = (await engine.listVoices())[0];
      assert.ok(voice, 'engine must list at least one voice');
      const language = engine.capabilities.languages.includes('en') ? 'en' : (engine.capabilities.languages[0] as string);
      base = { text: samples[language] ?? LONG_EN, mode: engine.capabilities.modes[0] ?? 'preset', voice: voice.id, language, speed: 1 };
    });
    after(async () => {
      await engine?.close();
    });

    test('capabilities', 'are complete and consistent', () => {
      const c = engine.capabilities;
      assert.equal(c.apiVersion, ENGINE_API_VERSION);
      assert.match(c.name, /^[a-z][a-z0-9-]*$/);
      assert.ok(c.modes.length > 0 && c.modes.every((m) => (SYNTHESIS_MODES as readonly string[]).includes(m)), 'modes');
      assert.ok(c.languages.length > 0, 'languages');
      assert.ok(c.sampleRate >= 8000 && c.sampleRate <= 48000, 'sampleRate');
      assert.ok(Number.isInteger(c.maxSegmentChars) && c.maxSegmentChars > 0, 'maxSegmentChars');
      assert.ok(c.speed.min > 0 && c.speed.min <= 1 && c.speed.max >= 1, 'speed range contains 1');
      assert.ok(c.concurrency >= 1, 'concurrency');
      assert.ok(c.batching.maxBatch >= 1, 'maxBatch');
      assert.ok(c.rtf === undefined || (Number.isFinite(c.rtf) && c.rtf > 0), 'rtf, when declared, is a positive real-time factor');
      assert.ok(engine.health().ready, 'ready after start()');
    });

    test('voices', 'are listed with unique ids', async () => {
      const voices = await engine.listVoices();
      assert.ok(voices.length > 0);
      assert.equal(new Set(voices.map((v) => v.id)).size, voices.length, 'ids are unique');
      for (const v of voices) {
        assert.equal(v.engine, engine.capabilities.name);
        assert.ok(v.name.length > 0);
        assert.ok(v.languages.every((l) => engine.capabilities.languages.includes(l)), `voice ${v.id} languages`);
      }
    });

    test('languages', 'every declared language with a sample sentence gives non-silent audio', async () => {
      const tried: string[] = [];
      for (const language of engine.capabilities.languages) {
        const text = samples[language];
        if (!text) continue;
        tried.push(language);
        const { samples: pcm } = await collect(engine, { ...base, text, language });
        const seconds = pcm.length / engine.capabilities.sampleRate;
        assert.ok(seconds > 0.3 && seconds < 30, `${language}: ${seconds.toFixed(2)} s`);
        assert.ok(rms(pcm) > 0.01, `${language}: audio is not silent (rms ${rms(pcm).toFixed(4)})`);
      }
      assert.ok(tried.length > 0, 'at least one declared language has a sample');
    });

    test('streaming', 'a long segment arrives in several chunks', async () => {
      assert.ok(engine.capabilities.streaming, 'engine declares streaming');
      const { chunks } = await collect(engine, { ...base, text: LONG_EN, language: 'en' });
      assert.ok(chunks.length > 1, `got ${chunks.length} chunk(s)`);
    });

    test('refusals', 'unsupported mode, unknown voice and unknown language are AppErrors', () => {
      const expectCode = (fn: () => unknown, code: string) =>
        assert.throws(fn, (e: unknown) => e instanceof AppError && e.code === code, `expected ${code}`);
      for (const mode of SYNTHESIS_MODES.filter((m) => !engine.capabilities.modes.includes(m))) {
        expectCode(() => engine.check({ ...base, mode }), 'unsupported_mode');
      }
      expectCode(() => engine.check({ ...base, voice: 'no-such-voice-\u2603' }), 'unknown_voice');
      expectCode(() => engine.check({ ...base, language: 'tlh' }), 'unsupported_language');
      assert.ok(Array.isArray(engine.check(base)), 'a valid request gives a warnings array');
    });

    // planSynthesis sends a library voice in mode clone where the engine declares it, else in
    // mode preset; an engine that cannot clone must then speak it anyway and say so.
    test('prompts', 'a library voice is spoken: cloned where the engine clones, else by a preset with a voice_approximated warning', async () => {
      const recording = await collect(engine, base);
      const audio = await resampleAll(recording.samples, engine.capabilities.sampleRate, 16000);
      const prompt: VoicePrompt = { id: 'voice_conformancetest', version: 1, transcript: base.text, language: base.language, sampleRate: 16000, gender: 'male', loadAudio: async () => audio };
      await engine.prepareVoice?.(prompt);
      const clones = engine.capabilities.modes.includes('clone');
      const request: SynthesisRequest = { ...base, mode: clones ? 'clone' : 'preset', voice: prompt.id, prompt };
      const warnings = engine.check(request);
      // The declared gender travels with the prompt (through worker processes too), and an
      // approximation says what it went by.
      if (!clones) assert.ok(warnings.some((w) => w.code === 'voice_approximated' && /\bmale\b/.test(w.message)), `warns voice_approximated by the declared gender: ${JSON.stringify(warnings)}`);
      const { samples } = await collect(engine, request);
      assert.ok(rms(samples) > 0.01, `audio is not silent (rms ${rms(samples).toFixed(4)})`);
    });

    test('abort', 'aborting stops synthesis early and the engine keeps working', async () => {
      const full = await collect(engine, { ...base, text: LONG_EN, language: 'en' });
      const controller = new AbortController();
      let received = 0;
      await assert.rejects(
        (async () => {
          for await (const chunk of engine.synthesize({ ...base, text: LONG_EN, language: 'en' }, { signal: controller.signal })) {
            received += chunk.samples.length;
            controller.abort();
          }
        })(),
        (e: unknown) => e instanceof AppError && e.code === 'cancelled',
      );
      assert.ok(received < full.samples.length, `aborted run produced ${received} of ${full.samples.length} samples`);
      const again = await collect(engine, base);
      assert.ok(again.samples.length > 0, 'engine still synthesizes after an abort');
    });

    test('early-return', 'a consumer that stops reading does not wedge the engine', async () => {
      for await (const _chunk of engine.synthesize({ ...base, text: LONG_EN, language: 'en' })) break;
      const again = await collect(engine, base);
      assert.ok(again.samples.length > 0);
    });

    test('speed', 'speed 2 is shorter than speed 0.5', async () => {
      const c = engine.capabilities.speed;
      const fast = await collect(engine, { ...base, speed: Math.min(2, c.max) });
      const slow = await collect(engine, { ...base, speed: Math.max(0.5, c.min) });
      assert.ok(fast.samples.length < slow.samples.length * 0.8, `fast ${fast.samples.length} vs slow ${slow.samples.length}`);
    });

    test('concurrency', 'more calls than declared concurrency all complete', async () => {
      const n = engine.capabilities.concurrency * 2 + 1;
      const results = await Promise.all(Array.from({ length: n }, () => collect(engine, base)));
      const lengths = new Set(results.map((r) => r.samples.length));
      assert.ok(results.every((r) => r.samples.length > 0));
      if (options.deterministic) assert.equal(lengths.size, 1, 'a deterministic engine gives identical lengths');
    });

    test('close', 'close is idempotent and refuses later work', async () => {
      const spare = await makeEngine();
      await spare.start();
      await spare.close();
      await spare.close();
      assert.equal(spare.health().ready, false);
      await assert.rejects(collect(spare, base));
    });
  });
}
