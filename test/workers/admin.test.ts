// The admin API over real HTTP: bearer-key auth (401/403, off without a key), the key never
// logged or printed, worker status, and graceful restarts that fail no request — in thread mode
// (a fresh engine swapped in) and in process mode (workers replaced one by one).
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';
import { readBody } from '../helpers/wait.js';
import { expectError } from '../helpers/voices.js';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import type { WorkerInfo } from '../../src/workers/supervisor.js';

const KEY = 'test-admin-key-0123456789abcdef';
const auth = { authorization: `Bearer ${KEY}` };

async function admin(url: string, path: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  return fetch(`${url}${path}`, { method: init.method ?? 'GET', headers: init.headers ?? auth });
}

/** Keeps requests flowing until `stop` resolves; resolves with their statuses and completeness. */
async function trafficDuring(url: string, stop: Promise<unknown>): Promise<{ status: number; complete: boolean }[]> {
  const out: { status: number; complete: boolean }[] = [];
  let done = false;
  void stop.finally(() => (done = true));
  await Promise.all(
    Array.from({ length: 3 }, async (_, lane) => {
      for (let i = 0; !done || i < 2; i++) {
        const res = await postJson(`${url}/v1/tts`, { text: `Traffic lane ${lane}, request ${i}. It keeps going a little.`, language: 'en', format: 'pcm', stream: i % 2 === 0 });
        out.push({ status: res.status, complete: res.status === 200 && (await readBody(res)).complete });
      }
    }),
  );
  return out;
}

