// Joining segments: the engine's quiet at a join is cut down to the margin, the chosen pause
// goes between (as a count of silent samples), a pause of none overlaps the two in a crossfade,
// and nothing else changes: the stream's edges, short quiet, segments with nothing loud, and the
// loud audio itself (but for the fades right at a join). Small synthetic signals, sample counts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SegmentJoiner, type Join, type JoinedAudio } from './segment-joiner.js';

const OPTIONS = { quiet: 0.01, margin: 4, fade: 2, crossfade: 3 };
const loud = (n: number, v = 0.5) => new Float32Array(n).fill(v);
const quiet = (n: number) => new Float32Array(n).fill(0.001);
const cat = (...xs: Float32Array[]) => {
  const out = new Float32Array(xs.reduce((a, x) => a + x.length, 0));
  let at = 0;
  for (const x of xs) {
    out.set(x, at);
    at += x.length;
  }
  return out;
};
const pause = (samples: number): Join => ({ pause: samples, crossfade: false });
const CROSSFADE: Join = { pause: 0, crossfade: true };

/** Runs segments (each pushed in one piece) through a joiner; silence counts become zeros. */
function join(segments: Float32Array[], joins: Join[]): { samples: Float32Array; parts: JoinedAudio[] } {
  const j = new SegmentJoiner(OPTIONS);
  const parts: JoinedAudio[] = [];
  segments.forEach((s, i) => {
    parts.push(...j.begin(i === 0 ? pause(0) : (joins[i - 1] as Join)));
    parts.push(...j.push(s));
  });
  parts.push(...j.finish());
  return { samples: cat(...parts.map((p) => (typeof p === 'number' ? new Float32Array(p) : p))), parts };
}

describe('SegmentJoiner', () => {
  it('cuts the quiet at a join down to the margin on each side and puts the pause between', () => {
    const a = cat(quiet(7), loud(10), quiet(20));
    const b = cat(quiet(15), loud(10), quiet(9));
    const { samples, parts } = join([a, b], [pause(5)]);
    // The stream's own edges (7 before, 9 after) are left as they are.
    assert.equal(samples.length, 7 + 10 + 4 + 5 + 4 + 10 + 9);
    assert.ok(parts.includes(5), 'the pause is a count of silent samples');
    // Loud audio unchanged, but for the fade over the last and first `fade` samples at the join.
    assert.deepEqual([...samples.subarray(7, 17)], [...loud(10)]);
    assert.deepEqual([...samples.subarray(30, 40)], [...loud(10)]);
    assert.deepEqual([...samples.subarray(21, 26)], [0, 0, 0, 0, 0]);
    assert.ok(Math.abs(samples[20] as number) < 0.001 / 2, 'faded out into the pause');
    assert.ok(Math.abs(samples[26] as number) < 0.001 / 2, 'faded in after it');
  });

  it('leaves quiet shorter than the margin alone', () => {
    const { samples } = join([cat(loud(10), quiet(3)), cat(quiet(2), loud(10))], [pause(5)]);
    assert.equal(samples.length, 10 + 3 + 5 + 2 + 10);
  });

  it('a pause of none overlaps the two segments in a crossfade', () => {
    const a = cat(loud(10, 0.5), quiet(20));
    const b = cat(quiet(15), loud(10, -0.5));
    const { samples } = join([a, b], [CROSSFADE]);
    assert.equal(samples.length, 10 + 4 + 4 + 10 - 3);
    assert.deepEqual([...samples.subarray(0, 10)], [...loud(10, 0.5)]);
    assert.deepEqual([...samples.subarray(15, 25)], [...loud(10, -0.5)]);
  });

  it('crossfades a loud end into a loud start sample by sample, weights summing to one', () => {
    const { samples } = join([loud(10, 0.5), loud(10, -0.5)], [CROSSFADE]);
    assert.equal(samples.length, 17);
    const w = [0.5 / 3, 1.5 / 3, 2.5 / 3];
    w.forEach((x, k) => assert.ok(Math.abs((samples[7 + k] as number) - (0.5 * (1 - x) - 0.5 * x)) < 1e-6));
  });

  it('never trims a segment with nothing loud in it, nor the segments beside it', () => {
    const a = cat(loud(10), quiet(20));
    const silent = quiet(30);
    const c = cat(quiet(15), loud(10));
    const { samples } = join([a, silent, c], [pause(5), pause(6)]);
    assert.equal(samples.length, 30 + 5 + 30 + 6 + 25);
  });

  it('streams: loud audio leaves before the segment ends; only what a join may change is held', () => {
    const j = new SegmentJoiner(OPTIONS);
    j.begin(pause(0));
    const sent = j.push(cat(loud(50), quiet(30)));
    const held = 80 - sent.reduce<number>((n, p) => n + (typeof p === 'number' ? p : p.length), 0);
    assert.equal(held, 30 + OPTIONS.crossfade, 'the quiet run and a crossfade\'s worth before it');
    // The next segment's head waits for its first loud sample.
    assert.deepEqual(j.begin(pause(5)), []);
    assert.deepEqual(j.push(quiet(10)), []);
    assert.ok(j.push(loud(10)).length > 0);
  });
});
