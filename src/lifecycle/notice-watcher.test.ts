// The notice watcher against the IMDS stand-in (test/helpers/imds-standin.ts), one poll at a
// time (poll() is what the timer calls): 404 means no notice, each notice is reported once, a
// malformed body is ignored and logged once, a forgotten token is replaced without a problem.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import { ImdsStandin } from '../../test/helpers/imds-standin.js';
import { ImdsClient } from './imds-client.js';
import { NoticeWatcher, type ImdsProblem } from './notice-watcher.js';
import { LIFECYCLE_STATE_PATH, SPOT_ACTION_PATH, type InstanceNotice } from './notices.js';

function capture(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('notice watcher', () => {
  let standin: ImdsStandin;
  let notices: InstanceNotice[];
  let problems: [ImdsProblem, string][];
  let log: ReturnType<typeof capture>;
  let watcher: NoticeWatcher;

  before(async () => {
    standin = new ImdsStandin();
    await standin.start();
  });
  after(() => standin.close());
  beforeEach(() => {
    standin.reset();
    notices = [];
    problems = [];
    log = capture();
    watcher?.stop();
    watcher = new NoticeWatcher({
      imds: new ImdsClient({ endpoint: standin.origin }),
      pollMs: 50,
      logger: log.logger,
      onNotice: (n) => notices.push(n),
      onProblem: (p, path) => problems.push([p, path]),
    });
  });

  it('nothing announced: 404s and InService are no notice and no problem', async () => {
    await watcher.poll();
    await watcher.poll();
    assert.deepEqual(notices, []);
    assert.deepEqual(problems, []);
    assert.equal(watcher.answered, true);
    assert.equal(watcher.lifecycleState, 'InService');
    assert.equal(standin.count('GET', SPOT_ACTION_PATH, 404) >= 2, true);
  });

  it('a spot interruption notice is reported once, however often it is read', async () => {
    await watcher.poll();
    const time = new Date(Date.now() + 120_000);
    standin.armSpot('terminate', time);
    await watcher.poll();
    await watcher.poll();
    assert.deepEqual(notices, [{ kind: 'spot_interruption', action: 'terminate', time: Math.floor(time.getTime() / 1000) * 1000 }]);
  });

  it('a malformed body is ignored, counted each poll and logged once', async () => {
    standin.raw.set(SPOT_ACTION_PATH, { status: 200, body: '{"action":"terminate","time":' });
    await watcher.poll();
    await watcher.poll();
    assert.deepEqual(notices, []);
    assert.deepEqual(problems, [
      ['malformed', SPOT_ACTION_PATH],
      ['malformed', SPOT_ACTION_PATH],
    ]);
    const warned = log.lines.filter((l) => l.path === SPOT_ACTION_PATH && l.problem === 'malformed');
    assert.equal(warned.length, 1);
    assert.match(String(warned[0]?.detail), /"action":"terminate"/);
    standin.raw.set(SPOT_ACTION_PATH, { status: 500, body: '' });
    await watcher.poll();
    assert.deepEqual(problems.at(-1), ['status', SPOT_ACTION_PATH]);
  });

  it('rebalance: each new recommendation once', async () => {
    standin.armRebalance(new Date('2026-12-04T16:58:00Z'));
    await watcher.poll();
    await watcher.poll();
    standin.armRebalance(new Date('2026-12-04T17:30:00Z'));
    await watcher.poll();
    assert.deepEqual(
      notices.map((n) => (n.kind === 'rebalance' ? new Date(n.noticeTime).toISOString() : n.kind)),
      ['2026-12-04T16:58:00.000Z', '2026-12-04T17:30:00.000Z'],
    );
  });

  it('Auto Scaling: Terminated after InService is a scale-in notice, once', async () => {
    await watcher.poll();
    standin.lifecycleState = 'Terminated';
    await watcher.poll();
    await watcher.poll();
    assert.deepEqual(notices, [{ kind: 'scale_in', state: 'Terminated' }]);
    assert.ok(log.lines.some((l) => l.state === 'Terminated' && l.previous === 'InService'), 'the state change is logged');
  });

  it('a warm pool: Warmed:Stopped at launch is preparation; after InService it is leaving', async () => {
    standin.lifecycleState = 'Warmed:Stopped';
    await watcher.poll();
    assert.deepEqual(notices, []);
    standin.lifecycleState = 'InService';
    await watcher.poll();
    standin.lifecycleState = 'Warmed:Stopped';
    await watcher.poll();
    assert.deepEqual(notices, [{ kind: 'scale_in', state: 'Warmed:Stopped' }]);
  });

  it('not in an Auto Scaling group (404): no state, no problem', async () => {
    standin.lifecycleState = null;
    await watcher.poll();
    assert.equal(watcher.lifecycleState, null);
    assert.deepEqual(problems, []);
    assert.ok(standin.count('GET', LIFECYCLE_STATE_PATH, 404) >= 1);
  });

  it('the service forgets every token mid-watch: new token, no problem, no missed poll', async () => {
    await watcher.poll();
    const issued = standin.tokensIssued;
    standin.expireTokens();
    await watcher.poll();
    assert.deepEqual(problems, []);
    assert.equal(standin.tokensIssued, issued + 1, 'the three reads that met 401 shared one new token');
    assert.equal(watcher.polls, 2);
  });

  it('no metadata service: unreachable, and `answered` stays false (IMDS_WATCH=auto then stops)', async () => {
    const w = new NoticeWatcher({ imds: new ImdsClient({ endpoint: 'http://127.0.0.1:9', timeoutMs: 300 }), pollMs: 50, logger: log.logger, onNotice: (n) => notices.push(n), onProblem: (p, path) => problems.push([p, path]) });
    await w.poll();
    assert.equal(w.answered, false);
    assert.deepEqual(new Set(problems.map(([p]) => p)), new Set(['unreachable']));
    assert.equal(problems.length, 3);
  });

  it('started, it polls on its own until stopped', async () => {
    watcher.start();
    await new Promise<void>((resolve) => {
      const check = () => (watcher.polls >= 3 ? resolve() : setTimeout(check, 10));
      check();
    });
    watcher.stop();
    const polls = watcher.polls;
    const reads = standin.requests.length;
    await new Promise((r) => setTimeout(r, 150));
    assert.ok(watcher.polls <= polls + 1, 'at most the poll in progress completes');
    assert.ok(standin.requests.length <= reads + 3);
  });
});
