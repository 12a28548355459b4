import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sine } from '../audio/test-helpers.js';
import { clippedFraction, findSound, mixToMono } from './signal.js';

const RATE = 16000;

/** `parts` of [seconds, signal-or-null(silence)] joined. */
function join(parts: readonly (readonly [number, ((n: number) => Float32Array) | null])[]): Float32Array {
  const chunks = parts.map(([seconds, make]) => (make ? make(Math.round(seconds * RATE)) : new Float32Array(Math.round(seconds * RATE))));
  const out = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const tone = (n: number) => sine(220, RATE, n / RATE, 0.5);
/** Deterministic white noise at `amplitude`. */
const noise = (amplitude: number) => (n: number) => {
  const out = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = amplitude * ((s / 0xffffffff) * 2 - 1);
  }
  return out;
};

describe('mixToMono', () => {
  it('averages the channels and passes mono through', () => {
    assert.deepEqual([...mixToMono([new Float32Array([1, 1, 0.5]), new Float32Array([0, -1, 0.5])])], [0.5, 0, 0.5]);
    const mono = new Float32Array([0.1, 0.2]);
    assert.equal(mixToMono([mono]), mono);
    assert.deepEqual([...mixToMono([new Float32Array([0.3]), new Float32Array([0.3]), new Float32Array([0.3]), new Float32Array([-0.9])])].map((x) => x.toFixed(3)), ['0.000']);
  });
});

describe('findSound', () => {
  it('trims leading and trailing silence, keeping a 0.1 s margin', () => {
    const samples = join([[1, null], [2, tone], [1.5, null]]);
    const { start, end } = findSound(samples, RATE);
    assert.ok(Math.abs(start / RATE - 0.9) < 0.021, `start ${start / RATE}`);
    assert.ok(Math.abs(end / RATE - 3.1) < 0.021, `end ${end / RATE}`);
  });

  it('treats quiet noise 40 dB below the sound as silence, but keeps quiet sound in the middle', () => {
    const samples = join([[1, noise(0.002)], [1, tone], [0.5, noise(0.002)], [1, tone], [1, noise(0.002)]]);
    const { start, end } = findSound(samples, RATE);
    assert.ok(Math.abs(start / RATE - 0.9) < 0.021, `start ${start / RATE}`);
    assert.ok(Math.abs(end / RATE - 3.6) < 0.021, `end ${end / RATE}`);
  });

  it('never trims into the recording: margins stop at its ends', () => {
    const samples = join([[2, tone]]);
    assert.deepEqual(findSound(samples, RATE), { start: 0, end: samples.length, loudestRms: findSound(samples, RATE).loudestRms });
  });

  it('finds nothing in digital silence', () => {
    const result = findSound(new Float32Array(RATE * 2), RATE);
    assert.equal(result.end - result.start, 0);
    assert.equal(result.loudestRms, 0);
  });
});

describe('clippedFraction', () => {
  it('is zero for clean waveforms, even at full scale and low frequency', () => {
    for (const [hz, rate] of [[100, 48000], [220, 16000], [1000, 44100]] as const) {
      const full = sine(hz, rate, 1, 1);
      assert.ok(clippedFraction(full) < 0.001, `${hz} Hz at ${rate}: ${clippedFraction(full)}`);
    }
  });

  it('counts the flat tops of a clipped waveform', () => {
    const hot = sine(220, RATE, 1, 2).map((x) => Math.max(-1, Math.min(1, x)));
    assert.ok(clippedFraction(hot) > 0.5, `${clippedFraction(hot)}`);
    // Float input beyond full scale counts too.
    assert.ok(clippedFraction(sine(220, RATE, 1, 2)) > 0.5);
    // A few isolated clipped peaks are not "heavily clipped".
    const peaks = sine(220, RATE, 1, 0.5);
    for (let i = 1000; i < 1010; i++) peaks[i] = 1;
    assert.ok(Math.abs(clippedFraction(peaks) - 10 / RATE) < 1e-9);
  });

  it('looks only at the range it is given', () => {
    const samples = join([[1, (n) => new Float32Array(n).fill(1)], [1, tone]]);
    assert.equal(clippedFraction(samples, RATE, 2 * RATE), 0);
    assert.equal(clippedFraction(samples, 0, RATE), 1);
  });
});
