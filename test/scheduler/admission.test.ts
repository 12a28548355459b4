// The scheduler through real HTTP and the real espeak engine: priorities, 429 admission control,
// deadlines, cancellation, overload, and the metrics that report them. A GateEngine holds chosen
// engine calls (standing in for a slow GPU) so every assertion is about order and counts, never
// about how long something took.
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';
import { GateEngine } from '../helpers/gate-engine.js';
import { metricValue, readBody, waitFor } from '../helpers/wait.js';
import { expectError } from '../helpers/voices.js';
import { EspeakEngine } from '../../src/engines/espeak/engine.js';
import type { JobInfo } from '../../src/scheduler/job.js';

// About 4,400 characters: eleven segments, which run one after another on one slot.
const LONG = `Long ${'and the sentence keeps going with more words to say. '.repeat(80)}end.`;

describe('scheduler over HTTP', () => {
  let server: TestServer | undefined;
  let gate: GateEngine | undefined;
  afterEach(async () => {
    // A failed assertion may leave calls held; the server's close waits for their requests.
    gate?.open();
    await server?.close();
    server = undefined;
    gate = undefined;
  });

  async function start(overrides: Record<string, unknown>, workers = 1): Promise<{ server: TestServer; gate: GateEngine }> {
    gate = new GateEngine(new EspeakEngine({ workers }));
    server = await startTestServer(overrides, { engine: gate });
    return { server, gate };
  }
  const stats = () => (server as TestServer).app.engine.scheduler.stats();
  const metrics = async () => (await fetch(`${(server as TestServer).url}/metrics`)).text();

  it('serves a streamed (interactive) request before a whole-file (batch) request that came first', async () => {
    const { server, gate } = await start({});
    gate.hold = /^Blocker/;
    const blocker = postJson(`${server.url}/v1/tts`, { text: 'Blocker sentence.', language: 'en', format: 'pcm' });
    await waitFor(() => gate.held === 1, 'the blocker to hold the only slot');
    const batch = postJson(`${server.url}/v1/tts`, { text: 'Batch request.', language: 'en', format: 'pcm' });
    await waitFor(() => stats().queued.batch === 1, 'the batch request to queue');
    const interactive = postJson(`${server.url}/v1/tts`, { text: 'Interactive request.', language: 'en', format: 'pcm', stream: true });
    await waitFor(() => stats().queued.interactive === 1, 'the interactive request to queue');
    gate.open();
    for (const res of await Promise.all([blocker, batch, interactive])) {
      assert.equal(res.status, 200);
      assert.equal((await readBody(res)).complete, true);
    }
    assert.ok(gate.at('start Interactive request.') < gate.at('start Batch request.'), gate.events.join(' | '));
  });

  it('answers 429 queue_full with Retry-After at once, while the queued work is still held', async () => {
    const { server, gate } = await start({ queueMax: 2 });
    gate.hold = /^Blocker/;
    const admitted = [postJson(`${server.url}/v1/tts`, { text: 'Blocker sentence.', language: 'en', format: 'pcm' })];
    await waitFor(() => gate.held === 1, 'the blocker to start');
    admitted.push(postJson(`${server.url}/v1/tts`, { text: 'Second request.', language: 'en', format: 'pcm' }));
    admitted.push(postJson(`${server.url}/v1/tts`, { text: 'Third request.', language: 'en', format: 'pcm', stream: true }));
    await waitFor(() => stats().waitingJobs === 2, 'two jobs to wait');

    const refused = await postJson(`${server.url}/v1/tts`, { text: 'One too many.', language: 'en', format: 'pcm' });
    assert.ok(Number(refused.headers.get('retry-after')) >= 1, `Retry-After: ${refused.headers.get('retry-after')}`);
    await expectError(refused, 429, 'queue_full');
    // Refused while nothing had finished: admission did not wait for the queue to move.
    assert.ok(!gate.events.some((e) => e.startsWith('end ')), gate.events.join(' | '));
    assert.equal(gate.held, 1);

    gate.open();
    for (const res of await Promise.all(admitted)) assert.equal(res.status, 200);
    await waitFor(() => stats().activeJobs === 0, 'every job to finish');
    const text = await metrics();
    assert.equal(metricValue(text, 'cosyfleet_jobs_rejected_total', { engine: 'espeak', reason: 'queue_full' }), 1);
    assert.equal(metricValue(text, 'cosyfleet_jobs_total', { engine: 'espeak', outcome: 'completed' }), 3);
    assert.equal(metricValue(text, 'cosyfleet_queue_wait_seconds_count', { engine: 'espeak', priority: 'batch' }), 2);
    assert.equal(metricValue(text, 'cosyfleet_queue_wait_seconds_count', { engine: 'espeak', priority: 'interactive' }), 1);
  });

  it('refuses on the OpenAI-compatible route too: 429 in OpenAI\'s error shape, with Retry-After', async () => {
    const { server, gate } = await start({ queueMax: 1 });
    gate.hold = /^Blocker/;
    const blocker = postJson(`${server.url}/v1/tts`, { text: 'Blocker sentence.', language: 'en', format: 'pcm' });
    await waitFor(() => gate.held === 1, 'the blocker to start');
    const waiting = postJson(`${server.url}/v1/tts`, { text: 'Waiting request.', language: 'en', format: 'pcm' });
    await waitFor(() => stats().waitingJobs === 1, 'one job to wait');
    const res = await postJson(`${server.url}/v1/audio/speech`, { model: 'tts-1', input: 'Hello there.', voice: 'alloy' });
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
    const body = (await res.json()) as { error: { code: string; type: string } };
    assert.equal(body.error.code, 'queue_full');
    gate.open();
    assert.equal((await blocker).status, 200);
    assert.equal((await waiting).status, 200);
  });

  it('a fresh server admits a short request at once into its idle slot, however busy the other slot is', async () => {
    // Issue 12: a fresh server with an idle slot refused a six-character request ("estimated
    // wait 80,763 ms"): no history, so a long job on the other slot was priced at RTF 0.5 and
    // its work spread over both slots.
    const { server, gate } = await start({}, 2);
    const declared = gate.capabilities.rtf;
    assert.equal(typeof declared, 'number', 'espeak declares its speed');
    assert.equal(stats().estimator.samples, 0, 'nothing measured yet');
    assert.equal(stats().estimator.rtf, declared, 'the estimate starts from the declared speed');
    gate.hold = /^Long/;
    const long = postJson(`${server.url}/v1/tts`, { text: LONG, language: 'en', format: 'pcm' });
    await waitFor(() => gate.held === 1, 'the long job to hold one of the two slots');

    // The default deadline, then the tightest one: the idle slot takes each at once.
    for (const [text, deadline] of [['Hello.', undefined], ['Hi you.', '1']] as const) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...(deadline ? { 'x-deadline-ms': deadline } : {}) };
      const res = await postJson(`${server.url}/v1/tts`, { text, language: 'en', format: 'pcm' }, { headers });
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal((await readBody(res)).complete, true);
      assert.ok(gate.at(`end ${text}`) >= 0, gate.events.join(' | '));
    }
    // Both were served while the long job was still held at the gate.
    assert.equal(gate.held, 1);
    assert.ok(!gate.events.some((e) => e.startsWith('start Long')), gate.events.join(' | '));
    assert.equal(stats().rejected.overloaded + stats().rejected.queue_full, 0);

    gate.open();
    assert.equal((await long).status, 200);
    // And it learns: the estimate now follows the measured calls, not the declared figure.
    await waitFor(() => stats().activeJobs === 0, 'the long job to finish');
    assert.ok(stats().estimator.samples >= 13, `${stats().estimator.samples} calls measured`);
    assert.notEqual(stats().estimator.rtf, declared);
  });

  it('with the slots busy, a 429\'s Retry-After is the wait its message states, rounded up to whole seconds', async () => {
    const { server, gate } = await start({ queueMax: 1 });
    gate.hold = /^Long/;
    const long = postJson(`${server.url}/v1/tts`, { text: LONG, language: 'en', format: 'pcm' });
    await waitFor(() => gate.held === 1, 'the long job to hold the only slot');
    const statedWait = async (res: Response, code: string): Promise<number> => {
      const retryAfter = res.headers.get('retry-after');
      const error = await expectError(res, 429, code);
      const ms = Number(/estimated wait \(?(\d+) ms/.exec(error.message)?.[1]);
      assert.ok(ms > 0, error.message);
      assert.equal(retryAfter, String(Math.ceil(ms / 1000)), error.message);
      assert.match(error.message, new RegExp(`retry after ${Math.ceil(ms / 1000)} s\\.$`));
      return ms;
    };

    const hurried = await postJson(`${server.url}/v1/tts`, { text: 'In a hurry.', language: 'en', format: 'pcm' }, { headers: { 'content-type': 'application/json', 'x-deadline-ms': '1000' } });
    // The long job's ten segments still to come, at espeak's declared speed: seconds of work.
    assert.ok((await statedWait(hurried, 'overloaded')) > 1000);

    const patient = postJson(`${server.url}/v1/tts`, { text: 'I can wait.', language: 'en', format: 'pcm' });
    await waitFor(() => stats().waitingJobs === 1, 'one job to wait (QUEUE_MAX=1)');
    await statedWait(await postJson(`${server.url}/v1/tts`, { text: 'One too many.', language: 'en', format: 'pcm' }), 'queue_full');
    assert.equal(gate.held, 1, 'both refused while the long job was still held');

    gate.open();
    assert.equal((await long).status, 200);
    assert.equal((await patient).status, 200);
  });

  it('answers 429 overloaded when the estimated wait exceeds the deadline the request asks for', async () => {
    const { server, gate } = await start({});
    gate.hold = /^Long/;
    const long = postJson(`${server.url}/v1/tts`, { text: LONG, language: 'en', format: 'pcm' });
    await waitFor(() => gate.held === 1, 'the long job to start');
    const estimate = server.app.engine.scheduler.estimateWaitMs('batch');
    assert.ok(estimate > 1000, `a long text is estimated to keep the engine busy (${estimate} ms)`);

    const refused = await postJson(`${server.url}/v1/tts`, { text: 'In a hurry.', language: 'en', format: 'pcm' }, { headers: { 'content-type': 'application/json', 'x-deadline-ms': '1000' } });
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    await expectError(refused, 429, 'overloaded');

    const bad = await postJson(`${server.url}/v1/tts`, { text: 'Bad header.', format: 'pcm' }, { headers: { 'content-type': 'application/json', 'x-deadline-ms': 'soon' } });
    await expectError(bad, 400, 'invalid_value', 'headers.x-deadline-ms');

    // Without a header the default deadline (30 s) covers the estimate.
    const patient = postJson(`${server.url}/v1/tts`, { text: 'I can wait.', language: 'en', format: 'pcm' });
    await waitFor(() => stats().waitingJobs === 1, 'the patient request to be admitted');
    gate.open();
    assert.equal((await long).status, 200);
    assert.equal((await patient).status, 200);
    assert.equal(metricValue(await metrics(), 'cosyfleet_jobs_rejected_total', { engine: 'espeak', reason: 'overloaded' }), 1);
  });

  it('counts only time in the queue against the deadline: a job submitted late to an idle slot starts', async () => {
    const { server } = await start({});
    const engine = server.app.engine;
    const spec = { stream: false, segments: [{ text: 'Late but idle.', language: 'en', speed: 1 }] };
    const job = engine.admit(spec, { deadlineMs: 1 });
    // The request's own work between admission and its first segment (planning, opening the
    // encoder) is not queue wait, however long it takes.
    await new Promise((r) => setTimeout(r, 30));
    let samples = 0;
    for await (const chunk of job.engine.synthesize({ text: 'Late but idle.', mode: 'preset', voice: 'mei', language: 'en', speed: 1 })) samples += chunk.samples.length;
    job.settle(null);
    assert.ok(samples > 0);
    assert.equal(metricValue(await metrics(), 'cosyfleet_jobs_total', { engine: 'espeak', outcome: 'completed' }), 1);
  });

  it('fails a job still queued at its deadline with 503 deadline_exceeded; it never reaches the engine', async () => {
    const { server, gate } = await start({});
    gate.hold = /^Hi\./;
    const blocker = postJson(`${server.url}/v1/tts`, { text: 'Hi.', language: 'en', format: 'pcm' });
    await waitFor(() => gate.held === 1, 'the blocker to start');
    const late = await postJson(`${server.url}/v1/tts`, { text: 'Too late.', language: 'en', format: 'pcm' }, { headers: { 'content-type': 'application/json', 'x-deadline-ms': '500' } });
    assert.ok(Number(late.headers.get('retry-after')) >= 1);
    await expectError(late, 503, 'deadline_exceeded');
    assert.equal(gate.at('start Too late.'), -1, 'the expired job was never synthesized');
    assert.equal(gate.held, 1, 'the blocker was still held: the expiry did not wait for it');
    gate.open();
    assert.equal((await blocker).status, 200);
    const text = await metrics();
    assert.equal(metricValue(text, 'cosyfleet_jobs_total', { engine: 'espeak', outcome: 'expired' }), 1);
    assert.equal(metricValue(text, 'cosyfleet_jobs_total', { engine: 'espeak', outcome: 'completed' }), 1);
  });

  it('a client that disconnects while queued leaves the queue; one that disconnects while synthesizing frees the engine', async () => {
    const { server, gate } = await start({ maxSegmentChars: 60 });
    gate.hold = /^Blocker/;
    const blocker = postJson(`${server.url}/v1/tts`, { text: 'Blocker sentence.', language: 'en', format: 'pcm' });
    await waitFor(() => gate.held === 1, 'the blocker to start');
    const queued = new AbortController();
    const gone = postJson(`${server.url}/v1/tts`, { text: 'Never mind.', language: 'en', format: 'pcm' }, { signal: queued.signal }).catch(() => null);
    await waitFor(() => stats().queued.batch === 1, 'the second request to queue');
    queued.abort();
    await gone;
    await waitFor(() => stats().outcomes.cancelled === 1, 'the queued job to be cancelled');
    assert.equal(stats().queued.batch, 0);
    gate.open();
    assert.equal((await blocker).status, 200);
    assert.equal(gate.at('start Never mind.'), -1, 'the cancelled job never reached the engine');

    // Ten segments, streamed; the client leaves after the first audio.
    const ten = Array.from({ length: 10 }, (_, i) => `Sentence ${i + 1} of the cancellation test.`).join(' ');
    const running = new AbortController();
    const res = await postJson(`${server.url}/v1/tts`, { text: ten, language: 'en', format: 'pcm', stream: true }, { signal: running.signal });
    await (res.body as ReadableStream<Uint8Array>).getReader().read();
    running.abort();
    await waitFor(() => stats().outcomes.cancelled === 2 && stats().running === 0, 'the running job to be cancelled and its slot freed');
    const started = gate.events.filter((e) => e.startsWith('start Sentence')).length;
    assert.ok(started < 10, `only ${started} of 10 segments started`);
    const espeak = gate.inner as EspeakEngine;
    await waitFor(() => espeak.pool.stats.busy === 0, 'the espeak worker to be free');
    const after = await postJson(`${server.url}/v1/tts`, { text: 'Still serving.', language: 'en', format: 'pcm' });
    assert.equal(after.status, 200);
    assert.equal(metricValue(await metrics(), 'cosyfleet_jobs_total', { engine: 'espeak', outcome: 'cancelled' }), 2);
  });

  it('at five times capacity: refuses the excess at once, keeps the queue bounded, serves every accepted request before its deadline', async () => {
    const slots = 2;
    const queueMax = 4;
    const { server, gate } = await start({ queueMax }, slots);
    const scheduler = server.app.engine.scheduler;
    let peakWaiting = 0;
    let peakActive = 0;
    const settled: JobInfo[] = [];
    scheduler.observe({
      admitted: () => {
        peakWaiting = Math.max(peakWaiting, scheduler.stats().waitingJobs);
        peakActive = Math.max(peakActive, scheduler.stats().activeJobs);
      },
      settled: (job) => settled.push(job),
    });
    gate.hold = /^Load/;
    const offered = 5 * (slots + queueMax);
    const statuses: number[] = [];
    const responses = Array.from({ length: offered }, (_, i) =>
      postJson(`${server.url}/v1/tts`, { text: `Load request number ${i}.`, language: 'en', format: 'pcm', stream: i % 2 === 0 }).then((r) => {
        statuses.push(r.status);
        return r;
      }),
    );
    // Every refusal reaches its client while the admitted work is still held at the gate.
    await waitFor(() => statuses.filter((s) => s === 429).length === offered - slots - queueMax, 'the excess to be refused');
    assert.equal(gate.held, slots);
    assert.ok(!gate.events.some((e) => e.startsWith('end ')));
    assert.equal(statuses.length, offered - slots - queueMax, 'only refusals have answered so far');
    gate.open();
    const all = await Promise.all(responses);
    const refused = all.filter((r) => r.status === 429);
    const served = all.filter((r) => r.status === 200);
    assert.equal(refused.length, offered - slots - queueMax);
    assert.equal(served.length, slots + queueMax);
    for (const r of refused) assert.ok(Number(r.headers.get('retry-after')) >= 1);
    for (const r of served) assert.equal((await readBody(r)).complete, true);
    await waitFor(() => settled.length === slots + queueMax, 'every admitted job to settle');
    assert.ok(peakWaiting <= queueMax, `at most ${queueMax} jobs waited (peak ${peakWaiting})`);
    assert.ok(peakActive <= slots + queueMax, `admitted jobs stayed bounded (peak ${peakActive})`);
    for (const job of settled) {
      assert.equal(job.outcome, 'completed');
      assert.ok(job.startedAt !== null && job.startedAt <= job.deadlineAt, `${job.id} started before its deadline`);
    }
    assert.equal(stats().activeJobs, 0);
    const text = await metrics();
    assert.equal(metricValue(text, 'cosyfleet_jobs_rejected_total', { engine: 'espeak', reason: 'queue_full' }), offered - slots - queueMax);
    assert.equal(metricValue(text, 'cosyfleet_jobs_total', { engine: 'espeak', outcome: 'completed' }), slots + queueMax);
    assert.equal(metricValue(text, 'cosyfleet_queue_depth', { engine: 'espeak', priority: 'batch' }), 0);
    assert.ok((metricValue(text, 'cosyfleet_audio_seconds_total', { engine: 'espeak' }) ?? 0) > 0);
    // Engine time per completed segment is the mean of the recorded RTFs times the audio: same sums.
    const engineS = metricValue(text, 'cosyfleet_engine_seconds_total', { engine: 'espeak' }) ?? 0;
    assert.ok(engineS > 0, `engine seconds counted (${engineS})`);
    assert.equal(metricValue(text, 'cosyfleet_segment_rtf_count', { engine: 'espeak' }), slots + queueMax);
    assert.equal(metricValue(text, 'cosyfleet_time_to_first_audio_seconds_count', { engine: 'espeak', priority: 'interactive' }), (slots + queueMax) / 2);
  });
});
