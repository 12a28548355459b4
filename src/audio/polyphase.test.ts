// The polyphase resampler measured as a filter: passband ripple and timing, images and aliases
// of single tones swept across the band and of a multi-tone signal, exact output length,
// chunking-invariance, both inner loops (SIMD and JavaScript), and agreement with libsamplerate
// (the service's resampler before issue 13, now a devDependency used as the reference) on real
// espeak speech.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { concatFloat32 } from './pcm.js';
import { createPolyphaseResampler, designPolyphase, polyphaseResampleAll, polyphaseSimdAvailable, type PolyphaseKernel } from './polyphase.js';
import { libsamplerateAll } from '../../test/helpers/libsamplerate.js';
import { irregularChunks } from './test-helpers.js';
import { EspeakEngine } from '../engines/espeak/engine.js';

/** The filter's promise: at least 80 dB down in the stopband, flat passband. */
const STOPBAND_DB = -80;
const RIPPLE_DB = 0.01;

const PAIRS: ReadonlyArray<readonly [number, number]> = [
  [22050, 24000],
  [24000, 48000],
  [22050, 48000],
  [44100, 16000],
  [48000, 16000],
  [16000, 44100],
  [8000, 192000],
  [192000, 8000],
  [37000, 41000],
  // L = 44099: too many phases to store, so the interpolated bank (JavaScript loop) runs.
  [44100, 44099],
];

const KERNELS: readonly PolyphaseKernel[] = polyphaseSimdAvailable() ? ['simd', 'js'] : ['js'];

function tone(hz: number, rate: number, n: number, amplitude = 0.5, phase = 0.3): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = amplitude * Math.sin((2 * Math.PI * hz * i) / rate + phase);
  return x;
}

const db = (ratio: number) => 20 * Math.log10(ratio);

function rmsOf(x: Float32Array, from: number, to: number): number {
  let e = 0;
  for (let i = from; i < to; i++) e += (x[i] as number) ** 2;
  return Math.sqrt(e / Math.max(1, to - from));
}

/**
 * Least-squares fit of sinusoids at the given frequencies (plus nothing else) to y[from, to):
 * each one's amplitude and phase (as in amplitude * sin(2 pi f i / rate + phase)) and the RMS
 * of what the fit leaves: everything that is not those tones (images, aliases, noise).
 */
function fitTones(y: Float32Array, hz: readonly number[], rate: number, from: number, to: number): { amplitude: number[]; phase: number[]; residual: number } {
  const k = 2 * hz.length;
  const basis = (i: number): number[] => hz.flatMap((f) => [Math.sin((2 * Math.PI * f * i) / rate), Math.cos((2 * Math.PI * f * i) / rate)]);
  const a = Array.from({ length: k }, () => new Float64Array(k + 1));
  for (let i = from; i < to; i++) {
    const b = basis(i);
    for (let r = 0; r < k; r++) {
      const row = a[r] as Float64Array;
      for (let c = 0; c < k; c++) row[c] = (row[c] as number) + (b[r] as number) * (b[c] as number);
      row[k] = (row[k] as number) + (b[r] as number) * (y[i] as number);
    }
  }
  // Gauss-Jordan on the normal equations (small and well conditioned: distinct frequencies).
  for (let p = 0; p < k; p++) {
    const pivot = a[p] as Float64Array;
    for (let r = 0; r < k; r++) {
      if (r === p) continue;
      const row = a[r] as Float64Array;
      const m = (row[p] as number) / (pivot[p] as number);
      for (let c = p; c <= k; c++) row[c] = (row[c] as number) - m * (pivot[c] as number);
    }
  }
  const coef = a.map((row, r) => (row[k] as number) / (row[r] as number));
  let residual = 0;
  for (let i = from; i < to; i++) {
    const b = basis(i);
    let v = 0;
    for (let r = 0; r < k; r++) v += (coef[r] as number) * (b[r] as number);
    residual += ((y[i] as number) - v) ** 2;
  }
  return {
    amplitude: hz.map((_, t) => Math.hypot(coef[2 * t] as number, coef[2 * t + 1] as number)),
    phase: hz.map((_, t) => Math.atan2(coef[2 * t + 1] as number, coef[2 * t] as number)),
    residual: Math.sqrt(residual / (to - from)),
  };
}

/** Output samples within reach of the signal's edges (start-up and the silence after the end). */
function edge(from: number, to: number): number {
  return Math.ceil((designPolyphase(from, to).taps * to) / from) + 8;
}

