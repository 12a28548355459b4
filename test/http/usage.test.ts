// Usage, quotas and cost per request over real HTTP (AUTH=keys): limits set through the admin
// API refuse with 429, Retry-After and x-ratelimit-* (the official OpenAI client raises
// RateLimitError), and recover; GET /v1/usage shows each tenant its own requests, characters,
// audio and engine time; a restarted node shows the cost its instance price attributed.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { postJson, startTestServer, type TestServer } from '../helpers/server.js';
import { expectError } from '../helpers/voices.js';

const ADMIN = 'usage-admin-key-0123456789abcdef';
const ACME = 'usage-acme-key-0123456789abcdef';
const GLOBEX = 'usage-globex-key-0123456789abcdef';
const PRICE = 0.8048; // g6.xlarge, $/hour

const servers: TestServer[] = [];
let dataDir: string;
/** Bounds on the first node's life: before it was built, and after its first answer. */
let bootedAt = 0;
let firstAnswerAt = 0;
after(async () => {
  for (const s of servers) await s.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const auth = (key: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${key}` });
const today = () => new Date().toISOString().slice(0, 10);

interface UsageBody {
  instance: { usdPerHour: number | null; priceSource: string };
  data: { tenant: string; day: string; requests: number; characters: number; audioSeconds: number; engineSeconds: number; costUsd: number }[];
  idle?: { day: string; costUsd: number }[];
}

async function start(): Promise<TestServer> {
  const s = await startTestServer({ auth: 'keys', adminKey: ADMIN, apiKeys: `acme:${ACME},globex:${GLOBEX}`, instancePriceUsdPerHour: String(PRICE), dataDir });
  servers.push(s);
  return s;
}

describe('usage, quotas and cost', () => {
  it('limits: requests per minute and characters per day refuse with 429 and say what is left', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cosyfleet-usage-'));
    bootedAt = Date.now();
    const s = await start();
    const created = await postJson(`${s.url}/v1/admin/keys`, { name: 'limited', tenant: 'acme', scopes: ['synthesize'], limits: { requestsPerMinute: 2 } }, { headers: auth(ADMIN) });
    assert.equal(created.status, 201);
    firstAnswerAt = Date.now();
    const key = ((await created.json()) as { key: string }).key;
    for (let i = 0; i < 2; i++) {
      const ok = await postJson(`${s.url}/v1/tts`, { text: 'Hello.', format: 'wav' }, { headers: auth(key) });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('x-ratelimit-limit-requests'), '2');
      assert.equal(ok.headers.get('x-ratelimit-remaining-requests'), String(1 - i));
      await ok.arrayBuffer();
    }
    const limited = await postJson(`${s.url}/v1/tts`, { text: 'Hello.', format: 'wav' }, { headers: auth(key) });
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal(limited.headers.get('x-ratelimit-remaining-requests'), '0');
    await expectError(limited, 429, 'rate_limited');
    const sdk = new OpenAI({ apiKey: key, baseURL: `${s.url}/v1`, maxRetries: 0 });
    await assert.rejects(sdk.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'Hello.' }), (err: unknown) => {
      assert.ok(err instanceof OpenAI.RateLimitError, String(err));
      assert.equal(err.code, 'rate_limited');
      return true;
    });
    // Characters per day, set on the key afterwards: a text that would pass it is refused, a short one is not.
    const id = ((await (await fetch(`${s.url}/v1/admin/keys?tenant=acme`, { headers: auth(ADMIN) })).json()) as { data: { id: string; name: string }[] }).data.find((k) => k.name === 'limited')!.id;
    const patched = await fetch(`${s.url}/v1/admin/keys/${id}`, { method: 'PATCH', headers: auth(ADMIN), body: JSON.stringify({ limits: { requestsPerMinute: null, charactersPerDay: 20 } }) });
    assert.equal(patched.status, 200);
    const long = await postJson(`${s.url}/v1/tts`, { text: 'This sentence is longer than twenty characters.', format: 'wav' }, { headers: auth(key) });
    await expectError(long, 429, 'quota_exceeded', 'text');
    const short = await postJson(`${s.url}/v1/tts`, { text: 'Hi.', format: 'wav' }, { headers: auth(key) });
    assert.equal(short.status, 200);
    assert.equal(short.headers.get('x-ratelimit-limit-characters'), '20');
    await short.arrayBuffer();
  });

  it('GET /v1/usage: each tenant sees its own day; admin sees all, the idle cost, and the price', async () => {
    const s = servers[0]!;
    for (const [key, text] of [[ACME, 'Good morning, this is Acme.'], [GLOBEX, 'Globex speaking.']] as const) {
      const r = await postJson(`${s.url}/v1/tts`, { text, format: 'wav' }, { headers: auth(key) });
      assert.equal(r.status, 200);
      await r.arrayBuffer();
    }
    const mine = (await (await fetch(`${s.url}/v1/usage`, { headers: auth(GLOBEX) })).json()) as UsageBody;
    assert.deepEqual(mine.data.map((d) => d.tenant), ['globex']);
    assert.equal(mine.data[0]!.day, today());
    assert.equal(mine.data[0]!.requests, 1);
    assert.equal(mine.data[0]!.characters, [...'Globex speaking.'].length);
    assert.ok(mine.data[0]!.audioSeconds > 0.5 && mine.data[0]!.engineSeconds > 0);
    assert.equal(mine.idle, undefined);
    assert.equal(mine.instance.usdPerHour, PRICE);
    await expectError(await fetch(`${s.url}/v1/usage?tenant=acme`, { headers: auth(GLOBEX) }), 403, 'scope_missing', 'tenant');
    const all = (await (await fetch(`${s.url}/v1/usage`, { headers: auth(ADMIN) })).json()) as UsageBody;
    assert.deepEqual(all.data.map((d) => d.tenant).sort(), ['acme', 'globex']);
    assert.ok(Array.isArray(all.idle));
    await expectError(await fetch(`${s.url}/v1/usage?from=2026-13-01`, { headers: auth(ADMIN) }), 400, 'invalid_value');
    const metrics = await (await fetch(`${s.url}/metrics`, { headers: auth(ADMIN) })).text();
    assert.match(metrics, /cosyfleet_tenant_requests_total\{tenant="globex",outcome="completed"\} 1/);
    assert.match(metrics, /cosyfleet_quota_rejections_total\{reason="rate_limited"\} 2/);
  });

  it('the instance price is attributed: requests plus idle add up to the price for the node\'s life', async () => {
    const s = servers.shift()!;
    const closing = Date.now();
    await s.close();
    const closed = Date.now();
    const again = await start();
    const all = (await (await fetch(`${again.url}/v1/usage`, { headers: auth(ADMIN) })).json()) as UsageBody;
    const requests = all.data.reduce((a, d) => a + d.costUsd, 0);
    const idle = (all.idle ?? []).reduce((a, d) => a + d.costUsd, 0);
    assert.ok(requests > 0, 'requests were charged');
    // Every millisecond of the node's life is charged once: to requests or as idle.
    const total = requests + idle;
    const least = (PRICE * (closing - firstAnswerAt)) / 3_600_000;
    const most = (PRICE * (closed - bootedAt)) / 3_600_000;
    assert.ok(total >= least && total <= most, `${total} $ for a node alive between ${(closing - firstAnswerAt) / 1000} and ${(closed - bootedAt) / 1000} s`);
  });
});
