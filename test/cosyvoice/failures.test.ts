// How the cosyvoice engine survives what users of the official runtimes suffer, with the real
// Python worker in supervised processes and the stand-in model (test/cosyvoice/standin) failing
// on cue: CUDA out of memory (retried on a fresh worker, started only after the old one released
// the GPU), NaN or silent output (retried; after COSYVOICE_BAD_AUDIO_LIMIT of them the worker
// reports fp16 as unsafe), recycling (cloned voices are prepared again in the new worker), and a
// model directory that is not there (/readyz stays red instead of flapping).
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { ProcessEngine } from '../../src/workers/process-engine.js';
import type { WorkerExitEvent, WorkerInfo } from '../../src/workers/supervisor.js';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';
import { uploadVoice } from '../helpers/voices.js';
import { metricValue, waitFor } from '../helpers/wait.js';
import { StandInModel } from '../remote/fakes/model.js';
import { PROMPT_TEXT, recordingWav } from '../remote/helpers.js';
import { cosyvoiceSettings, spoken, standIn, type JournalEntry, type StandIn } from './helpers.js';

const ADMIN_KEY = 'cosyvoice-test-admin-key';
const speech = new StandInModel();
let model: StandIn;
let server: TestServer | undefined;

before(async () => {
  await speech.start();
  model = await standIn();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});
after(async () => {
  await speech.close();
  await model.remove();
});

async function start(more: Parameters<typeof cosyvoiceSettings>[1] = {}): Promise<TestServer> {
  server = await startTestServer(cosyvoiceSettings(model, { adminKey: ADMIN_KEY, ...more }));
  await waitFor(async () => (await fetch(`${server?.url}/readyz`)).status === 200, 'the worker to be ready');
  return server;
}

async function tts(text: string, more: Record<string, unknown> = {}): Promise<Response> {
  return postJson(`${server?.url}/v1/tts`, { text, voice: '英文男', language: 'en', format: 'pcm', ...more });
}

