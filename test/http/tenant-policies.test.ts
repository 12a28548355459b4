// Per-key store-by-default and per-tenant policies (result cache mode, output retention) over
// real HTTP with real keys: a key with storeByDefault stores what does not say `store` (and not
// what says false), another key does not; a tenant whose policy says `always` gets unseeded
// requests answered from the cache without an engine call (counted on the real engine, wrapped)
// while another tenant does not, even with RESULT_CACHE=off on the server; a tenant's retention
// sets its outputs' expiry; the admin routes refuse other scopes and bad input with catalog codes.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EspeakEngine } from '../../src/engines/espeak/engine.js';
import { ObservedEngine } from '../helpers/observed-engine.js';
import { postJson, startTestServer, type TestServer } from '../helpers/server.js';
import { expectError } from '../helpers/voices.js';

const ADMIN = 'policy-admin-key-0123456789abcdef';
const ACME = 'policy-acme-key-0123456789abcdef';
const GLOBEX = 'policy-globex-key-0123456789abcdef';
const DAY_MS = 86_400_000;

const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function start(overrides: Record<string, unknown> = {}): Promise<{ server: TestServer; engine: ObservedEngine }> {
  const engine = new ObservedEngine(new EspeakEngine({ workers: 1 }));
  const server = await startTestServer({ auth: 'keys', adminKey: ADMIN, apiKeys: `acme:${ACME},globex:${GLOBEX}`, ...overrides }, { engine });
  servers.push(server);
  return { server, engine };
}

