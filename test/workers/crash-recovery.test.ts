// Crash recovery with real worker processes and real HTTP: workers are killed with SIGKILL (as
// kill -9 or the OOM killer would) while requests are in flight. Shown with counters, events and
// log lines, never with timings.
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';
import { metricValue, readBody, waitFor } from '../helpers/wait.js';
import { ProcessEngine } from '../../src/workers/process-engine.js';
import type { SegmentEvent } from '../../src/workers/supervisor.js';

function capturedLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

const SENTENCES = [
  'The first worker sentence is short.',
  'A second sentence follows it closely.',
  'Then a third one, a little longer than the others.',
  'And a fourth to finish the paragraph.',
];

describe('crash recovery (espeak worker processes)', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('20 kill -9s during 200 mixed requests: every non-streamed request completes, cut streams are logged, nothing is stuck, the pool recovers', async () => {
    const WORKERS = 2;
    const WAVES = 20;
    const PER_WAVE = 10;
    const { logger, lines } = capturedLogger();
    server = await startTestServer(
      {
        workers: 'process',
        workerProcesses: WORKERS,
        workerConcurrency: 1,
        workerBackoffMs: 20,
        workerHeartbeatMs: 500,
        maxSegmentChars: 60,
        queueMax: 1000,
        segmentGapMs: 0,
      },
      { logger },
    );
    const { url, app } = server;
    const engine = app.engine.inner;
    assert.ok(engine instanceof ProcessEngine);
    const supervisor = engine.supervisor;
    const scheduler = app.engine.scheduler;
    const readyWorkers = () => supervisor.workers().filter((w) => w.state === 'ready').length;

    // Each wave arms one kill, at its k-th segment event (a dispatch, or a segment's first
    // audio), so kills land at different points: before a segment's audio (retried elsewhere)
    // or in the middle of a stream (cut). A kill waits until no segment is on its retry: the
    // guarantee under test is one transparent retry per segment; a second loss fails it (below).
    let countdown = -1;
    const killed: string[] = [];
    const onSegment = (e: SegmentEvent) => {
      if (countdown < 0 || --countdown > 0) return;
      if (scheduler.activeJobs().some((j) => j.attempt > 1) || readyWorkers() < WORKERS || e.pid === null) {
        countdown = 1;
        return;
      }
      countdown = -1;
      killed.push(e.worker);
      process.kill(e.pid, 'SIGKILL');
    };
    supervisor.on('dispatch', onSegment);
    supervisor.on('segment-audio', onSegment);

    const results: { stream: boolean; status: number; complete: boolean; bytes: number; length: number | null; id: string }[] = [];
    for (let wave = 0; wave < WAVES; wave++) {
      await waitFor(() => readyWorkers() === WORKERS && app.engine.health().ready, 'the pool to be whole again');
      countdown = 1 + (wave % 7);
      await Promise.all(
        Array.from({ length: PER_WAVE }, async (_, i) => {
          const n = 1 + ((wave + i) % SENTENCES.length);
          const stream = i % 2 === 0;
          const id = `w${wave}-r${i}`;
          const res = await postJson(`${url}/v1/tts`, { text: SENTENCES.slice(0, n).join(' '), language: 'en', format: 'pcm', stream }, { headers: { 'content-type': 'application/json', 'x-request-id': id } });
          const body = res.status === 200 ? await readBody(res) : { bytes: 0, complete: false };
          const length = res.headers.get('content-length');
          results.push({ stream, status: res.status, complete: body.complete, bytes: body.bytes, length: length === null ? null : Number(length), id });
        }),
      );
      assert.equal(killed.length, wave + 1, `wave ${wave} killed a worker`);
    }
    supervisor.off('dispatch', onSegment);
    supervisor.off('segment-audio', onSegment);

    assert.equal(results.length, WAVES * PER_WAVE);
    const whole = results.filter((r) => !r.stream);
    for (const r of whole) {
      assert.equal(r.status, 200, `${r.id} answered ${r.status}`);
      assert.ok(r.complete && r.bytes === r.length && r.bytes > 0, `${r.id} got all its audio (${r.bytes} of ${r.length})`);
    }
    const streams = results.filter((r) => r.stream);
    for (const r of streams) assert.equal(r.status, 200, `${r.id}: the status is sent with the first audio, after any transparent retry`);
    const cut = streams.filter((r) => !r.complete);

    // Nothing is stuck.
    await waitFor(() => scheduler.stats().activeJobs === 0, 'every job to settle');
    const stats = scheduler.stats();
    assert.equal(stats.running, 0);
    assert.equal(stats.queued.batch + stats.queued.interactive, 0);
    assert.equal(stats.outcomes.failed, 0, 'no job failed');
    assert.equal(stats.outcomes.truncated, cut.length, 'every cut stream is a truncated job');
    assert.equal(stats.outcomes.completed, results.length - cut.length);
    // Each cut stream has its logged outcome, under its request id.
    for (const r of cut) {
      assert.ok(lines.some((l) => l.msg === 'job finished' && l.outcome === 'truncated' && l.reqId === r.id), `${r.id} has a logged truncated outcome`);
    }

    // The pool recovers and keeps serving.
    await waitFor(() => readyWorkers() === WORKERS && app.engine.health().ready, 'the pool to recover');
    const after = await postJson(`${url}/v1/tts`, { text: 'Recovered.', language: 'en', format: 'pcm' });
    assert.equal(after.status, 200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.equal(metricValue(metrics, 'cosyfleet_worker_restarts_total', { engine: 'espeak', reason: 'crash' }), WAVES);
    assert.equal(metricValue(metrics, 'cosyfleet_segment_retries_total', { engine: 'espeak' }), stats.retries);
    assert.ok(stats.retries + cut.length >= 1, 'the kills hit segments in flight');
    assert.equal(metricValue(metrics, 'cosyfleet_jobs_total', { engine: 'espeak', outcome: 'truncated' }), cut.length);
    assert.equal(new Set(killed).size, WAVES, 'every kill hit a different worker process');
  });
});
