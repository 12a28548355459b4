// Properties of the segment joiner over generated segments (runs of loud and quiet samples),
// joins and chunkings: how the engine happens to chunk its audio never changes the result, the
// joined stream is never longer than the audio plus the pauses, and audio is only ever removed
// at joins between two segments that both have sound.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { SegmentJoiner, type Join, type JoinedAudio } from './segment-joiner.js';

const OPTIONS = { quiet: 0.01, margin: 4, fade: 2, crossfade: 3 };

const run = fc.record({ loud: fc.boolean(), length: fc.integer({ min: 1, max: 30 }), value: fc.double({ min: 0.02, max: 0.9, noNaN: true }) });
const segment = fc.array(run, { minLength: 1, maxLength: 5 }).map((runs) => {
  const out: number[] = [];
  for (const r of runs) for (let i = 0; i < r.length; i++) out.push(r.loud ? (i % 2 ? r.value : -r.value) : 0.001);
  return Float32Array.from(out);
});
const joinSpec: fc.Arbitrary<Join> = fc.oneof(
  fc.integer({ min: 0, max: 12 }).map((pause) => ({ pause, crossfade: false })),
  fc.constant({ pause: 0, crossfade: true }),
);
const cuts = fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 6 });

function render(segments: Float32Array[], joins: Join[], chunking: number[][]): { samples: number[]; silence: number } {
  const j = new SegmentJoiner(OPTIONS);
  const parts: JoinedAudio[] = [];
  segments.forEach((s, i) => {
    parts.push(...j.begin(joins[i] as Join));
    const points = [...new Set((chunking[i] ?? []).filter((c) => c < s.length))].sort((a, b) => a - b);
    let at = 0;
    for (const p of [...points, s.length]) {
      parts.push(...j.push(s.subarray(at, p)));
      at = p;
    }
  });
  parts.push(...j.finish());
  const samples: number[] = [];
  let silence = 0;
  for (const p of parts) {
    if (typeof p === 'number') {
      silence += p;
      for (let k = 0; k < p; k++) samples.push(0);
    } else samples.push(...p);
  }
  return { samples, silence };
}

const loudAt = (x: Float32Array) => x.some((v) => Math.abs(v) >= OPTIONS.quiet);

it('the result does not depend on how the segments arrive in chunks; it is never longer than the audio plus the pauses', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(segment, joinSpec, cuts), { minLength: 1, maxLength: 5 }), (items) => {
      const segments = items.map((x) => x[0]);
      const joins = items.map((x) => x[1]);
      const whole = render(segments, joins, []);
      const chunked = render(segments, joins, items.map((x) => x[2]));
      assert.deepEqual(chunked.samples, whole.samples);
      const input = segments.reduce((n, s) => n + s.length, 0);
      assert.ok(whole.samples.length <= input + whole.silence);
      // Nothing is removed unless two neighbours both have sound.
      const anyLoudPair = segments.some((s, i) => i > 0 && loudAt(s) && loudAt(segments[i - 1] as Float32Array));
      if (!anyLoudPair) assert.equal(whole.samples.length, input + whole.silence);
    }),
    { numRuns: 300 },
  );
});