describe('admin API', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('does not exist without COSYFLEET_ADMIN_KEY', async () => {
    server = await startTestServer();
    await expectError(await admin(server.url, '/v1/admin/workers'), 404, 'not_found');
    await expectError(await admin(server.url, '/v1/admin/engines/espeak/restart', { method: 'POST' }), 404, 'not_found');
  });

  it('answers 401 without a bearer key and 403 with a wrong one; never logs or prints the key', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (l: string) => void lines.push(l) });
    server = await startTestServer({ adminKey: KEY }, { logger });
    const none = await admin(server.url, '/v1/admin/workers', { headers: {} });
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="cosyfleet-admin"');
    await expectError(none, 401, 'unauthorized');
    await expectError(await admin(server.url, '/v1/admin/workers', { headers: { authorization: `Basic ${Buffer.from(`admin:${KEY}`).toString('base64')}` } }), 401, 'unauthorized');
    await expectError(await admin(server.url, '/v1/admin/workers', { headers: { authorization: `Bearer ${KEY}x` } }), 403, 'forbidden');
    await expectError(await admin(server.url, '/v1/admin/workers', { headers: { authorization: 'Bearer short' } }), 403, 'forbidden');
    await expectError(await admin(server.url, '/v1/admin/workers/w0-1/restart', { method: 'POST', headers: {} }), 401, 'unauthorized');
    assert.equal((await admin(server.url, '/v1/admin/workers')).status, 200);

    assert.ok(lines.length > 0);
    assert.ok(!lines.some((l) => l.includes(KEY)), 'no log line holds the key');
    const config = loadConfig({ env: { COSYFLEET_ADMIN_KEY: KEY } });
    assert.equal(config.adminKey, KEY);
    assert.ok(!JSON.stringify(config).includes(KEY), '`cosyfleet config` (JSON of the config) redacts it');
    assert.match(JSON.stringify(config), /"adminKey":"\[redacted\]"/);
    assert.throws(
      () => loadConfig({ env: { COSYFLEET_ADMIN_KEY: 'short-secret' } }),
      (e: unknown) => e instanceof ConfigError && /COSYFLEET_ADMIN_KEY/.test(e.message) && !e.message.includes('short-secret'),
    );
  });

  it('thread mode: shows the in-process engine and restarts it by swapping in a new one, failing no request', async () => {
    server = await startTestServer({ adminKey: KEY });
    const body = (await (await admin(server.url, '/v1/admin/workers')).json()) as { mode: string; data: WorkerInfo[] };
    assert.equal(body.mode, 'thread');
    assert.deepEqual(body.data.map((w) => [w.id, w.pid, w.state]), [['in-process', process.pid, 'ready']]);
    const before = server.app.engine.inner;
    const restart = admin(server.url, '/v1/admin/engines/espeak/restart?wait=true', { method: 'POST' });
    const traffic = await trafficDuring(server.url, restart);
    const res = await restart;
    assert.equal(res.status, 200);
    assert.notEqual(server.app.engine.inner, before, 'a new engine instance serves');
    assert.equal(before.health().ready, false, 'the old one was closed');
    assert.ok(traffic.length >= 6 && traffic.every((t) => t.status === 200 && t.complete), JSON.stringify(traffic));
    await expectError(await admin(server.url, '/v1/admin/engines/cosyvoice/restart', { method: 'POST' }), 404, 'not_found');
    await expectError(await admin(server.url, '/v1/admin/workers/w0-1/restart', { method: 'POST' }), 404, 'worker_not_found');
    assert.equal((await admin(server.url, '/v1/admin/workers/in-process/restart', { method: 'POST' })).status, 202);
  });

  it('process mode: lists the workers and replaces one, then all, gracefully under traffic', async () => {
    server = await startTestServer({ adminKey: KEY, workers: 'process', workerProcesses: 2, workerHeartbeatMs: 100, maxSegmentChars: 60 });
    const list = async () => ((await (await admin((server as TestServer).url, '/v1/admin/workers')).json()) as { mode: string; data: WorkerInfo[] });
    await postJson(`${server.url}/v1/tts`, { text: 'Warm up.', format: 'pcm' });
    const first = await list();
    assert.equal(first.mode, 'process');
    assert.equal(first.data.length, 2);
    for (const w of first.data) {
      assert.match(w.id, /^w\d+-\d+$/);
      assert.ok(typeof w.pid === 'number' && w.pid !== process.pid);
      assert.equal(w.state, 'ready');
      assert.ok(w.uptimeSeconds >= 0 && typeof w.jobsDone === 'number');
      assert.ok('current' in w.rtf && 'baseline' in w.rtf && Array.isArray(w.restarts));
    }
    const victim = first.data[0] as WorkerInfo;

    const one = admin(server.url, `/v1/admin/workers/${victim.id}/restart?wait=true`, { method: 'POST' });
    const traffic1 = await trafficDuring(server.url, one);
    assert.equal((await one).status, 200);
    const second = await list();
    assert.ok(!second.data.some((w) => w.id === victim.id), 'the old worker is gone');
    const replacement = second.data.find((w) => w.slot === victim.slot);
    // A slot without a worker here means one was killed (see the restarts), not a listing gap.
    assert.ok(replacement, `slot ${victim.slot} has a worker: ${JSON.stringify(second.data.map((w) => [w.id, w.state, w.restarts]))}`);
    assert.notEqual(replacement.pid, victim.pid);
    assert.deepEqual(replacement.restarts.map((r) => [r.worker, r.reason]), [[victim.id, 'admin']]);

    const all = admin(server.url, '/v1/admin/engines/espeak/restart?wait=true', { method: 'POST' });
    const traffic2 = await trafficDuring(server.url, all);
    assert.equal((await all).status, 200);
    const third = await list();
    assert.ok(third.data.every((w) => !second.data.some((s) => s.id === w.id)), 'every worker was replaced');
    for (const t of [...traffic1, ...traffic2]) assert.ok(t.status === 200 && t.complete, JSON.stringify(t));
    const stats = server.app.engine.scheduler.stats();
    assert.equal(stats.outcomes.failed + stats.outcomes.truncated, 0);
    await expectError(await admin(server.url, '/v1/admin/workers/w7-1/restart', { method: 'POST' }), 404, 'worker_not_found');
  });
});
