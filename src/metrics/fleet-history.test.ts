import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FleetHistory, MINUTE_MS } from './fleet-history.js';
import type { JobInfo } from '../scheduler/job.js';

/** A clock the test moves: minute 1000 of the epoch, plus whatever it is told. */
function clock() {
  let t = 1000 * MINUTE_MS;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}
const job = {} as JobInfo;
const rejectInfo = { owner: 'o', priority: 'interactive' as const, estimatedWaitMs: 0, retryAfterSeconds: 1 };
const depth = (interactive: number, batch = 0) => ({ interactive, batch });

describe('FleetHistory', () => {
  it('counts admissions and refusals by reason in the current minute', () => {
    const c = clock();
    const history = new FleetHistory(5, c.now);
    const o = history.observer();
    o.admitted?.(job);
    o.admitted?.(job);
    o.rejected?.('queue_full', rejectInfo);
    o.rejected?.('overloaded', rejectInfo);
    o.rejected?.('overloaded', rejectInfo);
    const [now] = history.minutes(1);
    assert.deepEqual(now, { start: new Date(1000 * MINUTE_MS).toISOString(), admitted: 2, rejected: { queue_full: 1, overloaded: 2 }, queue: { max: 0, last: 0 } });
  });

  it('keeps the deepest queue of a minute and its last depth, summed over priorities', () => {
    const c = clock();
    const history = new FleetHistory(5, c.now);
    const o = history.observer();
    o.queue?.(depth(2, 1));
    o.queue?.(depth(4, 3));
    o.queue?.(depth(1, 0));
    assert.deepEqual(history.minutes(1)[0]?.queue, { max: 7, last: 1 });
  });

  it('fills quiet minutes with the depth the queue had then, oldest first', () => {
    const c = clock();
    const history = new FleetHistory(10, c.now);
    const o = history.observer();
    o.queue?.(depth(3)); // minute 1000: 3 waiting
    c.advance(3 * MINUTE_MS);
    o.admitted?.(job); // minute 1003: still 3, then 5, then 2
    o.queue?.(depth(5));
    o.queue?.(depth(2));
    c.advance(2 * MINUTE_MS); // now minute 1005, nothing since
    const window = history.minutes(7);
    assert.equal(window.length, 7);
    assert.deepEqual(
      window.map((m) => [new Date(m.start).getTime() / MINUTE_MS, m.admitted, m.queue.max, m.queue.last]),
      [
        [999, 0, 0, 0],
        [1000, 0, 3, 3],
        [1001, 0, 3, 3],
        [1002, 0, 3, 3],
        [1003, 1, 5, 2],
        [1004, 0, 2, 2],
        [1005, 0, 2, 2],
      ],
    );
  });

  it('forgets minutes older than its capacity: the ring is reused, not grown', () => {
    const c = clock();
    const history = new FleetHistory(3, c.now);
    const o = history.observer();
    o.admitted?.(job); // minute 1000
    c.advance(MINUTE_MS);
    o.admitted?.(job); // 1001
    o.admitted?.(job);
    c.advance(3 * MINUTE_MS); // 1004 takes 1001's slot
    o.rejected?.('queue_full', rejectInfo);
    // Asking for more than the capacity gives the capacity.
    const window = history.minutes(100);
    assert.deepEqual(
      window.map((m) => [new Date(m.start).getTime() / MINUTE_MS, m.admitted, m.rejected.queue_full]),
      [
        [1002, 0, 0],
        [1003, 0, 0],
        [1004, 0, 1],
      ],
    );
    assert.equal(history.minutes(0).length, 1, 'at least the current minute');
  });

  it('a clock stepped back counts into the newer minute instead of erasing it', () => {
    let t = 1000 * MINUTE_MS + 5_000;
    const history = new FleetHistory(2, () => t);
    const o = history.observer();
    o.admitted?.(job);
    t -= 2 * MINUTE_MS; // minute 998: the same slot as 1000 in a ring of 2
    o.admitted?.(job);
    t += 2 * MINUTE_MS;
    assert.equal(history.minutes(1)[0]?.admitted, 2);
  });

  it('refuses a capacity that is not a positive integer', () => {
    assert.throws(() => new FleetHistory(0), RangeError);
    assert.throws(() => new FleetHistory(1.5), RangeError);
  });
});