function streamed(from: number, to: number, input: Float32Array, sizes: readonly number[], kernel: PolyphaseKernel = 'auto'): Float32Array {
  const r = createPolyphaseResampler(from, to, { kernel });
  const parts: Float32Array[] = [];
  let at = 0;
  for (const n of sizes) {
    parts.push(r.process(input.subarray(at, at + n)));
    at += n;
  }
  parts.push(r.flush());
  r.destroy();
  return concatFloat32(parts);
}

describe('polyphase: frequency response', () => {
  for (const [from, to] of PAIRS) {
    const nyquist = Math.min(from, to) / 2;
    it(`${from} -> ${to}: passband flat to 0.9 x Nyquist, on time, images and aliases >= 80 dB down`, () => {
      const n = Math.round(from * 0.2);
      const skip = edge(from, to);
      for (let k = 1; k <= 24; k++) {
        const hz = (0.9 * nyquist * k) / 24;
        const out = polyphaseResampleAll(tone(hz, from, n), from, to);
        const fit = fitTones(out, [hz], to, skip, out.length - skip);
        const gain = db((fit.amplitude[0] as number) / 0.5);
        assert.ok(Math.abs(gain) < RIPPLE_DB, `${hz.toFixed(0)} Hz: gain ${gain.toFixed(5)} dB`);
        // The phase the input had: output sample n is the input at time n * from / to.
        assert.ok(Math.abs((fit.phase[0] as number) - 0.3) < 1e-3, `${hz.toFixed(0)} Hz: phase ${fit.phase[0]}`);
        const spurious = db(fit.residual / (0.5 / Math.SQRT2));
        assert.ok(spurious < STOPBAND_DB, `${hz.toFixed(0)} Hz: everything but the tone at ${spurious.toFixed(1)} dB`);
      }
    });

    if (to < from) {
      it(`${from} -> ${to}: tones swept from the new Nyquist to the old one come out >= 80 dB down`, () => {
        const n = Math.round(from * 0.2);
        const skip = edge(from, to);
        for (let k = 0; k <= 24; k++) {
          const hz = nyquist + (from / 2 - nyquist) * 0.99 * (k / 24);
          const out = polyphaseResampleAll(tone(hz, from, n), from, to);
          const level = db(rmsOf(out, skip, out.length - skip) / (0.5 / Math.SQRT2));
          assert.ok(level < STOPBAND_DB, `${hz.toFixed(0)} Hz aliased at ${level.toFixed(1)} dB`);
        }
      });
    }
  }

  it('48000 -> 16000: a multi-tone signal keeps its passband tones and loses its stopband ones', () => {
    const from = 48000;
    const to = 16000;
    const n = from / 4;
    const pass = [150, 1234, 3001, 5555, 7100];
    const stop = [8000, 9100, 12345, 17000, 23000];
    const x = new Float32Array(n);
    for (const hz of [...pass, ...stop]) {
      const t = tone(hz, from, n, 0.09, hz / 1000);
      for (let i = 0; i < n; i++) x[i] = (x[i] as number) + (t[i] as number);
    }
    const out = polyphaseResampleAll(x, from, to);
    const skip = edge(from, to);
    const fit = fitTones(out, pass, to, skip, out.length - skip);
    for (const [i, amplitude] of fit.amplitude.entries()) assert.ok(Math.abs(db(amplitude / 0.09)) < RIPPLE_DB, `${pass[i]} Hz at ${db(amplitude / 0.09)} dB`);
    // What is left is the five stopband tones' aliases; each must be 80 dB under its tone.
    const aliases = db(fit.residual / (Math.sqrt(stop.length) * (0.09 / Math.SQRT2)));
    assert.ok(aliases < STOPBAND_DB, `aliases at ${aliases.toFixed(1)} dB`);
  });

  it('a constant stays constant (unit gain at DC in every phase)', () => {
    for (const [from, to] of PAIRS) {
      const out = polyphaseResampleAll(new Float32Array(from / 10).fill(0.25), from, to);
      const skip = edge(from, to);
      for (let i = skip; i < out.length - skip; i++) assert.ok(Math.abs((out[i] as number) - 0.25) < 1e-6, `${from} -> ${to} [${i}] ${out[i]}`);
    }
  });
});

