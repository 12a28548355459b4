// What a client sees when its worker dies, case by case, with worker processes that run the
// synthetic engine at a chosen speed (each segment streams for about a second, so the test can
// kill the worker at a known point). The processes, the protocol and the HTTP are all real.
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';
import { metricValue, readBody, waitFor } from '../helpers/wait.js';
import { expectError } from '../helpers/voices.js';
import { ProcessEngine } from '../../src/workers/process-engine.js';
import type { SegmentEvent } from '../../src/workers/supervisor.js';
import { syntheticProcesses, workerConfig } from './helpers.js';

// 30 characters of text -> ~2 s of audio at RTF 0.5: about a second of streaming per segment.
const SLOW = { rtf: { 1: 0.5 }, maxBatch: 1, timeScale: 1 };
const TEXT = 'A slow segment for the test.';

describe('worker loss, as the client sees it', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(crashRetries = 1) {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
    const config = workerConfig({ workerProcesses: 2, workerCrashRetries: crashRetries });
    server = await startTestServer({ workerCrashRetries: crashRetries, segmentGapMs: 0 }, { engine: syntheticProcesses(config, SLOW), logger });
    const engine = server.app.engine.inner as ProcessEngine;
    return { server, supervisor: engine.supervisor, scheduler: server.app.engine.scheduler, lines };
  }
  const body = (stream: boolean) => ({ text: TEXT, voice: 'tone', language: 'en', format: 'pcm', stream });

  it('a worker that dies before a segment\'s audio reaches the client is invisible: the segment runs again elsewhere', async () => {
    const { server, supervisor, scheduler } = await start();
    const reference = await readBody(await postJson(`${server.url}/v1/tts`, body(false)));
    for (const stream of [false, true]) {
      // Kill at dispatch: the segment is on the worker, no audio yet.
      supervisor.once('dispatch', (e: SegmentEvent) => process.kill(e.pid as number, 'SIGKILL'));
      const res = await postJson(`${server.url}/v1/tts`, body(stream));
      assert.equal(res.status, 200);
      const got = await readBody(res);
      assert.ok(got.complete, `stream=${stream}: complete`);
      assert.equal(got.bytes, reference.bytes, `stream=${stream}: the whole segment, once`);
    }
    // A non-streamed job also survives a loss after its worker produced audio: the service held it.
    supervisor.once('segment-audio', (e: SegmentEvent) => process.kill(e.pid as number, 'SIGKILL'));
    const held = await postJson(`${server.url}/v1/tts`, body(false));
    assert.equal(held.status, 200);
    assert.equal((await readBody(held)).bytes, reference.bytes);
    assert.equal(scheduler.stats().retries, 3);
    assert.equal(scheduler.stats().outcomes.completed, 4);
  });

  it('a stream whose worker dies after audio was sent is cut (truncated chunked response) and its outcome logged', async () => {
    const { server, supervisor, scheduler, lines } = await start();
    const res = await postJson(`${server.url}/v1/tts`, body(true), { headers: { 'content-type': 'application/json', 'x-request-id': 'cut-stream' } });
    assert.equal(res.status, 200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    assert.ok(first.value && first.value.length > 0, 'audio reached the client');
    const busy = supervisor.workers().find((w) => w.active > 0);
    assert.ok(busy?.pid);
    process.kill(busy.pid, 'SIGKILL');
    await assert.rejects(async () => {
      for (;;) if ((await reader.read()).done) break;
    }, 'the response ends without its terminating chunk');
    await waitFor(() => scheduler.stats().outcomes.truncated === 1, 'the job to end as truncated');
    assert.ok(lines.some((l) => l.msg === 'job finished' && l.outcome === 'truncated' && l.reqId === 'cut-stream'), 'logged under the request id');
    assert.equal(scheduler.stats().retries, 0, 'audio already sent cannot be replayed');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.equal(metricValue(metrics, 'cosyfleet_jobs_total', { engine: 'synthetic', outcome: 'truncated' }), 1);
  });

  it('a client that disconnects mid-stream cancels its segment on the worker, which is then free', async () => {
    const { server, supervisor, scheduler } = await start();
    const controller = new AbortController();
    const res = await postJson(`${server.url}/v1/tts`, body(true), { signal: controller.signal });
    await (res.body as ReadableStream<Uint8Array>).getReader().read();
    const busy = supervisor.workers().find((w) => w.active > 0);
    assert.ok(busy);
    controller.abort();
    await waitFor(() => supervisor.workers().every((w) => w.active === 0), 'the worker to be free');
    await waitFor(() => scheduler.stats().outcomes.cancelled === 1, 'the job to end as cancelled');
    const after = supervisor.workers().find((w) => w.id === busy.id);
    assert.equal(after?.jobsDone, busy.jobsDone, 'the segment was stopped, not finished');
    assert.equal(after?.jobsFailed, 0, 'a cancel is not a failure');
    const next = await postJson(`${server.url}/v1/tts`, body(false));
    assert.equal(next.status, 200);
  });

  it('a segment that loses its worker twice fails (a poison request must not take down the pool): 502 engine_failed', async () => {
    const { server, supervisor, scheduler } = await start(1);
    let kills = 0;
    const killer = (e: SegmentEvent) => {
      if (kills < 2) {
        kills++;
        process.kill(e.pid as number, 'SIGKILL');
      }
    };
    supervisor.on('segment-audio', killer);
    const res = await postJson(`${server.url}/v1/tts`, body(false));
    await expectError(res, 502, 'engine_failed');
    supervisor.off('segment-audio', killer);
    assert.equal(kills, 2);
    assert.equal(scheduler.stats().retries, 1);
    assert.equal(scheduler.stats().outcomes.failed, 1);
    await waitFor(() => supervisor.workers().filter((w) => w.state === 'ready').length === 2, 'the pool to recover');
  });
});
