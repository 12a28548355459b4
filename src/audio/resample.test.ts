import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatFloat32, rms } from './pcm.js';
import { createResampler, resampleAll } from './resample.js';
import { bestLag, chirp, irregularChunks, sine, zeroCrossingFrequency } from './test-helpers.js';

const PAIRS: ReadonlyArray<readonly [number, number]> = [
  [22050, 48000],
  [24000, 48000],
  [16000, 44100],
  [48000, 16000],
  [44100, 22050],
  [22050, 24000],
  [8000, 48000],
];

function streamed(from: number, to: number, input: Float32Array, seed: number): Promise<Float32Array> {
  return createResampler(from, to).then((r) => {
    try {
      const parts: Float32Array[] = [];
      let at = 0;
      for (const n of irregularChunks(input.length, seed, 5000)) {
        // Copy: the identity resampler returns its input, and the chunk is a view we reuse.
        parts.push(r.process(input.subarray(at, at + n)).slice());
        at += n;
      }
      parts.push(r.flush());
      return concatFloat32(parts);
    } finally {
      r.destroy();
    }
  });
}

describe('resampler: length', () => {
  for (const [from, to] of PAIRS) {
    it(`${from} -> ${to}: round(n * to / from) samples, one-shot or streamed`, async () => {
      for (const n of [0, 1, 7, 1000, 22051, 100003]) {
        const input = sine(440, from, n / from);
        const want = Math.round((n * to) / from);
        assert.equal((await resampleAll(input, from, to)).length, want, `resampleAll n=${n}`);
        assert.equal((await streamed(from, to, input, n + 1)).length, want, `streamed n=${n}`);
      }
    });
  }
});

describe('resampler: signal', () => {
  for (const [from, to] of PAIRS) {
    it(`${from} -> ${to}: keeps pitch, level and timing`, async () => {
      const out = await resampleAll(sine(440, from, 1), from, to);
      const hz = zeroCrossingFrequency(out.subarray(100, out.length - 100), to);
      assert.ok(Math.abs(hz - 440) < 2, `${hz.toFixed(2)} Hz`);
      const level = rms(out.subarray(100, out.length - 100));
      assert.ok(Math.abs(level - 0.5 / Math.SQRT2) < 0.005, `rms ${level.toFixed(4)}`);

      const moved = await resampleAll(chirp(100, 3000, from, 0.5), from, to);
      const { lag, correlation } = bestLag(chirp(100, 3000, to, 0.5), moved, 50);
      assert.equal(lag, 0, 'no delay: the filter latency is compensated');
      assert.ok(correlation > 0.99, `correlation ${correlation.toFixed(4)}`);
    });
  }

  it('streaming in irregular chunks gives the same samples as one call (state carries over)', async () => {
    const input = chirp(100, 5000, 22050, 2);
    const whole = await resampleAll(input, 22050, 48000);
    const pieces = await streamed(22050, 48000, input, 99);
    assert.equal(pieces.length, whole.length);
    let worst = 0;
    for (let i = 0; i < whole.length; i++) worst = Math.max(worst, Math.abs((whole[i] as number) - (pieces[i] as number)));
    assert.ok(worst < 1e-4, `largest difference ${worst}`);
  });

  it('converts a signal larger than its working buffers without seams', async () => {
    // 1.2 M input samples -> 2.6 M output: many of the filter's 16,384-sample slices (and past
    // the 1,008,000-float buffers of libsamplerate's wrapper, which this test was written for).
    const from = 22050;
    const to = 48000;
    // A view into a larger buffer, as the pipeline passes them: libsamplerate's wrapper ignored
    // the view's offset for oversized input.
    const backing = sine(440, from, 1_300_000 / from);
    const input = backing.subarray(100_000);
    const out = await resampleAll(input, from, to);
    assert.equal(out.length, Math.round((input.length * to) / from));
    const phase = (2 * Math.PI * 440 * 100_000) / from;
    let worst = 0;
    for (let i = 1000; i < out.length - 1000; i++) {
      const ideal = 0.5 * Math.sin(phase + (2 * Math.PI * 440 * i) / to);
      worst = Math.max(worst, Math.abs((out[i] as number) - ideal));
    }
    assert.ok(worst < 0.01, `largest deviation from an ideal 440 Hz sine: ${worst}`);
  });
});

describe('resampler: lifecycle and options', () => {
  it('passes samples through untouched when the rates match', async () => {
    const r = await createResampler(24000, 24000);
    const input = sine(440, 24000, 0.1);
    assert.equal(r.process(input), input);
    assert.equal(r.flush().length, 0);
    assert.throws(() => r.process(input), /after flush/);
    r.destroy();
  });

  it('refuses process() after flush() or destroy(); flush() and destroy() are idempotent', async () => {
    const r = await createResampler(16000, 48000);
    r.process(sine(440, 16000, 0.1));
    assert.ok(r.flush().length > 0);
    assert.equal(r.flush().length, 0);
    assert.throws(() => r.process(new Float32Array(10)), /after flush/);
    r.destroy();
    r.destroy();

    const d = await createResampler(16000, 48000);
    d.destroy();
    assert.throws(() => d.process(new Float32Array(10)), /after destroy/);
  });

  it('runs the JavaScript loop on request (the fallback without SIMD): same length, same samples', async () => {
    const input = chirp(100, 5000, 22050, 1);
    const simd = await resampleAll(input, 22050, 16000);
    const js = await resampleAll(input, 22050, 16000, { kernel: 'js' });
    assert.equal(js.length, 16000);
    assert.equal(js.length, simd.length);
    let worst = 0;
    for (let i = 0; i < js.length; i++) worst = Math.max(worst, Math.abs((js[i] as number) - (simd[i] as number)));
    assert.ok(worst < 1e-5, `largest difference ${worst}`);
    assert.ok(Math.abs(zeroCrossingFrequency((await resampleAll(sine(440, 22050, 1), 22050, 16000, { kernel: 'js' })).subarray(100, -100), 16000) - 440) < 2);
  });

  it('rejects rates it cannot convert with a RangeError', async () => {
    await assert.rejects(createResampler(0, 48000), RangeError);
    await assert.rejects(createResampler(22050, 22050.5), RangeError);
    // Valid audio rates, but above the resampler's 192 kHz ceiling.
    await assert.rejects(createResampler(384000, 48000), RangeError);
    await assert.rejects(createResampler(48000, 256000), RangeError);
  });
});
