// The ordered look-ahead on its own, over sources whose timing the test controls: items come out
// strictly in segment order whatever order the sources produce them in; at most `lookahead`
// sources run at once and a reader that stops reading stops new ones at that bound; a failure
// surfaces where its segment is reached; leaving early or the signal aborts every source in flight.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import { pipelined } from './segment-pipeline.js';
import { Rng } from '../planner/rng.js';

interface Probe {
  started: number[];
  running: number;
  peak: number;
  aborted: number[];
}

/** Sources of `items` items each, with a delay before each item from `delay(segment, item)`. */
function sources(items: number, delay: (segment: number, item: number) => number, probe: Probe, fail?: number) {
  return async function* (index: number, signal: AbortSignal): AsyncGenerator<string> {
    probe.started.push(index);
    probe.running++;
    probe.peak = Math.max(probe.peak, probe.running);
    signal.addEventListener('abort', () => probe.aborted.push(index), { once: true });
    try {
      for (let k = 0; k < items; k++) {
        await sleep(delay(index, k), undefined, { signal });
        if (index === fail && k === 1) throw new Error(`segment ${index} failed`);
        yield `${index}.${k}`;
      }
    } finally {
      probe.running--;
    }
  };
}

/** Polls a condition the test cannot await (the timeout only bounds a broken test). */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; !cond(); i++) {
    assert.ok(i < 3000, 'timed out');
    await tick();
    await sleep(1);
  }
}

const newProbe = (): Probe => ({ started: [], running: 0, peak: 0, aborted: [] });

describe('pipelined', () => {
  it('yields every item strictly in segment order under random delays, with at most `lookahead` sources at once', async () => {
    for (const seed of [1, 2, 3, 4]) {
      const rng = new Rng(seed);
      const random = () => rng.next();
      const delays = new Map<string, number>();
      const probe = newProbe();
      const got: string[] = [];
      const source = sources(3, (s, k) => {
        const key = `${s}.${k}`;
        if (!delays.has(key)) delays.set(key, Math.floor(random() * 15));
        return delays.get(key) as number;
      }, probe);
      for await (const { index, item } of pipelined(10, 4, source, new AbortController().signal)) {
        assert.equal(item.split('.')[0], String(index));
        got.push(item);
      }
      assert.deepEqual(got, Array.from({ length: 30 }, (_, i) => `${Math.floor(i / 3)}.${i % 3}`));
      assert.ok(probe.peak <= 4, `peak ${probe.peak}`);
      assert.ok(probe.peak > 1, `sources overlapped (peak ${probe.peak})`);
      assert.deepEqual(probe.aborted, []);
    }
  });

  it('lookahead 1 runs one source at a time', async () => {
    const probe = newProbe();
    let n = 0;
    for await (const _ of pipelined(5, 1, sources(2, () => 1, probe), new AbortController().signal)) n++;
    assert.equal(n, 10);
    assert.equal(probe.peak, 1);
  });

  it('a reader that stops reading holds at most `lookahead` segments: nothing past the bound starts', async () => {
    const probe = newProbe();
    const it = pipelined(10, 3, sources(4, () => 0, probe), new AbortController().signal);
    assert.deepEqual((await it.next()).value, { index: 0, item: '0.0' });
    // Every started source runs to its end; then nothing else starts.
    await until(() => probe.running === 0 && probe.started.length === 3);
    await sleep(20);
    assert.deepEqual(probe.started, [0, 1, 2]);
    // Segment 0 read to its end: segment 3 starts, and no other.
    for (let i = 0; i < 3; i++) await it.next();
    assert.deepEqual((await it.next()).value, { index: 1, item: '1.0' });
    assert.deepEqual(probe.started, [0, 1, 2, 3]);
    await it.return(undefined);
  });

  it('a failure surfaces where its segment is reached, after the segments before it; the rest are aborted', async () => {
    const probe = newProbe();
    const got: string[] = [];
    // Segment 2 fails fast while segments 0 and 1 are still slow.
    const source = sources(3, (s) => (s < 2 ? 10 : 0), probe, 2);
    await assert.rejects(
      (async () => {
        for await (const { item } of pipelined(6, 4, source, new AbortController().signal)) got.push(item);
      })(),
      /segment 2 failed/,
    );
    assert.deepEqual(got, ['0.0', '0.1', '0.2', '1.0', '1.1', '1.2', '2.0']);
    assert.ok(probe.aborted.length > 0 && probe.aborted.every((i) => i > 2), `aborted ${probe.aborted.join(',')}`);
  });

  it('leaving early, or the signal, aborts every source in flight', async () => {
    const probe = newProbe();
    const it = pipelined(10, 4, sources(5, () => 5, probe), new AbortController().signal);
    await it.next();
    await it.return(undefined);
    await until(() => probe.running === 0);
    assert.deepEqual(probe.aborted.sort(), [0, 1, 2, 3]);

    const gone = newProbe();
    const controller = new AbortController();
    const reading = (async () => {
      for await (const _ of pipelined(10, 4, sources(5, () => 5, gone), controller.signal)) controller.abort();
    })();
    await assert.rejects(reading);
    await until(() => gone.running === 0);
    assert.deepEqual(gone.aborted.sort(), [0, 1, 2, 3]);
  });
});
