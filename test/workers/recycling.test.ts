// Recycling with real worker processes: the replacement starts first, the old worker stops taking
// segments, drains and stops — and no request fails. Triggers: a job count, RSS, RTF degradation
// against the worker's own baseline, and age. (GPU memory uses the same path; nvidia-smi is
// absent here, so only its parser is tested, in src/workers/gpu-memory.test.ts.)
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';
import { metricValue, readBody, waitFor } from '../helpers/wait.js';
import type { ProcessEngine } from '../../src/workers/process-engine.js';
import type { RestartEvent, WorkerExitEvent } from '../../src/workers/supervisor.js';
import { espeakProcesses, syntheticProcesses, workerConfig } from './helpers.js';

const SENTENCES = ['One sentence for the recycling test.', 'Another sentence follows it.', 'A third one ends the text.'];

/**
 * Keeps `inFlight` requests running until `enough()` says so (or `max` were sent); resolves with
 * every outcome. The load is continuous: a new request starts as each one ends.
 */
async function continuousLoad(url: string, max: number, inFlight: number, enough: () => boolean, body: (i: number) => Record<string, unknown>) {
  const outcomes: { i: number; status: number; complete: boolean; bytes: number; length: number | null }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < max && !enough()) {
        const i = next++;
        const res = await postJson(`${url}/v1/tts`, body(i));
        const got = res.status === 200 ? await readBody(res) : { complete: false, bytes: 0 };
        const length = res.headers.get('content-length');
        outcomes.push({ i, status: res.status, complete: got.complete, bytes: got.bytes, length: length === null ? null : Number(length) });
      }
    }),
  );
  return outcomes;
}

describe('worker recycling', () => {
  let server: TestServer | undefined;
  let engine: ProcessEngine | undefined;
  afterEach(async () => {
    await server?.close();
    await engine?.close();
    server = undefined;
    engine = undefined;
  });

  it('recycles after N=5 segments under continuous load with zero failed requests, replacement first', async () => {
    server = await startTestServer({ workers: 'process', workerProcesses: 2, workerRecycleJobs: 5, maxSegmentChars: 120, queueMax: 1000 });
    const supervisor = (server.app.engine.inner as ProcessEngine).supervisor;
    const events: string[] = [];
    const exits: WorkerExitEvent[] = [];
    supervisor.on('worker-ready', (id: string) => events.push(`ready ${id}`));
    supervisor.on('worker-exit', (e: WorkerExitEvent) => {
      events.push(`exit ${e.worker}`);
      exits.push(e);
    });
    const restarts: RestartEvent[] = [];
    supervisor.on('restart', (e: RestartEvent) => restarts.push(e));

    const outcomes = await continuousLoad(server.url, 400, 4, () => exits.length >= 4, (i) => ({
      text: Array.from({ length: 3 + (i % 3) }, (_, k) => SENTENCES[k % 3]).join(' '),
      language: 'en',
      format: 'pcm',
      stream: i % 2 === 1,
    }));
    assert.ok(outcomes.length < 400, `four recycles within ${outcomes.length} requests`);
    for (const o of outcomes) {
      assert.equal(o.status, 200, `request ${o.i}`);
      assert.ok(o.complete && o.bytes > 0, `request ${o.i} got all its audio`);
      if (o.length !== null) assert.equal(o.bytes, o.length);
    }
    assert.ok(restarts.length >= 4 && restarts.every((r) => r.reason === 'recycle_jobs'), JSON.stringify(restarts));
    for (const exit of exits) {
      assert.equal(exit.reason, 'retired', `${exit.worker} was retired, not crashed`);
      assert.ok(exit.jobsDone >= 5, `${exit.worker} did its ${exit.jobsDone} segments`);
      // Its slot's next worker was ready before it exited.
      const [slot, generation] = exit.worker.slice(1).split('-').map(Number) as [number, number];
      const successor = `ready w${slot}-${generation + 1}`;
      assert.ok(events.indexOf(successor) >= 0 && events.indexOf(successor) < events.indexOf(`exit ${exit.worker}`), events.join(' | '));
    }
    const stats = server.app.engine.scheduler.stats();
    assert.equal(stats.outcomes.failed + stats.outcomes.truncated, 0);
    assert.equal(stats.retries, 0, 'draining lost no segment');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.equal(metricValue(metrics, 'cosyfleet_worker_restarts_total', { engine: 'espeak', reason: 'recycle_jobs' }), restarts.length);
    assert.equal(metricValue(metrics, 'cosyfleet_worker_restarts_total', { engine: 'espeak', reason: 'crash' }), 0);
  });

  it('recycles a worker whose RSS passes the watermark', async () => {
    server = await startTestServer({ workers: 'process', workerProcesses: 1, workerRecycleRssMb: 1, workerHeartbeatMs: 100 });
    const supervisor = (server.app.engine.inner as ProcessEngine).supervisor;
    const restarts: RestartEvent[] = [];
    supervisor.on('restart', (e: RestartEvent) => restarts.push(e));
    const first = supervisor.workers()[0];
    await waitFor(() => restarts.length >= 1, 'the RSS watermark to trigger');
    assert.deepEqual(restarts[0], { slot: 0, worker: first?.id, reason: 'recycle_rss' });
    const res = await postJson(`${server.url}/v1/tts`, { text: 'Still fine.', format: 'pcm' });
    assert.equal(res.status, 200, 'requests keep working while workers are recycled');
    assert.ok(supervisor.workers().some((w) => (w.memory.rssBytes ?? 0) > 1024 * 1024), 'workers report their RSS');
  });

  it('recycles a worker whose RTF degrades 50% against its own baseline', async () => {
    // Stands in for a GPU model that slows down as memory creeps: each call 40% slower than the first.
    const config = workerConfig({ workerProcesses: 1, workerRecycleRtfPercent: 50 });
    engine = syntheticProcesses(config, { rtf: { 1: 0.02 }, maxBatch: 1, timeScale: 1, degradePerCall: 0.4 });
    server = await startTestServer({}, { engine });
    const restarts: RestartEvent[] = [];
    engine.supervisor.on('restart', (e: RestartEvent) => restarts.push(e));
    const first = engine.supervisor.workers()[0]?.id;
    let sent = 0;
    while (restarts.length === 0 && sent < 40) {
      const res = await postJson(`${server.url}/v1/tts`, { text: 'A segment for the slowing engine.', voice: 'tone', language: 'en', format: 'pcm' });
      assert.equal(res.status, 200);
      sent++;
    }
    assert.deepEqual(restarts[0], { slot: 0, worker: first, reason: 'recycle_rtf' });
    assert.ok(sent > 5, 'not before a baseline existed');
    const info = engine.supervisor.workers().find((w) => w.id === first);
    if (info) assert.ok((info.rtf.current ?? 0) > (info.rtf.baseline ?? Infinity) * 1.5, JSON.stringify(info.rtf));
  });

  it('recycles a worker after its maximum age', async () => {
    engine = espeakProcesses(workerConfig({ workerProcesses: 1, workerHeartbeatMs: 50 }), { recycle: { maxAgeMs: 300 } });
    await engine.start();
    const restarts: RestartEvent[] = [];
    engine.supervisor.on('restart', (e: RestartEvent) => restarts.push(e));
    const first = engine.supervisor.workers()[0]?.id;
    await waitFor(() => restarts.length >= 1, 'the age limit to trigger');
    assert.deepEqual(restarts[0], { slot: 0, worker: first, reason: 'recycle_age' });
  });
});
