// Every bench run ends: a server that accepts and never answers is cut at the hard stop, the
// request budget and the caller's signal stop a run, and what was in flight is counted as
// aborted. Assertions are on counts and events; the only timing promise is that the run returns.
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { answerPcm, stubServer, type StubServer } from './stub-server.js';
import { runClosedLoop, runOpenLoop, poissonArrivals, fixedTexts, type BenchEvent } from '../../src/loadgen/index.js';

describe('bench runs are bounded', () => {
  let stub: StubServer | undefined;
  afterEach(async () => {
    await stub?.close();
    stub = undefined;
  });
  const target = (url: string) => ({ url, route: 'tts' as const, audioFormat: 'pcm' as const });

  it('closed loop against a server that never answers: ends at the hard stop, every request aborted', async () => {
    stub = await stubServer(() => {});
    const events: BenchEvent[] = [];
    const run = await runClosedLoop({ target: target(stub.url), texts: fixedTexts(20, 'en'), concurrency: [1, 2], levelDurationS: 0.2, warmupS: 0, hardStopS: 0.6, onEvent: (e) => events.push(e) });
    assert.equal(run.stoppedBy, 'hard-stop');
    assert.ok(run.totals.sent >= 1);
    assert.equal(run.totals.aborted, run.totals.sent);
    assert.equal(run.totals.ok + run.totals.errors + run.totals.status429, 0);
    assert.equal(stub.received.length, run.totals.sent);
    const stop = events.filter((e) => e.type === 'stop').at(-1);
    assert.deepEqual(stop && stop.type === 'stop' ? [stop.reason, stop.inFlight] : null, ['hard-stop', run.totals.sent]);
    assert.equal(run.levels.reduce((s, l) => s + l.aborted, 0), run.totals.sent);
  });

  it('open loop against a server that never answers: every arrival sent, then aborted at the hard stop', async () => {
    stub = await stubServer(() => {});
    const run = await runOpenLoop({ target: target(stub.url), texts: fixedTexts(20, 'en'), rate: 20, durationS: 0.3, seed: 5, hardStopS: 0.8 });
    const expected = poissonArrivals(20, 0.3, 5).length;
    assert.ok(expected > 0);
    assert.equal(run.stoppedBy, 'hard-stop');
    assert.deepEqual(run.totals, { arrivals: expected, sent: expected, ok: 0, errors: 0, status429: 0, aborted: expected, dropped: 0 });
    assert.equal(stub.received.length, expected);
  });

  it('--max-requests: exactly that many are sent, and the run says why it stopped', async () => {
    stub = await stubServer((res) => answerPcm(res));
    const run = await runClosedLoop({ target: target(stub.url), texts: fixedTexts(20, 'en'), concurrency: [1, 2, 4], levelDurationS: 30, warmupS: 0, maxRequests: 7 });
    assert.equal(run.stoppedBy, 'max-requests');
    assert.equal(run.totals.sent, 7);
    assert.equal(run.totals.ok, 7);
    assert.equal(stub.received.length, 7);
    assert.equal(run.levels.at(-1)?.complete, false);
  });

  it('--duration: no request starts after it; the level it cut is marked incomplete', async () => {
    stub = await stubServer((res) => setTimeout(() => answerPcm(res), 20));
    const events: BenchEvent[] = [];
    const run = await runClosedLoop({ target: target(stub.url), texts: fixedTexts(20, 'en'), concurrency: [1], levelDurationS: 60, warmupS: 0, durationS: 0.3, onEvent: (e) => events.push(e) });
    assert.equal(run.stoppedBy, 'duration');
    const stopAt = events.find((e) => e.type === 'stop')?.atMs as number;
    const starts = events.filter((e): e is Extract<BenchEvent, { type: 'request-start' }> => e.type === 'request-start');
    assert.ok(starts.every((e) => e.atMs <= stopAt), 'no request started after the stop');
    assert.equal(run.totals.ok, run.totals.sent);
    assert.equal(run.levels[0]?.complete, false);
  });

  it('the caller\'s signal (SIGINT in the CLI) aborts what is in flight and still returns the run', async () => {
    stub = await stubServer((res, n) => {
      if (n <= 2) answerPcm(res);
    });
    const ac = new AbortController();
    const run = await runClosedLoop({
      target: target(stub.url), texts: fixedTexts(20, 'en'), concurrency: [1], levelDurationS: 60, warmupS: 0, signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'request-start' && e.id === 3) setImmediate(() => ac.abort());
      },
    });
    assert.equal(run.stoppedBy, 'signal');
    assert.deepEqual([run.totals.sent, run.totals.ok, run.totals.aborted], [3, 2, 1]);
  });
});
