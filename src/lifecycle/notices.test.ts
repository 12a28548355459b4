// The notice bodies as AWS documents them, and what is not: ignored rather than guessed at.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { leavesService, parseLifecycleState, parseRebalance, parseSpotAction } from './notices.js';

describe('instance notices', () => {
  it('spot instance-action: the action and its time', () => {
    assert.deepEqual(parseSpotAction('{"action": "terminate", "time": "2026-12-04T17:02:00Z"}'), { kind: 'spot_interruption', action: 'terminate', time: Date.UTC(2026, 11, 4, 17, 2, 0) });
    assert.equal(parseSpotAction('{"action":"hibernate","time":"2026-12-04T17:02:00.500Z"}')?.action, 'hibernate');
    for (const bad of ['', 'not json', '[]', 'null', '{"action":"terminate"}', '{"action":"explode","time":"2026-12-04T17:02:00Z"}', '{"action":"stop","time":"tomorrow"}', '{"action":"stop","time":"2026-12-04 17:02:00"}']) {
      assert.equal(parseSpotAction(bad), null, bad);
    }
  });

  it('rebalance recommendation: its notice time', () => {
    assert.deepEqual(parseRebalance('{"noticeTime":"2026-12-04T16:58:00Z"}'), { kind: 'rebalance', noticeTime: Date.UTC(2026, 11, 4, 16, 58, 0) });
    assert.equal(parseRebalance('{"noticeTime":1733331480}'), null);
    assert.equal(parseRebalance('{'), null);
  });

  it('target lifecycle state: the documented states only', () => {
    for (const state of ['InService', 'Terminated', 'Warmed:Stopped', 'Warmed:Running', 'Warmed:Hibernated', 'Warmed:Terminated']) assert.equal(parseLifecycleState(`${state}\n`), state);
    for (const bad of ['', 'inservice', 'Warmed:', 'Terminated; rm -rf /', '<html>']) assert.equal(parseLifecycleState(bad), null, bad);
  });

  it('leaving service: termination always; a warm pool only after the node served', () => {
    assert.equal(leavesService('Terminated', false), true);
    assert.equal(leavesService('Warmed:Terminated', false), true);
    assert.equal(leavesService('Warmed:Stopped', true), true);
    assert.equal(leavesService('Warmed:Stopped', false), false, 'launched into the warm pool: being prepared, not leaving');
    assert.equal(leavesService('InService', true), false);
  });
});