describe('polyphase: length and streaming', () => {
  for (const [from, to] of PAIRS) {
    it(`${from} -> ${to}: round(n * to / from) samples, one-shot or streamed, on every kernel`, () => {
      for (const n of [0, 1, 7, 1000, 22051, 100003]) {
        const input = tone(440, from, n);
        const want = Math.round((n * to) / from);
        assert.equal(polyphaseResampleAll(input, from, to).length, want, `one-shot n=${n}`);
        for (const kernel of KERNELS) {
          if (kernel === 'simd' && !designPolyphase(from, to).exact) continue;
          assert.equal(streamed(from, to, input, irregularChunks(n, n + 1, 5000), kernel).length, want, `${kernel} streamed n=${n}`);
        }
      }
    });
  }

  it('gives the same samples for any chunking (fast-check), single samples and calls past the internal slice', () => {
    const input = Float32Array.from({ length: 60000 }, (_, i) => 0.4 * Math.sin(i / 7) + 0.3 * Math.sin(i / 2.3) * Math.sin(i / 900));
    for (const [from, to] of PAIRS) {
      for (const kernel of KERNELS) {
        if (kernel === 'simd' && !designPolyphase(from, to).exact) continue;
        const whole = streamed(from, to, input, [input.length], kernel);
        fc.assert(
          fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 40000 }), (seed, max) => {
            assert.deepEqual(streamed(from, to, input, irregularChunks(input.length, seed, max), kernel), whole);
          }),
          { numRuns: 8, seed: from + to },
        );
        const ones = streamed(from, to, input.subarray(0, 3000), new Array<number>(3000).fill(1), kernel);
        assert.deepEqual(ones, streamed(from, to, input.subarray(0, 3000), [3000], kernel), `${from} -> ${to} ${kernel}: one sample at a time`);
      }
    }
  });

  it('the SIMD and JavaScript loops agree to float precision', { skip: polyphaseSimdAvailable() ? false : 'this runtime has no WebAssembly SIMD' }, () => {
    const input = tone(3000, 22050, 30000);
    for (const [from, to] of PAIRS.filter(([f, t]) => designPolyphase(f, t).exact)) {
      const simd = streamed(from, to, input, [input.length], 'simd');
      const js = streamed(from, to, input, [input.length], 'js');
      let worst = 0;
      for (let i = 0; i < js.length; i++) worst = Math.max(worst, Math.abs((simd[i] as number) - (js[i] as number)));
      assert.ok(worst < 1e-6, `${from} -> ${to}: ${worst}`);
    }
  });

  it('follows the Resampler contract: identity at equal rates, refusals, flush ends the stream', () => {
    const same = createPolyphaseResampler(24000, 24000);
    const x = tone(440, 24000, 100);
    assert.equal(same.process(x), x);
    assert.equal(same.flush().length, 0);
    assert.throws(() => createPolyphaseResampler(384000, 48000), RangeError);
    assert.throws(() => createPolyphaseResampler(22050, 999), RangeError);
    const r = createPolyphaseResampler(22050, 24000);
    r.process(x);
    r.flush();
    assert.equal(r.flush().length, 0, 'a second flush is empty');
    assert.throws(() => r.process(x), /after flush/);
    r.destroy();
    r.destroy();
  });
});

describe('polyphase vs libsamplerate on speech', () => {
  let speech: Float32Array = new Float32Array(0);
  let rate = 0;
  before(async () => {
    const engine = new EspeakEngine({ workers: 1 });
    await engine.start();
    const parts: Float32Array[] = [];
    const text = 'Sample rates differ, but the words should not. A resampler that is transparent for speech keeps every consonant and vowel in place.';
    for await (const chunk of engine.synthesize({ text, mode: 'preset', voice: 'mei', language: 'en', speed: 1 })) {
      parts.push(chunk.samples);
      rate = chunk.sampleRate;
    }
    await engine.close();
    speech = concatFloat32(parts);
  });
  after(() => {
    speech = new Float32Array(0);
  });

  for (const to of [8000, 16000, 24000, 48000]) {
    it(`espeak speech -> ${to} Hz: same length as libsamplerate medium; the same in the passband, close overall`, async () => {
      assert.ok(speech.length > rate * 3, 'espeak spoke');
      const ours = polyphaseResampleAll(speech, rate, to);
      const theirs = await libsamplerateAll(speech, rate, to, 'medium');
      assert.equal(ours.length, theirs.length);
      const snr = (a: Float32Array, b: Float32Array) => {
        let s = 0;
        let e = 0;
        for (let i = 0; i < a.length; i++) {
          s += (b[i] as number) ** 2;
          e += ((a[i] as number) - (b[i] as number)) ** 2;
        }
        return 10 * Math.log10(s / e);
      };
      // Over the whole band they differ only where the two filters' transition bands differ
      // (libsamplerate's is narrower), which is where speech at 22.05 kHz has little energy.
      const overall = snr(ours, theirs);
      assert.ok(overall > 25, `overall SNR ${overall.toFixed(1)} dB`);
      // Below both transition bands (low-passed by resampling both to 0.8x), they agree to
      // float precision.
      const low = Math.round(Math.min(rate, to) * 0.8);
      const passband = snr(polyphaseResampleAll(ours, to, low), polyphaseResampleAll(theirs, to, low));
      assert.ok(passband > 80, `passband SNR ${passband.toFixed(1)} dB`);
    });
  }
});
