// API keys against a real server on loopback (AUTH=keys): the first key a fresh install makes,
// every route's policy, both header forms, scopes, revocation, environment keys, and the
// official OpenAI client with a good and a bad key.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { ROUTE_SCOPES, policyOf } from '../../src/http/auth.js';
import type { KeyRecord } from '../../src/accounts/key-store.js';
import { postJson, startTestServer, type TestServer } from '../helpers/server.js';
import { expectError, speech, TRANSCRIPT, uploadVoice } from '../helpers/voices.js';

const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function keyed(overrides: Record<string, unknown> = {}): Promise<{ server: TestServer; first: { secret: string; record: KeyRecord } | null }> {
  let first: { secret: string; record: KeyRecord } | null = null;
  const server = await startTestServer({ auth: 'keys', ...overrides }, { firstKey: (secret, record) => (first = { secret, record }) });
  servers.push(server);
  return { server, first };
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function createKey(url: string, admin: string, body: Record<string, unknown>): Promise<{ key: string; id: string; scopes: string[]; tenant: string }> {
  const res = await postJson(`${url}/v1/admin/keys`, body, { headers: { 'content-type': 'application/json', ...bearer(admin) } });
  assert.equal(res.status, 201, await res.clone().text());
  assert.equal(res.headers.get('cache-control'), 'no-store');
  return (await res.json()) as { key: string; id: string; scopes: string[]; tenant: string };
}

describe('AUTH=keys', () => {
  it('a fresh install makes one admin key, and only health and the docs answer without a key', async () => {
    const { server, first } = await keyed();
    assert.ok(first, 'the first key was announced');
    const { secret, record } = first as { secret: string; record: KeyRecord };
    assert.match(secret, /^cf_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(record.scopes, ['admin']);
    for (const path of ['/healthz', '/readyz', '/docs', '/openapi.json']) {
      const res = await fetch(`${server.url}${path}`, { redirect: 'manual' });
      assert.ok(res.status < 400, `${path}: ${res.status}`);
    }
    const none = await postJson(`${server.url}/v1/tts`, { text: 'hello' });
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer realm="cosyfleet"/);
    await expectError(none, 401, 'api_key_required');
    await expectError(await postJson(`${server.url}/v1/tts`, { text: 'hello' }, { headers: { 'content-type': 'application/json', ...bearer('cf_not-a-real-key') } }), 401, 'invalid_api_key');
    const ok = await postJson(`${server.url}/v1/tts`, { text: 'hello', format: 'wav' }, { headers: { 'content-type': 'application/json', ...bearer(secret) } });
    assert.equal(ok.status, 200);
    assert.equal((await ok.arrayBuffer()).byteLength > 44, true);
    // The admin key lists keys; the list never holds a secret.
    const list = await fetch(`${server.url}/v1/admin/keys`, { headers: bearer(secret) });
    const text = await list.text();
    assert.equal(list.status, 200, text);
    assert.ok(!text.includes(secret.slice(3)), 'no secret in the key list');
    assert.equal((JSON.parse(text) as { data: unknown[] }).data.length, 1);
  });

  it('a restart on the same data makes no second first key', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cosyfleet-auth-'));
    try {
      const { server, first } = await keyed({ dataDir });
      assert.ok(first);
      await server.close();
      servers.splice(servers.indexOf(server), 1);
      const again = await keyed({ dataDir });
      assert.equal(again.first, null);
      // The key made on the first start still works after the restart.
      const res = await fetch(`${again.server.url}/v1/engines`, { headers: bearer((first as { secret: string }).secret) });
      assert.equal(res.status, 200);
    } finally {
      for (const s of servers.splice(0)) await s.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('scopes decide: a synthesize key speaks (Bearer or x-api-key) but cannot write voices, read metrics or manage keys', async () => {
    const { server, first } = await keyed();
    const admin = first!.secret;
    const synth = await createKey(server.url, admin, { name: 'app', scopes: ['synth'] });
    assert.deepEqual(synth.scopes, ['synthesize']);
    const viaHeader = await postJson(`${server.url}/v1/tts`, { text: 'hello', format: 'wav' }, { headers: { 'content-type': 'application/json', 'x-api-key': synth.key } });
    assert.equal(viaHeader.status, 200);
    await viaHeader.arrayBuffer();
    const voices = await fetch(`${server.url}/v1/voices`, { headers: bearer(synth.key) });
    assert.equal(voices.status, 200);
    await voices.arrayBuffer();
    const wav = await speech(server.url, { format: 'wav' }).catch(() => null);
    assert.equal(wav, null, 'the helper sends no key: refused');
    const audio = await postJson(`${server.url}/v1/tts`, { text: TRANSCRIPT, language: 'en', format: 'wav' }, { headers: { 'content-type': 'application/json', ...bearer(synth.key) } });
    const bytes = new Uint8Array(await audio.arrayBuffer());
    const write = await uploadVoice(server.url, { audio: { bytes }, headers: bearer(synth.key) });
    const err = await expectError(write, 403, 'scope_missing');
    assert.match(err.message, /"voices" scope/);
    await expectError(await fetch(`${server.url}/metrics`, { headers: bearer(synth.key) }), 403, 'scope_missing');
    await expectError(await fetch(`${server.url}/v1/admin/keys`, { headers: bearer(synth.key) }), 403, 'scope_missing');
    await expectError(await fetch(`${server.url}/v1/admin/workers`, { headers: bearer(synth.key) }), 403, 'scope_missing');
    const curator = await createKey(server.url, admin, { name: 'curator', scopes: ['voices', 'synthesize'] });
    const created = await uploadVoice(server.url, { audio: { bytes }, headers: bearer(curator.key) });
    assert.equal(created.status, 201, await created.clone().text());
  });

  it('a revoked key stops working at once; bad requests to the key API get catalog errors', async () => {
    const { server, first } = await keyed();
    const admin = first!.secret;
    const k = await createKey(server.url, admin, { name: 'temp', scopes: ['synthesize'] });
    const before = await fetch(`${server.url}/v1/engines`, { headers: bearer(k.key) });
    assert.equal(before.status, 200);
    const revoked = await fetch(`${server.url}/v1/admin/keys/${k.id}`, { method: 'DELETE', headers: bearer(admin) });
    assert.equal(revoked.status, 200);
    assert.ok(((await revoked.json()) as { revokedAt: string | null }).revokedAt);
    await expectError(await fetch(`${server.url}/v1/engines`, { headers: bearer(k.key) }), 401, 'api_key_revoked');
    await expectError(await fetch(`${server.url}/v1/admin/keys/key_nope`, { headers: bearer(admin) }), 404, 'key_not_found', 'id');
    await expectError(await postJson(`${server.url}/v1/admin/keys`, { name: 'x', scopes: ['fly'] }, { headers: { 'content-type': 'application/json', ...bearer(admin) } }), 400, 'invalid_value', 'scopes');
    await expectError(await postJson(`${server.url}/v1/admin/keys`, { name: 'x', scopes: ['synth'], tenant: '../etc' }, { headers: { 'content-type': 'application/json', ...bearer(admin) } }), 400, 'invalid_value');
  });

  it('COSYFLEET_API_KEYS and COSYFLEET_ADMIN_KEY work without a database key, and no first key is made', async () => {
    const envKey = 'acme-env-key-0123456789abcdef';
    const adminKey = 'env-admin-key-0123456789abcdef';
    const { server, first } = await keyed({ apiKeys: `acme:${envKey}`, adminKey });
    assert.equal(first, null);
    const ok = await fetch(`${server.url}/v1/lexicon`, { headers: bearer(envKey) });
    assert.equal(ok.status, 200);
    await expectError(await fetch(`${server.url}/v1/admin/keys`, { headers: bearer(envKey) }), 403, 'scope_missing');
    const keys = await fetch(`${server.url}/v1/admin/keys`, { headers: bearer(adminKey) });
    assert.equal(keys.status, 200);
  });

  it('the official OpenAI client: a good key gets audio, a wrong one AuthenticationError with invalid_api_key', async () => {
    const { server, first } = await keyed();
    const k = await createKey(server.url, first!.secret, { name: 'sdk', scopes: ['synthesize'] });
    const good = new OpenAI({ apiKey: k.key, baseURL: `${server.url}/v1`, maxRetries: 0 });
    const res = await good.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'hello there', response_format: 'wav' });
    assert.ok((await res.arrayBuffer()).byteLength > 44);
    const bad = new OpenAI({ apiKey: 'sk-wrong', baseURL: `${server.url}/v1`, maxRetries: 0 });
    await assert.rejects(bad.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'hello there' }), (err: unknown) => {
      assert.ok(err instanceof OpenAI.AuthenticationError, String(err));
      assert.equal(err.status, 401);
      assert.equal(err.code, 'invalid_api_key');
      return true;
    });
  });

  it('every documented route has an explicit policy (admin-only ones under /v1/admin)', async () => {
    const { server } = await keyed();
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const missing: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      const pattern = path.replace(/\{(\w+)\}/g, ':$1');
      for (const method of Object.keys(methods)) {
        const m = method.toUpperCase();
        if (m === 'HEAD' || m === 'OPTIONS') continue;
        if (ROUTE_SCOPES[`${m} ${pattern}`] === undefined && !pattern.startsWith('/v1/admin/') && !pattern.startsWith('/docs')) missing.push(`${m} ${pattern}`);
      }
    }
    assert.deepEqual(missing, []);
    assert.equal(policyOf('GET', '/v1/admin/keys'), 'admin');
    assert.equal(policyOf('HEAD', '/healthz'), 'public');
    assert.equal(policyOf('POST', '/v1/something-new'), 'admin', 'a route without a policy is admin-only');
  });
});
