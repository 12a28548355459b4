// espeak cannot clone: a library voice in mode preset is spoken by the preset its pitch
// suggests, with a warning; the cloning modes stay refused. Real espeak, nothing mocked.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { concatFloat32 } from '../../audio/pcm.js';
import { AppError } from '../../errors/app-error.js';
import { estimateMedianPitch } from '../../voices/pitch.js';
import type { SynthesisRequest, VoicePrompt } from '../engine.js';
import { EspeakEngine } from './engine.js';

const prompt = (pitchHz?: number): VoicePrompt => ({
  id: 'voice_abcdefghijklmnop',
  version: 1,
  transcript: 'Hello.',
  language: 'en',
  sampleRate: 16000,
  ...(pitchHz === undefined ? {} : { pitchHz }),
  loadAudio: async () => {
    throw new Error('espeak never needs the recording');
  },
});

const base: SynthesisRequest = { text: 'Good morning, how are you today?', mode: 'preset', voice: 'voice_abcdefghijklmnop', language: 'en', speed: 1 };

/** What identifies a preset's rendition of the sentence: its length and its pitch. */
interface Rendition {
  samples: number;
  pitchHz: number;
}

/** espeak varies by a few samples from call to call, so renditions match within a margin. */
function assertSameVoice(actual: Rendition, expected: Rendition, other: Rendition, what: string): void {
  assert.ok(Math.abs(actual.samples - expected.samples) < expected.samples * 0.01, `${what}: ${actual.samples} samples, expected ${expected.samples}`);
  assert.ok(Math.abs(actual.pitchHz - expected.pitchHz) < expected.pitchHz * 0.05, `${what}: ${actual.pitchHz} Hz, expected ${expected.pitchHz} Hz`);
  assert.ok(Math.abs(actual.pitchHz - other.pitchHz) > other.pitchHz * 0.3, `${what}: not the other preset (${other.pitchHz} Hz)`);
}

describe('espeak and cloned voices', () => {
  let engine: EspeakEngine;
  const speak = async (request: SynthesisRequest): Promise<Rendition> => {
    const chunks: Float32Array[] = [];
    for await (const chunk of engine.synthesize(request)) chunks.push(chunk.samples);
    const samples = concatFloat32(chunks);
    return { samples: samples.length, pitchHz: estimateMedianPitch(samples, engine.capabilities.sampleRate) ?? 0 };
  };
  before(async () => {
    engine = new EspeakEngine({ workers: 1 });
    await engine.start();
  });
  after(() => engine.close());

  it('approximates a high voice with a female preset and a low one with a male preset, and says so', async () => {
    const mei = await speak({ ...base, voice: 'mei' });
    const sam = await speak({ ...base, voice: 'sam' });
    for (const [pitch, preset, audio, other] of [[212, 'mei', mei, sam], [118, 'sam', sam, mei]] as const) {
      const request = { ...base, prompt: prompt(pitch) };
      const warning = engine.check(request).find((w) => w.code === 'voice_approximated');
      assert.ok(warning, `${pitch} Hz: warned`);
      assert.equal(warning.param, 'voice');
      assert.match(warning.message, new RegExp(`cloned voice voice_abcdefghijklmnop \\(median pitch ${pitch} Hz\\) with preset ${preset}; the CosyVoice3 engine clones it`));
      assertSameVoice(await speak(request), audio, other, `${pitch} Hz is spoken as preset ${preset}`);
    }
  });

  it('uses the default preset when the pitch is unknown', async () => {
    const request = { ...base, prompt: prompt() };
    assert.match(engine.check(request).find((w) => w.code === 'voice_approximated')?.message ?? '', /pitch unknown\) with preset mei/);
    assertSameVoice(await speak(request), await speak({ ...base, voice: 'mei' }), await speak({ ...base, voice: 'sam' }), 'unknown pitch');
  });

  it('still refuses the cloning modes and warns about nothing for plain presets', () => {
    for (const mode of ['clone', 'cross_lingual', 'instruct'] as const) {
      assert.throws(() => engine.check({ ...base, mode, prompt: prompt(200) }), (e: unknown) => e instanceof AppError && e.code === 'unsupported_mode', mode);
    }
    assert.deepEqual(engine.check({ ...base, voice: 'mei' }), []);
    assert.throws(() => engine.check(base), (e: unknown) => e instanceof AppError && e.code === 'unknown_voice', 'a library id without its prompt is unknown');
  });
});
