// The instance drain on its own: readiness, refusal, and the end of the drain by events (the
// last request out, or a deadline that has already passed), never by waiting on the clock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InstanceDrain, REFUSAL_RETRY_AFTER_S, type DrainEvent } from './drain.js';

const FAR = Date.now() + 3_600_000;

describe('instance drain', () => {
  it('nothing in flight: drained at once', async () => {
    const events: DrainEvent[] = [];
    const drain = new InstanceDrain({ onEvent: (e) => events.push(e) });
    const result = await drain.begin('spot interruption', FAR, FAR + 15_000);
    assert.deepEqual(result, { reason: 'spot interruption', outcome: 'finished', inFlight: 0, endsAt: FAR + 15_000 });
    assert.deepEqual(
      events.map((e) => e.type),
      ['draining', 'drained'],
    );
    drain.close();
  });

  it('waits for the last request in flight; refuses new work meanwhile with a retryable 503', async () => {
    const events: string[] = [];
    const drain = new InstanceDrain({ onEvent: (e) => events.push(e.type) });
    const first = drain.track();
    const second = drain.track();
    assert.equal(drain.refusal(), null);
    assert.equal(drain.unreadyReason, null);
    const done = drain.begin('scale-in', FAR).then((r) => {
      events.push('resolved');
      return r;
    });
    assert.equal(drain.draining, true);
    assert.equal(drain.unreadyReason, 'scale-in');
    const refusal = drain.refusal();
    assert.equal(refusal?.code, 'instance_draining');
    assert.equal(refusal?.status, 503);
    assert.equal(refusal?.retryable, true);
    assert.equal(refusal?.retryAfterSeconds, REFUSAL_RETRY_AFTER_S);
    assert.match(refusal?.message ?? '', /scale-in/);
    first();
    first();
    await Promise.resolve();
    assert.deepEqual(events, ['draining'], 'one of two done (a second call of the same done counts nothing)');
    second();
    const result = await done;
    assert.deepEqual(events, ['draining', 'drained', 'resolved']);
    assert.equal(result.outcome, 'finished');
    assert.equal(drain.inFlight, 0);
    drain.close();
  });

  it('a deadline already past ends the drain with what is still in flight', async () => {
    const drain = new InstanceDrain();
    const stuck = drain.track();
    const result = await drain.begin('spot interruption', Date.now() - 1);
    assert.deepEqual([result.outcome, result.inFlight], ['deadline', 1]);
    stuck();
    assert.equal(drain.inFlight, 0);
    drain.close();
  });

  it('a second, earlier notice moves the deadline; a later one does not', async () => {
    const drain = new InstanceDrain();
    const stuck = drain.track();
    const first = drain.begin('rebalance recommendation', FAR);
    const later = drain.begin('scale-in', FAR + 1000);
    assert.equal(later, first);
    assert.equal(drain.unreadyReason, 'rebalance recommendation');
    const result = await drain.begin('spot interruption', Date.now() - 1, Date.now() + 10_000);
    assert.equal(result.reason, 'spot interruption');
    assert.equal(result.outcome, 'deadline');
    stuck();
    drain.close();
  });

  it('unready only (a rebalance recommendation): readiness red, work still admitted', () => {
    const events: DrainEvent[] = [];
    const drain = new InstanceDrain({ onEvent: (e) => events.push(e) });
    drain.markUnready('rebalance recommendation');
    drain.markUnready('rebalance recommendation');
    assert.equal(drain.unreadyReason, 'rebalance recommendation');
    assert.equal(drain.draining, false);
    assert.equal(drain.refusal(), null);
    assert.deepEqual(events, [{ type: 'unready', reason: 'rebalance recommendation' }]);
  });
});