async function workers(): Promise<WorkerInfo[]> {
  const res = await fetch(`${server?.url}/v1/admin/workers`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  return ((await res.json()) as { data: WorkerInfo[] }).data;
}

async function metrics(): Promise<string> {
  return (await fetch(`${server?.url}/metrics`)).text();
}

const synthCalls = (entries: JournalEntry[], text: string) => entries.filter((e) => e.event.startsWith('inference_') && spoken(e) === text);

describe('cosyvoice worker failures', () => {
  it('CUDA out of memory: the segment is retried on a new worker, started after the old one stopped', async () => {
    await start({ workerProcesses: 1 });
    const supervisor = (server?.app.engine.inner as ProcessEngine).supervisor;
    const events: string[] = [];
    supervisor.on('worker-exit', (e: WorkerExitEvent) => events.push(`exit ${e.worker}`));
    supervisor.on('worker-ready', (id: string) => events.push(`ready ${id}`));
    const text = 'This one runs out of GPU memory: oomonce.';
    const res = await tts(text);
    assert.equal(res.status, 200, await res.clone().text());
    assert.ok((await res.arrayBuffer()).byteLength > 24000, 'the retry produced the audio');
    const journal = await model.journal();
    const attempts = synthCalls(journal, text);
    assert.equal(attempts.length, 2);
    assert.notEqual(attempts[0]?.pid, attempts[1]?.pid, 'the retry ran in a fresh worker');
    const second = journal.filter((e) => e.event === 'init' && e.pid === attempts[1]?.pid);
    assert.equal(second.length, 1);
    // Stop first: the old worker was gone before its replacement was ready (a GPU that just ran
    // out of memory has no room for a second copy of the model).
    assert.deepEqual(events, ['exit w0-1', 'ready w0-2']);
    const info = await workers();
    assert.ok(info[0]?.restarts.some((r) => r.reason === 'cuda_oom'), JSON.stringify(info[0]?.restarts));
    assert.equal(metricValue(await metrics(), 'cosyfleet_worker_restarts_total', { engine: 'cosyvoice', reason: 'cuda_oom' }), 1);
    assert.equal(metricValue(await metrics(), 'cosyfleet_segment_retries_total', { engine: 'cosyvoice' }), 1);
    assert.equal(metricValue(await metrics(), 'cosyfleet_worker_segment_failures_total', { engine: 'cosyvoice', code: 'out_of_memory' }), 1);
  });

  it('an exception in upstream\'s LLM thread fails the segment at once, with its message, instead of hanging it', { timeout: 60_000 }, async () => {
    await start({ workerProcesses: 1 });
    const res = await tts('The language model asserts here: llmassert.');
    assert.equal(res.status, 502, await res.clone().text());
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'engine_failed');
    assert.match(body.error.message, /AssertionError: stand-in assert inside the LLM thread/);
    assert.equal((await tts('The worker still serves.')).status, 200);
    // The failed call left nothing in the model (sessions come with the next heartbeat).
    await waitFor(async () => (await workers())[0]?.sessions === 0, 'no session left in the model');
  });

  it('a segment stuck inside the model: the worker\'s watchdog fails it as retryable and asks to be replaced; the retry succeeds', { timeout: 60_000 }, async () => {
    await start({ workerProcesses: 1, workerSegmentStallMs: 1000 });
    const text = 'The GPU stops making progress here: stallonce.';
    const res = await tts(text);
    assert.equal(res.status, 200, await res.clone().text());
    assert.ok((await res.arrayBuffer()).byteLength > 24000, 'the retry produced the audio');
    const attempts = synthCalls(await model.journal(), text);
    assert.equal(attempts.length, 2);
    assert.notEqual(attempts[0]?.pid, attempts[1]?.pid, 'the retry ran in a fresh worker');
    const info = await workers();
    assert.ok(info[0]?.restarts.some((r) => r.reason === 'stalled'), JSON.stringify(info[0]?.restarts));
    assert.equal(metricValue(await metrics(), 'cosyfleet_worker_segment_failures_total', { engine: 'cosyvoice', code: 'stalled' }), 1);
    assert.equal(metricValue(await metrics(), 'cosyfleet_worker_restarts_total', { engine: 'cosyvoice', reason: 'stalled' }), 1);
  });

  it('a long unstreamed segment is not mistaken for a stall: speech tokens count as progress', { timeout: 60_000 }, async () => {
    // speed != 1 runs without streaming: no audio until the end, here about 5 s of LLM time
    // (210 tokens at 25 ms), five times the stall time.
    process.env.COSYVOICE_STANDIN_TOKEN_SECONDS = '0.025';
    try {
      await start({ workerProcesses: 1, workerSegmentStallMs: 1000 });
    } finally {
      delete process.env.COSYVOICE_STANDIN_TOKEN_SECONDS;
    }
    const text = 'A slow and long sentence that takes its time to be generated by the language model, word after word, without any audio before the end of it.';
    const started = Date.now();
    const res = await tts(text, { speed: 0.8 });
    assert.equal(res.status, 200, await res.clone().text());
    assert.ok(Date.now() - started > 3 * 1000, 'the segment did outlast the stall time');
    assert.deepEqual((await workers())[0]?.restarts, []);
    assert.deepEqual((await workers())[0]?.failures, {});
  });

  it('NaN and silent output: the segment is retried and the client gets audio', async () => {
    await start({ workerProcesses: 1 });
    for (const text of ['Numbers go wrong here: nanonce.', 'And this comes out silent: silentonce.']) {
      const res = await tts(text);
      assert.equal(res.status, 200, await res.clone().text());
      const pcm = new Int16Array((await res.arrayBuffer()).slice(0));
      assert.ok(pcm.some((v) => Math.abs(v) > 3000), 'audible audio came back');
      assert.equal(synthCalls(await model.journal(), text).length, 2);
    }
    const info = await workers();
    assert.equal(info[0]?.warnings.length, 0, 'two bad segments are below the default limit of 3');
    assert.deepEqual(info[0]?.failures, { bad_audio: 2 });
    assert.equal(metricValue(await metrics(), 'cosyfleet_worker_segment_failures_total', { engine: 'cosyvoice', code: 'bad_audio' }), 2);
  });

  it('after COSYVOICE_BAD_AUDIO_LIMIT bad segments with fp16 on, the worker reports fp16_unsafe', async () => {
    await start({ workerProcesses: 1, workerFp16: true, cosyvoiceBadAudioLimit: 2 });
    const res = await tts('This always comes out broken: nanalways.');
    assert.equal(res.status, 502, await res.clone().text());
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'engine_failed');
    await waitFor(async () => (await workers())[0]?.warnings.some((w) => w.code === 'fp16_unsafe') === true, 'the fp16_unsafe warning');
    const warning = (await workers())[0]?.warnings.find((w) => w.code === 'fp16_unsafe');
    assert.match(warning?.message ?? '', /WORKER_FP16=false/);
    assert.equal(metricValue(await metrics(), 'cosyfleet_worker_warnings_total', { engine: 'cosyvoice', code: 'fp16_unsafe' }), 1);
    // The worker keeps serving other text.
    assert.equal((await tts('Fine text.')).status, 200);
  });

  it('recycling after N segments: each new worker prepares the cloned voice again before using it; no request fails', async () => {
    await start({ workerProcesses: 1, workerRecycleJobs: 2 });
    const created = await uploadVoice(server?.url as string, { audio: { bytes: await recordingWav(speech), filename: 'me.wav', type: 'audio/wav' }, fields: { transcript: PROMPT_TEXT } });
    assert.equal(created.status, 201);
    const voice = ((await created.json()) as { id: string }).id;
    for (let i = 0; i < 6; i++) {
      const res = await tts(`Cloned sentence number ${i}.`, { voice, mode: 'clone' });
      assert.equal(res.status, 200, await res.clone().text());
      // Every second segment starts a replacement; let it take over before the next pair.
      if (i % 2 === 1) {
        await waitFor(async () => {
          const ws = await workers();
          return ws.length === 1 && ws[0]?.state === 'ready' && ws[0].jobsDone === 0;
        }, 'the replacement worker to take over');
      }
    }
    const journal = await model.journal();
    const uses = journal.filter((e) => e.event === 'inference_zero_shot' && String(e.spk).startsWith(`cosyfleet:${voice}@1#`));
    assert.equal(uses.length, 6);
    const pids = [...new Set(uses.map((e) => e.pid))];
    assert.ok(pids.length >= 3, `segments ran in ${pids.length} workers`);
    for (const pid of pids) {
      const order = journal.filter((e) => e.pid === pid);
      const added = order.findIndex((e) => e.event === 'add_zero_shot_spk' && e.spk === `cosyfleet:${voice}@1`);
      const used = order.findIndex((e) => e.event === 'inference_zero_shot');
      assert.ok(added >= 0 && added < used, `worker ${pid} prepared the voice before using it`);
    }
    assert.ok((await workers())[0]?.restarts.some((r) => r.reason === 'recycle_jobs'));
  });

  it('the CUDA cache is emptied once per finished segment (by upstream, not again by the worker), and after a failed one', async () => {
    await start({ workerProcesses: 1 });
    const at = (await model.journal()).length;
    assert.equal((await tts('First segment.')).status, 200);
    assert.equal((await tts('Second segment.')).status, 200);
    const calls = new Set(['inference_sft', 'tts_start', 'tts_end', 'empty_cache']);
    const events = (await model.journal()).slice(at).map((e) => e.event).filter((e) => calls.has(e));
    assert.deepEqual(events, ['inference_sft', 'tts_start', 'tts_end', 'empty_cache', 'inference_sft', 'tts_start', 'tts_end', 'empty_cache']);
    // A segment upstream did not finish skipped its clean-up: the worker releases the cache then.
    const failed = (await model.journal()).length;
    assert.equal((await tts('This one asserts: llmassert.')).status, 502);
    const after = (await model.journal()).slice(failed).map((e) => e.event).filter((e) => calls.has(e));
    assert.deepEqual(after, ['inference_sft', 'tts_start', 'empty_cache']);
  });

  it('a model directory without the model: the worker says why, and /readyz stays red', async () => {
    server = await startTestServer(cosyvoiceSettings(model, { cosyvoiceModelDir: `${model.modelDir}-missing`, workerBackoffMs: 20 }));
    await waitFor(async () => {
      const res = await fetch(`${server?.url}/readyz`);
      const body = (await res.json()) as { detail?: string };
      return res.status === 503 && /crash-looping/.test(body.detail ?? '') && /does not exist \(COSYVOICE_MODEL_DIR\)/.test(body.detail ?? '');
    }, 'the crash-loop detail on /readyz, with the worker\'s own reason');
    const res = await tts('Anyone there?');
    assert.equal(res.status, 503, await res.clone().text());
  });
});
