// Failures are counted, by class: a scripted server answers 429s, 500s and a cut response
// between successes; a real server with a one-job queue refuses with real 429s.
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { answerError, answerPcm, stubServer, type StubServer } from './stub-server.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { metricValue } from '../helpers/wait.js';
import { runClosedLoop, fixedTexts } from '../../src/loadgen/index.js';

describe('bench counts errors', () => {
  let stub: StubServer | undefined;
  let server: TestServer | undefined;
  afterEach(async () => {
    await stub?.close();
    await server?.close();
    stub = undefined;
    server = undefined;
  });

  it('429s apart, 500s and cut responses by class, and the ramp stops past 5% errors', async () => {
    const sent = { ok: 0, s429: 0, s500: 0, cut: 0 };
    stub = await stubServer((res, n) => {
      if (n % 5 === 1) {
        sent.s429++;
        answerError(res, 429, 'queue_full', 'The queue is full.', 0);
      } else if (n % 5 === 2) {
        sent.s500++;
        answerError(res, 500, 'internal', 'Something broke.');
      } else if (n % 5 === 3) {
        sent.cut++;
        res.writeHead(200, { 'content-type': 'audio/pcm;rate=16000', 'x-sample-rate': '16000' });
        res.write(Buffer.alloc(3200), () => res.destroy());
      } else {
        sent.ok++;
        answerPcm(res);
      }
    });
    // One client, no warm-up, the window closed by its 20th request: every request is measured.
    const run = await runClosedLoop({ target: { url: stub.url, route: 'tts', audioFormat: 'pcm' }, texts: fixedTexts(20, 'en'), concurrency: [1, 2], warmupS: 0, levelDurationS: 60, levelRequests: 20 });
    assert.deepEqual(sent, { ok: 8, s429: 4, s500: 4, cut: 4 });
    const [level] = run.levels;
    assert.ok(level);
    assert.equal(level.requests, 20);
    assert.equal(level.ok, 8);
    assert.equal(level.status429, 4);
    assert.equal(level.errors['http 500'], 4);
    const network = Object.entries(level.errors).filter(([k]) => k.startsWith('network '));
    assert.equal(network.reduce((s, [, v]) => s + v, 0), 4, JSON.stringify(level.errors));
    assert.equal(level.errorCount, 8);
    assert.equal(level.errorShare, 12 / 20);
    assert.match(level.errorSamples['http 429'] ?? '', /queue_full: The queue is full/);
    assert.match(level.errorSamples['http 500'] ?? '', /internal: Something broke/);
    assert.equal(run.stoppedBy, 'errors');
    assert.equal(run.levels.length, 1, 'the ramp stopped at the failing level');
    assert.deepEqual(run.saturation, { concurrency: null, saturated: false, reason: run.saturation?.reason });
    assert.deepEqual(run.totals, { arrivals: 20, sent: 20, ok: 8, errors: 8, status429: 4, aborted: 0, dropped: 0 });
  });

  it('a real server with a one-job queue answers real 429s, counted apart from errors', async () => {
    server = await startTestServer({ queueMax: 1, espeakWorkers: 1 });
    // Four clients at once meet one slot and one queue place: two are refused at the start (the
    // first two answers, so in the window of four), and then wait the Retry-After before trying
    // again. The first request was admitted, so it ends ok, in the window or after it.
    const run = await runClosedLoop({ target: { url: server.url, route: 'tts', audioFormat: 'pcm' }, texts: fixedTexts(150, 'en'), concurrency: [4], warmupS: 0, levelDurationS: 60, levelRequests: 4 });
    const [level] = run.levels;
    assert.ok(level);
    assert.ok(level.status429 >= 2, JSON.stringify(level));
    assert.ok(run.totals.ok > 0, JSON.stringify(run.totals));
    assert.equal(run.totals.errors, 0, JSON.stringify(level.errors));
    assert.match(level.errorSamples['http 429'] ?? '', /^(queue_full|overloaded): /);
    assert.ok(run.records.filter((r) => r.status === 429).every((r) => r.retryAfterS !== undefined && r.retryAfterS >= 1), 'each 429 carried a Retry-After');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const refused = ['queue_full', 'overloaded'].reduce((s, reason) => s + (metricValue(metrics, 'cosyfleet_jobs_rejected_total', { engine: 'espeak', reason }) ?? 0), 0);
    assert.equal(run.totals.status429, refused);
    assert.equal(run.totals.ok, metricValue(metrics, 'cosyfleet_jobs_total', { engine: 'espeak', outcome: 'completed' }));
  });
});
