import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sine } from '../audio/test-helpers.js';
import { estimateMedianPitch } from './pitch.js';

const RATE = 16000;

/** A tone of the given harmonics (1 = the fundamental) with 1/k amplitudes, like a voiced sound. */
function harmonic(f0: number | ((t: number) => number), harmonics: readonly number[], seconds: number): Float32Array {
  const out = new Float32Array(Math.round(seconds * RATE));
  let phase = 0;
  for (let i = 0; i < out.length; i++) {
    const f = typeof f0 === 'number' ? f0 : f0(i / RATE);
    phase += (2 * Math.PI * f) / RATE;
    let x = 0;
    for (const k of harmonics) x += Math.sin(k * phase) / k;
    out[i] = 0.3 * x;
  }
  return out;
}

const near = (actual: number | null, expected: number, tolerance = 0.02) =>
  assert.ok(actual !== null && Math.abs(actual - expected) <= expected * tolerance, `${actual} Hz, expected ${expected} Hz`);

describe('estimateMedianPitch', () => {
  it('measures pure tones across the voice range', () => {
    for (const hz of [80, 110, 165, 220, 330, 450]) near(estimateMedianPitch(sine(hz, RATE, 2), RATE), hz);
  });

  it('finds the fundamental of a harmonic-rich tone, not an octave of it', () => {
    near(estimateMedianPitch(harmonic(110, [1, 2, 3, 4, 5, 6, 7, 8], 2), RATE), 110);
    near(estimateMedianPitch(harmonic(240, [1, 2, 3, 4], 2), RATE), 240);
    // Telephone-style missing fundamental: the period is still 1/150 s.
    near(estimateMedianPitch(harmonic(150, [2, 3, 4, 5], 2), RATE), 150);
  });

  it('gives the median over time', () => {
    // A glide from 100 to 200 Hz spends equal time on each side of 150 Hz.
    near(estimateMedianPitch(harmonic((t) => 100 + 50 * t, [1, 2, 3], 2), RATE), 150, 0.04);
    // Mostly 200 Hz with a short low stretch: the median ignores the minority.
    const mixed = new Float32Array(RATE * 3);
    mixed.set(harmonic(200, [1, 2, 3], 2.2));
    mixed.set(harmonic(90, [1, 2, 3], 0.8), Math.round(RATE * 2.2));
    near(estimateMedianPitch(mixed, RATE), 200);
  });

  it('has no answer for silence or noise', () => {
    assert.equal(estimateMedianPitch(new Float32Array(RATE * 2), RATE), null);
    const noise = new Float32Array(RATE * 2);
    let s = 7;
    for (let i = 0; i < noise.length; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      noise[i] = (s / 0xffffffff) * 2 - 1;
    }
    assert.equal(estimateMedianPitch(noise, RATE), null);
  });
});
