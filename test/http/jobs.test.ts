// Long-form jobs over real HTTP on the SQLite default (the PostgreSQL queue and the kill -9 of a
// node: test/storage/jobs-two-nodes.test.ts): a chapter beyond MAX_TEXT_CHARS runs in the
// background, its progress by segment, its result a stored output whose audio is exactly what one
// request for the same text gives; bad input refused before anything is stored; cancel; a signed
// webhook, retried; a shutdown in the middle resumes at the next start without redoing the stored
// segments; tenants apart; usage per segment adding up to the job's characters. The engine is the
// real espeak engine, wrapped to count and hold calls (standing in for a slow GPU).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, readdirSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EspeakEngine } from '../../src/engines/espeak/engine.js';
import { ObservedEngine } from '../helpers/observed-engine.js';
import { GateEngine } from '../helpers/gate-engine.js';
import { postJson, startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { TWO_TENANTS, acme, globex, assertProbes } from '../helpers/outputs.js';
import { verifyWebhook } from '../../src/jobs/webhook.js';

const servers: TestServer[] = [];
const dirs: string[] = [];
after(async () => {
  for (const s of servers) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const SENTENCES = [
  'The lighthouse keeper climbed the spiral stairs before dawn.',
  'Each step rang under his boots like a small iron bell.',
  'At the top, the great lens waited, cold and patient.',
  'He wiped the salt from the glass with a woollen cloth.',
  'Far below, the sea rolled grey against the rocks.',
  'A gull called once, and then the morning was quiet again.',
];
/** About 1,900 characters in 5 paragraphs: many segments. */
const CHAPTER = Array.from({ length: 5 }, (_, p) => SENTENCES.map((s) => `${s}`).join(' ') + ` Paragraph ${p + 1} ends here.`).join('\n\n');

interface JobWire {
  id: string;
  status: string;
  progress: { segmentsDone: number; segmentsTotal: number; percent: number; audioSeconds: number };
  characters: number;
  attempts: number;
  output: { id: string; url: string | null } | null;
  error: { code: string; message: string } | null;
  webhook: { url: string; state: string; attempts: number } | null;
  webhookSecret?: string | null;
}

async function start(overrides: Record<string, unknown> = {}, engine = new ObservedEngine(new EspeakEngine({ workers: 1 }))) {
  const server = await startTestServer({ ...TWO_TENANTS, maxSegmentChars: 90, ...overrides }, { engine });
  servers.push(server);
  return { server, engine };
}

async function createJob(server: TestServer, body: Record<string, unknown>, headers = acme): Promise<JobWire> {
  const res = await postJson(`${server.url}/v1/jobs`, body, { headers: { 'content-type': 'application/json', ...headers } });
  assert.equal(res.status, 202, await res.clone().text());
  const job = (await res.json()) as JobWire;
  assert.equal(res.headers.get('location'), `/v1/jobs/${job.id}`);
  return job;
}

async function getJob(server: TestServer, id: string, headers = acme): Promise<JobWire> {
  const res = await fetch(`${server.url}/v1/jobs/${id}`, { headers });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as JobWire;
}

async function until(server: TestServer, id: string, done: (job: JobWire) => boolean, what: string): Promise<JobWire> {
  let last: JobWire | undefined;
  await waitFor(async () => done((last = await getJob(server, id))), what, 120_000);
  return last as JobWire;
}

async function audioOf(server: TestServer, outputId: string): Promise<Buffer> {
  const res = await fetch(`${server.url}/v1/outputs/${outputId}/audio`, { headers: acme });
  assert.equal(res.status, 200);
  return Buffer.from(await res.arrayBuffer());
}

/** Object keys under DATA_DIR's blob store for the job's stored segments. */
function partsOf(server: TestServer, id: string): string[] {
  const dir = join(server.config.dataDir, 'blobs', 'jobs', 'acme', id);
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** A webhook receiver on loopback (WEBHOOK_ALLOW_PRIVATE=true): answers with the statuses given, in turn, then 200. */
async function receiver(statuses: number[] = []): Promise<{ url: string; calls: { headers: IncomingMessage['headers']; body: string }[]; server: Server }> {
  const calls: { headers: IncomingMessage['headers']; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      calls.push({ headers: req.headers, body });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${address.port}/hooks/tts`, calls, server };
}

describe('long-form jobs (SQLite, one node)', () => {
  it('a chapter beyond MAX_TEXT_CHARS: 202, progress by segment, result a stored output with exactly one request\'s audio', async () => {
    // MAX_TEXT_CHARS 3000 lets /v1/tts say the same text once, for comparison; the job route takes it regardless.
    const { server, engine } = await start({ maxTextChars: 3000 });
    const job = await createJob(server, { text: CHAPTER, format: 'wav' });
    assert.equal(job.status, 'queued');
    assert.equal(job.characters, [...CHAPTER].length);
    assert.ok(job.progress.segmentsTotal >= 10, `segments: ${job.progress.segmentsTotal}`);
    const done = await until(server, job.id, (j) => j.status === 'succeeded', 'the job to succeed');
    assert.equal(done.progress.segmentsDone, done.progress.segmentsTotal);
    assert.equal(done.progress.percent, 100);
    assert.equal(done.attempts, 1);
    assert.ok(done.output);
    assert.equal(engine.segmentsFinished, done.progress.segmentsTotal, 'one engine call per segment');
    // Removed after the job is marked succeeded (a crash before would leave a finished job with its parts, never the reverse).
    await waitFor(() => partsOf(server, job.id).length === 0, 'the stored segments to be removed once assembled');
    const jobAudio = await audioOf(server, done.output.id);
    await assertProbes(jobAudio, 'pcm_s16le');
    const single = await postJson(`${server.url}/v1/tts`, { text: CHAPTER, format: 'wav' }, { headers: { 'content-type': 'application/json', ...acme } });
    assert.equal(single.status, 200);
    const singleAudio = Buffer.from(await single.arrayBuffer());
    // espeak's own length varies by a few samples from run to run (two identical requests differ
    // too), so the same audio means the same length within about a millisecond per segment.
    const samples = (b: Buffer) => (b.length - 44) / 2;
    const drift = Math.abs(samples(jobAudio) - samples(singleAudio));
    assert.ok(drift <= 25 * done.progress.segmentsTotal, `job ${samples(jobAudio)} samples, one request ${samples(singleAudio)}`);
    // The same output through /v1/outputs, with the job's characters.
    const output = (await (await fetch(`${server.url}/v1/outputs/${done.output.id}`, { headers: acme })).json()) as { characters: number; audioSeconds: number };
    assert.equal(output.characters, job.characters);
    // Progress counts the engine's audio per segment; the result has the joins' pauses and trims instead.
    assert.ok(Math.abs(output.audioSeconds / done.progress.audioSeconds - 1) < 0.1, `${output.audioSeconds} vs ${done.progress.audioSeconds}`);
    // Usage: one row per segment, their characters adding up to the job's exactly (plus the one request).
    const usage = (await (await fetch(`${server.url}/v1/usage`, { headers: acme })).json()) as { data: { requests: number; characters: number }[] };
    assert.equal(usage.data.reduce((sum, d) => sum + d.characters, 0), 2 * job.characters);
    assert.equal(usage.data.reduce((sum, d) => sum + d.requests, 0), done.progress.segmentsTotal + 1);

    // Text beyond MAX_TEXT_CHARS: /v1/tts refuses it, a job takes it (in mp3 this time).
    const { server: small } = await start({ maxTextChars: 200 });
    const refused = await postJson(`${small.url}/v1/tts`, { text: CHAPTER }, { headers: { 'content-type': 'application/json', ...acme } });
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'text_too_long');
    const long = await createJob(small, { text: CHAPTER, format: 'mp3' });
    const longDone = await until(small, long.id, (j) => j.status === 'succeeded', 'the mp3 job to succeed');
    await assertProbes(await audioOf(small, (longDone.output as { id: string }).id), 'mp3');
  });

  it('refuses bad input with a catalogued 4xx and stores nothing', async () => {
    const { server } = await start({ jobMaxTextChars: 500 });
    const cases: [unknown, number, string, string | null][] = [
      [{ text: '' }, 400, 'empty_text', 'text'],
      [{ text: 'x'.repeat(501) }, 400, 'text_too_long', 'text'],
      [{ text: 'Hello [AY7] there' }, 400, 'invalid_token', 'text'],
      [{ text: 'Hello', voice: 'nobody' }, 400, 'unknown_voice', 'voice'],
      [{ text: 'Hello', stream: true }, 400, 'unknown_field', null],
      [{ text: 'Hello', webhook: { url: 'http://127.0.0.1:9/x' } }, 400, 'webhook_refused', 'webhook.url'],
      [{ text: 'Hello', webhook: { url: 'http://169.254.169.254/latest/meta-data' } }, 400, 'webhook_refused', 'webhook.url'],
      [{ text: 'Hello', webhook: { url: 'file:///etc/passwd' } }, 400, 'invalid_value', 'webhook.url'],
      [{ text: 'Hello', webhook: {} }, 400, 'missing_field', null],
    ];
    for (const [body, status, code, param] of cases) {
      const res = await postJson(`${server.url}/v1/jobs`, body, { headers: { 'content-type': 'application/json', ...acme } });
      const text = await res.text();
      assert.equal(res.status, status, `${JSON.stringify(body)}: ${text}`);
      const error = (JSON.parse(text) as { error: { code: string; param: string | null } }).error;
      assert.equal(error.code, code, JSON.stringify(body));
      if (param !== null) assert.equal(error.param, param, JSON.stringify(body));
    }
    const list = (await (await fetch(`${server.url}/v1/jobs`, { headers: acme })).json()) as { data: unknown[] };
    assert.deepEqual(list.data, [], 'nothing refused was stored');
    for (const id of ['job_nope', '../../etc', 'job_aaaaaaaaaaaaaaaa']) {
      const res = await fetch(`${server.url}/v1/jobs/${encodeURIComponent(id)}`, { headers: acme });
      assert.equal(res.status, 404);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'job_not_found');
    }
    const unauthenticated = await postJson(`${server.url}/v1/jobs`, { text: 'Hello' });
    assert.equal(unauthenticated.status, 401);
  });

  it('tenants never see, list or cancel each other\'s jobs', async () => {
    const engine = new GateEngine(new EspeakEngine({ workers: 1 }));
    engine.hold = /./;
    const server = await startTestServer({ ...TWO_TENANTS }, { engine });
    servers.push(server);
    const job = await createJob(server, { text: 'Only acme hears this.' });
    for (const [method, path] of [['GET', `/v1/jobs/${job.id}`], ['POST', `/v1/jobs/${job.id}/cancel`]] as const) {
      const res = await fetch(`${server.url}${path}`, { method, headers: globex });
      assert.equal(res.status, 404, `${method} ${path}`);
    }
    const globexList = (await (await fetch(`${server.url}/v1/jobs`, { headers: globex })).json()) as { data: unknown[] };
    assert.deepEqual(globexList.data, []);
    const acmeList = (await (await fetch(`${server.url}/v1/jobs`, { headers: acme })).json()) as { data: { id: string }[] };
    assert.deepEqual(acmeList.data.map((j) => j.id), [job.id]);
    engine.open();
    await until(server, job.id, (j) => j.status === 'succeeded', 'the job to succeed');
  });

  it('cancel stops a running job, removes its stored segments, and a signed webhook says job.cancelled', async () => {
    const hook = await receiver();
    const engine = new ObservedEngine(new EspeakEngine({ workers: 1 }));
    engine.holdSegment = 3;
    const { server } = await start({ webhookAllowPrivate: true }, engine);
    const job = await createJob(server, { text: CHAPTER, webhook: { url: hook.url } });
    assert.match(job.webhookSecret ?? '', /^whsec_/);
    await waitFor(() => engine.events.includes('segment 3 held'), 'the fourth segment to be held');
    const running = await getJob(server, job.id);
    assert.equal(running.status, 'running');
    assert.equal(running.progress.segmentsDone, 3);
    assert.equal(partsOf(server, job.id).length, 3, 'three segments stored');
    const res = await fetch(`${server.url}/v1/jobs/${job.id}/cancel`, { method: 'POST', headers: acme });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(((await res.json()) as JobWire).status, 'cancelled');
    engine.release();
    await waitFor(() => hook.calls.length === 1, 'the webhook');
    const call = hook.calls[0] as { headers: IncomingMessage['headers']; body: string };
    assert.ok(verifyWebhook(job.webhookSecret as string, call.headers as Record<string, string>, call.body), 'signature verifies with the job\'s secret');
    assert.equal(verifyWebhook(job.webhookSecret as string, call.headers as Record<string, string>, call.body.replace('cancelled', 'succeeded')), false, 'a changed body does not');
    const event = JSON.parse(call.body) as { type: string; data: JobWire };
    assert.equal(event.type, 'job.cancelled');
    assert.equal(event.data.id, job.id);
    await waitFor(() => partsOf(server, job.id).length === 0, 'the stored segments to go');
    const after = await until(server, job.id, (j) => j.webhook?.state === 'delivered', 'the webhook to be recorded');
    assert.equal(after.status, 'cancelled');
    assert.equal(after.output, null);
    assert.ok(engine.segmentsStarted <= 5, `no segment after the cancel (${engine.segmentsStarted} started)`);
    const again = await fetch(`${server.url}/v1/jobs/${job.id}/cancel`, { method: 'POST', headers: acme });
    assert.equal(again.status, 409);
    assert.equal(((await again.json()) as { error: { code: string } }).error.code, 'job_finished');
  });

  it('a webhook answered 500 is retried until delivered, with the same webhook-id', async () => {
    const hook = await receiver([500, 503]);
    const { server } = await start({ webhookAllowPrivate: true, webhookRetryBaseMs: 20 });
    const job = await createJob(server, { text: 'A short job with a webhook.', webhook: { url: hook.url } });
    const done = await until(server, job.id, (j) => j.webhook?.state === 'delivered', 'the webhook to be delivered');
    assert.equal(done.status, 'succeeded');
    assert.equal(done.webhook?.attempts, 3);
    assert.equal(hook.calls.length, 3);
    assert.equal(new Set(hook.calls.map((c) => c.headers['webhook-id'])).size, 1, 'one webhook-id for every attempt');
    const event = JSON.parse((hook.calls[2] as { body: string }).body) as { type: string; data: JobWire };
    assert.equal(event.type, 'job.succeeded');
    assert.equal(event.data.output?.id, done.output?.id);
  });

  it('a shutdown in the middle: the job resumes at the next start without redoing stored segments', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cosyfleet-jobs-'));
    dirs.push(dataDir);
    const first = new ObservedEngine(new EspeakEngine({ workers: 1 }));
    first.holdSegment = 4;
    const a = await startTestServer({ ...TWO_TENANTS, maxSegmentChars: 90, dataDir }, { engine: first });
    const job = await createJob(a, { text: CHAPTER });
    await waitFor(() => first.events.includes('segment 4 held'), 'the fifth segment to be held');
    // A graceful stop interrupts the held segment; the job stays running with 4 segments stored.
    const closing = a.app.close();
    first.release();
    await closing;
    const second = new ObservedEngine(new EspeakEngine({ workers: 1 }));
    const { server: b } = await start({ dataDir }, second);
    const done = await until(b, job.id, (j) => j.status === 'succeeded', 'the resumed job to succeed');
    assert.equal(done.attempts, 2);
    assert.equal(second.segmentsStarted, done.progress.segmentsTotal - 4, 'only the segments not stored before are synthesized');
    // Usage: every segment at least once (the interrupted one again when it is redone).
    const usage = (await (await fetch(`${b.url}/v1/usage`, { headers: acme })).json()) as { data: { requests: number; characters: number }[] };
    assert.ok(usage.data.reduce((sum, d) => sum + d.requests, 0) >= done.progress.segmentsTotal);
    const total = usage.data.reduce((sum, d) => sum + d.characters, 0);
    assert.ok(total >= job.characters && total < job.characters * 1.2, `characters recorded ${total} of ${job.characters}`);
  });
});
