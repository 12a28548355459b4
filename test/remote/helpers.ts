// Shared pieces of the remote-engine tests: settings with test-sized timeouts, reading an
// engine's whole output, and prompt recordings made by the stand-in model.
import assert from 'node:assert/strict';
import { AppError } from '../../src/errors/app-error.js';
import { concatFloat32 } from '../../src/audio/pcm.js';
import { resampleAll } from '../../src/audio/resample.js';
import { encodeWav } from '../../src/engines/remote/pcm.js';
import type { Engine, SynthesisRequest, VoicePrompt } from '../../src/engines/engine.js';
import type { RemoteSettings } from '../../src/engines/remote/base.js';
import { MODEL_RATE, type StandInModel } from './fakes/model.js';

export function testSettings(overrides: Partial<RemoteSettings> & { firstByteMs?: number; idleMs?: number } = {}): RemoteSettings {
  const { firstByteMs, idleMs, ...rest } = overrides;
  return {
    concurrency: 2,
    // Generous: these bound a broken test, they are not what the tests measure.
    timeouts: { connectMs: 5000, firstByteMs: firstByteMs ?? 60_000, idleMs: idleMs ?? 60_000 },
    retries: 1,
    backoffMs: 10,
    healthIntervalMs: 60_000,
    voicesDir: '',
    ...rest,
  };
}

export async function collect(engine: Engine, request: SynthesisRequest, signal?: AbortSignal): Promise<Float32Array> {
  const chunks: Float32Array[] = [];
  for await (const chunk of engine.synthesize(request, signal ? { signal } : {})) {
    assert.equal(chunk.sampleRate, engine.capabilities.sampleRate);
    chunks.push(chunk.samples);
  }
  return concatFloat32(chunks);
}

/** Reads until the engine fails; returns the samples that arrived first and the error. */
export async function collectUntilError(engine: Engine, request: SynthesisRequest): Promise<{ samples: number; error: AppError }> {
  let samples = 0;
  try {
    for await (const chunk of engine.synthesize(request)) samples += chunk.samples.length;
  } catch (err) {
    assert.ok(err instanceof AppError, `expected an AppError, got ${String(err)}`);
    return { samples, error: err };
  }
  assert.fail('expected the synthesis to fail');
}

export const PROMPT_TEXT = 'The quick brown fox jumps over the lazy dog, then it runs into the forest.';

/** A cloned voice as the library hands it to engines: the stand-in model's speech at 16 kHz. */
export async function makePrompt(model: StandInModel, id = 'voice_remotetestvoice1', text = PROMPT_TEXT): Promise<VoicePrompt> {
  const parts: Float32Array[] = [];
  for await (const piece of model.speak(text)) parts.push(piece);
  const audio = await resampleAll(concatFloat32(parts), MODEL_RATE, 16000);
  return { id, version: 1, transcript: text, language: 'en', sampleRate: 16000, loadAudio: async () => audio };
}

/** A WAV recording of the stand-in model (for uploads to the voice library or REMOTE_VOICES_DIR). */
export async function recordingWav(model: StandInModel, text = PROMPT_TEXT): Promise<Buffer> {
  const parts: Float32Array[] = [];
  for await (const piece of model.speak(text)) parts.push(piece);
  return encodeWav(concatFloat32(parts), MODEL_RATE);
}
