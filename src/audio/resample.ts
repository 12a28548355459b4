// Streaming sample-rate conversion: the polyphase windowed-sinc filter in polyphase.ts, with its
// WebAssembly SIMD inner loop where the runtime has one and the same filter in a JavaScript loop
// otherwise (docs/audio-codecs.md has the measurements behind the choice). Until issue 13 this
// was libsamplerate's WASM build, which cost more than ffmpeg's whole CLI run; it remains a
// devDependency only, as the independent reference the polyphase tests and bench compare with.
import { concatFloat32 } from './pcm.js';
import { createPolyphaseResampler, polyphaseSimdAvailable, POLYPHASE_MAX_RATE, type PolyphaseKernel } from './polyphase.js';
import { assertSampleRate } from './s16le.js';
import { reason, warnFallback } from './codec-fallback.js';

export interface Resampler {
  readonly from: number;
  readonly to: number;
  /**
   * Converts the next chunk. The output lags the input by the filter's reach (a few ms), which
   * flush() releases. The returned array may be the input itself when from === to.
   */
  process(samples: Float32Array): Float32Array;
  /** Returns the delayed tail so the total output is round(totalIn * to / from); ends the stream. */
  flush(): Float32Array;
  /** Frees the filter's memory; idempotent. */
  destroy(): void;
}

export interface ResamplerOptions {
  /**
   * Which inner loop runs: 'auto' (default) takes the SIMD loop where WebAssembly SIMD exists,
   * 'js' forces the JavaScript loop (tests, bench). Both give the same samples within float
   * rounding.
   */
  kernel?: Extract<PolyphaseKernel, 'auto' | 'js'>;
}

/** The polyphase resampler, or its JavaScript loop when the SIMD one cannot start. */
function polyphase(from: number, to: number, kernel: 'auto' | 'js'): Resampler {
  if (kernel === 'js') return createPolyphaseResampler(from, to, { kernel: 'js' });
  if (!polyphaseSimdAvailable()) {
    warnFallback('resampler-simd', 'audio: this runtime has no WebAssembly SIMD; resampling runs in the slower JavaScript loop');
    return createPolyphaseResampler(from, to, { kernel: 'js' });
  }
  try {
    return createPolyphaseResampler(from, to, { kernel: 'auto' });
  } catch (err) {
    // The SIMD loop needs its own WebAssembly memory; where that cannot be had, the plain loop
    // still works.
    warnFallback('resampler-simd', `audio: the SIMD resampler could not start (${reason(err)}); resampling runs in the slower JavaScript loop`);
    return createPolyphaseResampler(from, to, { kernel: 'js' });
  }
}

/**
 * A streaming resampler from `from` Hz to `to` Hz (mono): transparent for speech (passband flat
 * to 0.9 x the lower Nyquist, >= 80 dB stopband), no delay, the same samples for any chunking.
 * RangeError for a rate that is not a plausible audio rate or is above 192 kHz. Async for the
 * callers' sake (it used to load WASM); the work itself is synchronous.
 */
export async function createResampler(from: number, to: number, options: ResamplerOptions = {}): Promise<Resampler> {
  assertSampleRate(from, 'input sample rate');
  assertSampleRate(to, 'output sample rate');
  if (from !== to && (from > POLYPHASE_MAX_RATE || to > POLYPHASE_MAX_RATE)) {
    throw new RangeError(`resampling supports rates up to ${POLYPHASE_MAX_RATE} Hz, got ${from} -> ${to}`);
  }
  return polyphase(from, to, options.kernel ?? 'auto');
}

/** One-shot conversion of a whole signal (same length rule as a flushed stream). */
export async function resampleAll(samples: Float32Array, from: number, to: number, options: ResamplerOptions = {}): Promise<Float32Array> {
  return convertAll(await createResampler(from, to, options), samples);
}

/** Runs a whole signal through a fresh resampler, flushes and destroys it. */
export function convertAll(r: Resampler, samples: Float32Array): Float32Array {
  try {
    const body = r.process(samples);
    const tail = r.flush();
    return tail.length === 0 ? body : concatFloat32([body, tail]);
  } finally {
    r.destroy();
  }
}