const auth = (key: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${key}` });

function send(url: string, method: string, key: string, body?: unknown): Promise<Response> {
  const authorization = { authorization: `Bearer ${key}` };
  return fetch(url, { method, ...(body === undefined ? { headers: authorization } : { headers: auth(key), body: JSON.stringify(body) }) });
}

interface Said {
  outputId: string | null;
  cache: string | null;
}

async function tts(server: TestServer, key: string, body: Record<string, unknown>): Promise<Said> {
  const res = await postJson(`${server.url}/v1/tts`, { language: 'en', format: 'wav', ...body }, { headers: auth(key) });
  assert.equal(res.status, 200, await res.clone().text());
  await res.arrayBuffer();
  return { outputId: res.headers.get('x-output-id'), cache: res.headers.get('x-cache') };
}

interface Policy {
  tenant: string;
  resultCache: string | null;
  outputRetentionDays: number | null;
  updatedAt: string | null;
  effective: { resultCache: string; outputRetentionDays: number };
  defaults: { resultCache: string; outputRetentionDays: number };
}

async function putPolicy(server: TestServer, tenant: string, body: Record<string, unknown>): Promise<Policy> {
  const res = await send(`${server.url}/v1/admin/tenants/${tenant}`, 'PUT', ADMIN, body);
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as Policy;
}

async function createKey(server: TestServer, body: Record<string, unknown>): Promise<{ id: string; key: string; storeByDefault: boolean }> {
  const res = await postJson(`${server.url}/v1/admin/keys`, body, { headers: auth(ADMIN) });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()) as { id: string; key: string; storeByDefault: boolean };
}

async function output(server: TestServer, key: string, id: string): Promise<{ createdAt: string; expiresAt: string | null }> {
  const res = await fetch(`${server.url}/v1/outputs/${id}`, { headers: auth(key) });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as { createdAt: string; expiresAt: string | null };
}

describe('store by default (per key)', () => {
  it('a key with storeByDefault stores requests without `store`, not those with store:false; another key does not', async () => {
    const { server } = await start();
    const keeper = await createKey(server, { name: 'archive', tenant: 'acme', scopes: ['synthesize'], storeByDefault: true });
    assert.equal(keeper.storeByDefault, true);
    const plain = await createKey(server, { name: 'plain', tenant: 'acme', scopes: ['synthesize'] });
    assert.equal(plain.storeByDefault, false, 'off unless asked');

    const stored = await tts(server, keeper.key, { text: 'Kept by default.' });
    assert.match(stored.outputId ?? '', /^out_/);
    await output(server, keeper.key, stored.outputId as string);
    assert.equal((await tts(server, keeper.key, { text: 'Not this one.', store: false })).outputId, null, 'store:false opts out');
    assert.equal((await tts(server, plain.key, { text: 'Not kept.' })).outputId, null);
    assert.equal((await tts(server, ACME, { text: 'Not kept.' })).outputId, null, 'environment keys never store by default');
    assert.match((await tts(server, plain.key, { text: 'Asked for.', store: true })).outputId ?? '', /^out_/);

    // The OpenAI route too, streamed, with the extension field left out.
    const speech = await postJson(`${server.url}/v1/audio/speech`, { model: 'tts-1', input: 'Kept from the OpenAI route.', voice: 'alloy', response_format: 'mp3' }, { headers: auth(keeper.key) });
    assert.equal(speech.status, 200);
    await speech.arrayBuffer();
    const speechId = speech.headers.get('x-output-id');
    assert.match(speechId ?? '', /^out_/);
    await output(server, keeper.key, speechId as string);
    const optOut = await postJson(`${server.url}/v1/audio/speech`, { model: 'tts-1', input: 'Not kept.', voice: 'alloy', store: false }, { headers: auth(keeper.key) });
    await optOut.arrayBuffer();
    assert.equal(optOut.headers.get('x-output-id'), null);

    const listed = (await (await fetch(`${server.url}/v1/outputs`, { headers: auth(keeper.key) })).json()) as { data: { id: string }[] };
    assert.equal(listed.data.length, 3, 'the two kept by default and the one asked for (same tenant)');

    // PATCH: storeByDefault alone, then with limits; the key shows it; an empty change is refused.
    const patched = await send(`${server.url}/v1/admin/keys/${plain.id}`, 'PATCH', ADMIN, { storeByDefault: true });
    assert.equal(patched.status, 200);
    assert.equal(((await patched.json()) as { storeByDefault: boolean }).storeByDefault, true);
    assert.match((await tts(server, plain.key, { text: 'Now kept.' })).outputId ?? '', /^out_/, 'applies from the next request');
    const both = await send(`${server.url}/v1/admin/keys/${plain.id}`, 'PATCH', ADMIN, { storeByDefault: false, limits: { requestsPerMinute: 100 } });
    const bothBody = (await both.json()) as { storeByDefault: boolean; limits: { requestsPerMinute: number } };
    assert.deepEqual([bothBody.storeByDefault, bothBody.limits.requestsPerMinute], [false, 100]);
    assert.equal((await tts(server, plain.key, { text: 'Not kept again.' })).outputId, null);
    const shown = (await (await fetch(`${server.url}/v1/admin/keys/${plain.id}`, { headers: auth(ADMIN) })).json()) as { storeByDefault: boolean };
    assert.equal(shown.storeByDefault, false);
    await expectError(await send(`${server.url}/v1/admin/keys/${plain.id}`, 'PATCH', ADMIN, {}), 400, 'missing_field');
    await expectError(await send(`${server.url}/v1/admin/keys/${plain.id}`, 'PATCH', ADMIN, { storeByDefault: 'yes' }), 400, 'invalid_type', 'storeByDefault');
    await expectError(await send(`${server.url}/v1/admin/keys/key_nope`, 'PATCH', ADMIN, { storeByDefault: true }), 404, 'key_not_found');
  });
});

describe('tenant policies', () => {
  it('resultCache always for one tenant: its unseeded repeats are hits without the engine; another tenant is not cached', async () => {
    const { server, engine } = await start();
    const policy = await putPolicy(server, 'acme', { resultCache: 'always' });
    assert.deepEqual(
      { ...policy, updatedAt: typeof policy.updatedAt },
      { tenant: 'acme', resultCache: 'always', outputRetentionDays: null, updatedAt: 'string', effective: { resultCache: 'always', outputRetentionDays: 30 }, defaults: { resultCache: 'seeded', outputRetentionDays: 30 } },
    );
    const body = { text: 'Press one for sales.' };
    assert.equal((await tts(server, ACME, body)).cache, 'miss');
    const calls = engine.segmentsStarted;
    assert.equal((await tts(server, ACME, body)).cache, 'hit');
    assert.equal(engine.segmentsStarted, calls, 'no engine call for the hit');
    // globex follows RESULT_CACHE=seeded: an unseeded request is not looked up at all.
    assert.equal((await tts(server, GLOBEX, body)).cache, null);
    assert.equal((await tts(server, GLOBEX, body)).cache, null);
    assert.ok(engine.segmentsStarted > calls);
    // A tenant's 'off' beats the server's 'seeded'.
    await putPolicy(server, 'globex', { resultCache: 'off' });
    assert.equal((await tts(server, GLOBEX, { ...body, seed: 3 })).cache, null);
    // Back to the default: acme's unseeded requests are no longer cached, seeded ones are.
    const reset = await send(`${server.url}/v1/admin/tenants/acme`, 'DELETE', ADMIN);
    assert.equal(reset.status, 200);
    assert.deepEqual(((await reset.json()) as Policy).effective, { resultCache: 'seeded', outputRetentionDays: 30 });
    assert.equal((await tts(server, ACME, body)).cache, null);
    assert.equal((await tts(server, ACME, { ...body, seed: 4 })).cache, 'miss');
  });

  it('RESULT_CACHE=off on the server: a tenant whose policy says always is still cached, the others are not', async () => {
    const { server, engine } = await start({ resultCache: 'off' });
    const body = { text: 'Your call is important to us.', seed: 9 };
    assert.equal((await tts(server, ACME, body)).cache, null, 'off by default');
    await putPolicy(server, 'acme', { resultCache: 'always' });
    assert.equal((await tts(server, ACME, body)).cache, 'miss');
    const calls = engine.segmentsStarted;
    const hit = await postJson(`${server.url}/v1/audio/speech`, { model: 'tts-1', input: 'Menu.', voice: 'alloy' }, { headers: auth(ACME) });
    await hit.arrayBuffer();
    assert.equal(hit.headers.get('x-cache'), 'miss', 'the OpenAI route follows the tenant too');
    const again = await postJson(`${server.url}/v1/audio/speech`, { model: 'tts-1', input: 'Menu.', voice: 'alloy' }, { headers: auth(ACME) });
    await again.arrayBuffer();
    assert.equal(again.headers.get('x-cache'), 'hit');
    assert.ok(engine.segmentsStarted > calls);
    const afterHit = engine.segmentsStarted;
    assert.equal((await tts(server, ACME, body)).cache, 'hit');
    assert.equal(engine.segmentsStarted, afterHit);
    assert.equal((await tts(server, GLOBEX, body)).cache, null);
  });

  it('output retention per tenant: 1 day for one, the server default for another, 0 keeps until deleted', async () => {
    const { server } = await start();
    await putPolicy(server, 'acme', { outputRetentionDays: 1 });
    const a = await tts(server, ACME, { text: 'Kept a day.', store: true });
    const aMeta = await output(server, ACME, a.outputId as string);
    assert.equal(Date.parse(aMeta.expiresAt as string) - Date.parse(aMeta.createdAt), DAY_MS);
    const g = await tts(server, GLOBEX, { text: 'Kept a month.', store: true });
    const gMeta = await output(server, GLOBEX, g.outputId as string);
    assert.equal(Date.parse(gMeta.expiresAt as string) - Date.parse(gMeta.createdAt), 30 * DAY_MS, 'OUTPUT_RETENTION_DAYS');
    // Setting one field keeps the other.
    const both = await putPolicy(server, 'acme', { resultCache: 'off' });
    assert.deepEqual([both.resultCache, both.outputRetentionDays], ['off', 1]);
    await putPolicy(server, 'globex', { outputRetentionDays: 0 });
    const kept = await output(server, GLOBEX, (await tts(server, GLOBEX, { text: 'Kept for good.', store: true })).outputId as string);
    assert.equal(kept.expiresAt, null);
    assert.equal((await output(server, ACME, a.outputId as string)).expiresAt, aMeta.expiresAt, 'a change applies to new outputs only');
  });

  it('admin routes: list, show, set, reset; refused to other scopes (403) and for bad input (400)', async () => {
    const { server } = await start({ outputRetentionDays: 14 });
    const empty = (await (await fetch(`${server.url}/v1/admin/tenants`, { headers: auth(ADMIN) })).json()) as { data: Policy[] };
    assert.deepEqual(empty.data, []);
    const fresh = (await (await fetch(`${server.url}/v1/admin/tenants/initech`, { headers: auth(ADMIN) })).json()) as Policy;
    assert.deepEqual(fresh, {
      tenant: 'initech',
      resultCache: null,
      outputRetentionDays: null,
      updatedAt: null,
      effective: { resultCache: 'seeded', outputRetentionDays: 14 },
      defaults: { resultCache: 'seeded', outputRetentionDays: 14 },
    });
    await putPolicy(server, 'globex', { resultCache: 'always', outputRetentionDays: 7 });
    await putPolicy(server, 'acme', { outputRetentionDays: 0 });
    const list = (await (await fetch(`${server.url}/v1/admin/tenants`, { headers: auth(ADMIN) })).json()) as { data: Policy[] };
    assert.deepEqual(list.data.map((p) => [p.tenant, p.resultCache, p.outputRetentionDays, p.effective.outputRetentionDays]), [
      ['acme', null, 0, 0],
      ['globex', 'always', 7, 7],
    ]);
    // Nulling every field removes the policy: the tenant is no longer listed.
    const cleared = await putPolicy(server, 'acme', { outputRetentionDays: null });
    assert.equal(cleared.updatedAt, null);
    assert.deepEqual(((await (await fetch(`${server.url}/v1/admin/tenants`, { headers: auth(ADMIN) })).json()) as { data: Policy[] }).data.map((p) => p.tenant), ['globex']);
    const deleted = await send(`${server.url}/v1/admin/tenants/globex`, 'DELETE', ADMIN);
    assert.equal(((await deleted.json()) as Policy).updatedAt, null);
    assert.equal((await send(`${server.url}/v1/admin/tenants/globex`, 'DELETE', ADMIN)).status, 200, 'idempotent');

    // Other scopes: 403; no key: 401.
    for (const [method, path, body] of [
      ['GET', '/v1/admin/tenants', undefined],
      ['GET', '/v1/admin/tenants/acme', undefined],
      ['PUT', '/v1/admin/tenants/acme', { resultCache: 'always' }],
      ['DELETE', '/v1/admin/tenants/acme', undefined],
    ] as const) {
      await expectError(await send(`${server.url}${path}`, method, ACME, body), 403, 'scope_missing');
      await expectError(await fetch(`${server.url}${path}`, { method, ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}) }), 401, 'api_key_required');
    }
    const url = `${server.url}/v1/admin/tenants/acme`;
    await expectError(await send(url, 'PUT', ADMIN, {}), 400, 'missing_field');
    await expectError(await send(url, 'PUT', ADMIN, { resultCache: 'sometimes' }), 400, 'invalid_value', 'resultCache');
    await expectError(await send(url, 'PUT', ADMIN, { outputRetentionDays: -1 }), 400, 'invalid_value', 'outputRetentionDays');
    await expectError(await send(url, 'PUT', ADMIN, { outputRetentionDays: 36_501 }), 400, 'invalid_value', 'outputRetentionDays');
    await expectError(await send(url, 'PUT', ADMIN, { outputRetentionDays: 1.5 }), 400, 'invalid_type', 'outputRetentionDays');
    await expectError(await send(url, 'PUT', ADMIN, { resultCache: 'always', quota: 1 }), 400, 'unknown_field', 'quota');
    await expectError(await send(`${server.url}/v1/admin/tenants/Not_A_Tenant`, 'PUT', ADMIN, { resultCache: 'off' }), 400, 'invalid_value');
    await expectError(await send(`${server.url}/v1/admin/tenants/..%2Fetc`, 'GET', ADMIN), 400, 'invalid_value');
    await expectError(await send(`${server.url}/v1/admin/tenants/${'a'.repeat(65)}`, 'DELETE', ADMIN), 400, 'invalid_value');
    assert.deepEqual(((await (await fetch(`${server.url}/v1/admin/tenants`, { headers: auth(ADMIN) })).json()) as { data: Policy[] }).data, [], 'nothing refused was stored');
  });
});
