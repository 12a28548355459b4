// Dynamic batching with Triton's semantics: the scheduler sends up to maxBatch waiting segments
// as one engine call, and a lone segment waits at most BATCH_MAX_QUEUE_DELAY_MS for company.
// In-process with a batching test double around real espeak, then in worker processes with the
// synthetic engine (a GPU stand-in) over the protocol's synth_batch.
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';
import { BatchingEngine } from '../helpers/batching-engine.js';
import { metricValue, readBody, waitFor } from '../helpers/wait.js';
import { EspeakEngine } from '../../src/engines/espeak/engine.js';
import { syntheticProcesses, workerConfig } from '../workers/helpers.js';

describe('dynamic batching', () => {
  let server: TestServer | undefined;
  let held: BatchingEngine | undefined;
  afterEach(async () => {
    held?.open();
    await server?.close();
    server = undefined;
    held = undefined;
  });

  it('sends up to maxBatch waiting segments as one engine call, and a lone one after the queue delay', async () => {
    const engine = new BatchingEngine(new EspeakEngine({ workers: 2 }), 4);
    held = engine;
    server = await startTestServer({ batchMaxQueueDelayMs: 20 }, { engine });
    engine.hold = /^Blocker/;
    const blocker = postJson(`${server.url}/v1/tts`, { text: 'Blocker.', language: 'en', format: 'pcm' });
    await waitFor(() => engine.held === 1, 'the lone first segment to be sent after the delay');
    const texts = Array.from({ length: 6 }, (_, i) => `Batched request ${i}.`);
    const rest = texts.map((text, i) => postJson(`${(server as TestServer).url}/v1/tts`, { text, language: 'en', format: 'pcm', stream: i % 2 === 0 }));
    await waitFor(() => server?.app.engine.scheduler.stats().waitingJobs === 6, 'six segments to wait');
    engine.open();
    for (const res of await Promise.all([blocker, ...rest])) {
      assert.equal(res.status, 200);
      assert.ok((await readBody(res)).complete);
    }
    assert.deepEqual(engine.calls.map((c) => c.length), [1, 4, 2], JSON.stringify(engine.calls));
    assert.deepEqual(engine.calls.flat().sort(), ['Blocker.', ...texts].sort(), 'every segment exactly once');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.equal(metricValue(metrics, 'cosyfleet_batch_size_count', { engine: 'batching-standin' }), 3);
    assert.equal(metricValue(metrics, 'cosyfleet_batch_size_sum', { engine: 'batching-standin' }), 7);
  });

  it('batches across worker processes: each batch goes to one worker as one synth_batch', async () => {
    const config = workerConfig({ workerProcesses: 1 });
    // The first request (~13 s of audio at RTF 0.2: ~2.6 s) runs alone while the next eight queue.
    const engine = syntheticProcesses(config, { rtf: { 1: 0.2, 4: 0.1 }, maxBatch: 4, timeScale: 1 });
    server = await startTestServer({ batchMaxQueueDelayMs: 10 }, { engine });
    const first = postJson(`${server.url}/v1/tts`, { text: `The first request runs alone ${'and it goes on '.repeat(12)}.`, voice: 'tone', language: 'en', format: 'pcm' });
    await waitFor(() => server?.app.engine.scheduler.stats().running === 1, 'the first call to start');
    const rest = Array.from({ length: 8 }, (_, i) => postJson(`${(server as TestServer).url}/v1/tts`, { text: `Queued request number ${i}.`, voice: 'tone', language: 'en', format: 'pcm' }));
    await waitFor(() => server?.app.engine.scheduler.stats().waitingJobs === 8, 'eight requests to wait');
    assert.equal(server.app.engine.scheduler.stats().running, 1, 'while the first call still runs');
    for (const res of await Promise.all([first, ...rest])) {
      assert.equal(res.status, 200);
      const body = await readBody(res);
      assert.ok(body.complete && body.bytes > 0);
    }
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.equal(metricValue(metrics, 'cosyfleet_batch_size_count', { engine: 'synthetic' }), 3);
    assert.equal(metricValue(metrics, 'cosyfleet_batch_size_sum', { engine: 'synthetic' }), 9);
    assert.equal(metricValue(metrics, 'cosyfleet_batch_size_bucket', { engine: 'synthetic', le: '1' }), 1);
    assert.equal(server.app.engine.scheduler.stats().batches, 2);
  });

  it('retries every segment of a batch whose worker died, each on its own', async () => {
    const config = workerConfig({ workerProcesses: 1 });
    const engine = syntheticProcesses(config, { rtf: { 1: 0.2, 4: 0.1 }, maxBatch: 4, timeScale: 1 });
    server = await startTestServer({ batchMaxQueueDelayMs: 10 }, { engine });
    const first = postJson(`${server.url}/v1/tts`, { text: `The first request runs alone ${'and it goes on '.repeat(12)}.`, voice: 'tone', language: 'en', format: 'pcm' });
    await waitFor(() => server?.app.engine.scheduler.stats().running === 1, 'the first call to start');
    const rest = Array.from({ length: 4 }, (_, i) => postJson(`${(server as TestServer).url}/v1/tts`, { text: `Batched request number ${i}.`, voice: 'tone', language: 'en', format: 'pcm' }));
    await waitFor(() => server?.app.engine.scheduler.stats().waitingJobs === 4, 'four requests to wait');
    // Kill the worker as the batch reaches it.
    engine.supervisor.once('dispatch', (e: { pid: number | null }) => process.kill(e.pid as number, 'SIGKILL'));
    for (const res of await Promise.all([first, ...rest])) {
      assert.equal(res.status, 200);
      assert.ok((await readBody(res)).complete);
    }
    const stats = server.app.engine.scheduler.stats();
    assert.equal(stats.retries, 4);
    assert.equal(stats.outcomes.completed, 5);
  });
});
