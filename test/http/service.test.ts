// The service surface around synthesis on a real server: probes, catalog, OpenAPI, docs UI,
// request ids and the CORS allow-list.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';

const ALLOWED = 'https://studio.example.com';

describe('service surface', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ corsOrigins: [ALLOWED] });
  });
  after(() => server.close());

  it('answers liveness and readiness once the engine is up', async () => {
    const live = await fetch(`${server.url}/healthz`);
    assert.equal(live.status, 200);
    assert.equal(((await live.json()) as { status: string }).status, 'ok');
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready', engine: 'espeak' });
  });

  it('turns readiness red and refuses synthesis while shutting down', async () => {
    const other = await startTestServer({ espeakWorkers: 1 });
    try {
      other.app.lifecycle.shuttingDown = true;
      const ready = await fetch(`${other.url}/readyz`);
      assert.equal(ready.status, 503);
      const res = await postJson(`${other.url}/v1/tts`, { text: 'hi' });
      assert.equal(res.status, 503);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'shutting_down');
    } finally {
      await other.close();
    }
  });

  it('lists the engine capabilities and its preset voices', async () => {
    const engines = (await (await fetch(`${server.url}/v1/engines`)).json()) as { data: Record<string, unknown>[] };
    const espeak = engines.data[0];
    assert.equal(espeak?.name, 'espeak');
    assert.equal(espeak?.apiVersion, 2);
    assert.deepEqual(espeak?.modes, ['preset']);
    for (const lang of ['en', 'cmn', 'yue', 'ja', 'ko', 'de', 'es', 'fr', 'it', 'ru']) {
      assert.ok((espeak?.languages as string[]).includes(lang), lang);
    }
    assert.equal(espeak?.sampleRate, 22050);
    assert.equal(espeak?.maxSegmentChars, 400);
    const voices = (await (await fetch(`${server.url}/v1/voices`)).json()) as { data: { id: string; kind: string }[] };
    assert.ok(voices.data.length >= 3);
    assert.ok(voices.data.every((v) => v.kind === 'preset'));
  });

  it('publishes OpenAPI 3.1 generated from the route schemas, and a docs UI', async () => {
    const res = await fetch(`${server.url}/openapi.json`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown>; additionalProperties: boolean } }> } }>> };
    assert.equal(doc.openapi, '3.1.0');
    for (const path of ['/v1/tts', '/v1/engines', '/v1/voices', '/healthz', '/readyz']) assert.ok(doc.paths[path], path);
    const body = doc.paths['/v1/tts']?.post?.requestBody?.content['application/json']?.schema;
    assert.deepEqual(Object.keys(body?.properties ?? {}).sort(), ['format', 'instruct', 'language', 'lexicon', 'mode', 'sample_rate', 'seed', 'speed', 'store', 'stream', 'text', 'unreadable', 'voice']);
    assert.equal(body?.additionalProperties, false);
    const docs = await fetch(`${server.url}/docs`);
    assert.equal(docs.status, 200);
    assert.match(await docs.text(), /swagger/i);
  });

  it('echoes a safe X-Request-Id and replaces an unsafe one', async () => {
    const kept = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'trace-42.a' } });
    assert.equal(kept.headers.get('x-request-id'), 'trace-42.a');
    const replaced = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'bad id\twith spaces' } });
    assert.match(replaced.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const minted = await postJson(`${server.url}/v1/tts`, { text: '' });
    assert.match(minted.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  it('allows only listed origins', async () => {
    const allowed = await fetch(`${server.url}/v1/voices`, { headers: { origin: ALLOWED } });
    assert.equal(allowed.headers.get('access-control-allow-origin'), ALLOWED);
    const denied = await fetch(`${server.url}/v1/voices`, { headers: { origin: 'https://evil.example.net' } });
    assert.equal(denied.headers.get('access-control-allow-origin'), null);
    const preflight = await fetch(`${server.url}/v1/tts`, {
      method: 'OPTIONS',
      headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.ok(preflight.status === 204 || preflight.status === 200, String(preflight.status));
    assert.equal(preflight.headers.get('access-control-allow-origin'), ALLOWED);
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
  });
});
