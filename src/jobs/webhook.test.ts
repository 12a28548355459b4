// Job webhooks: the SSRF check on URLs, the Standard Webhooks signature, one delivery against real
// node:http receivers on 127.0.0.1 (allowPrivate: true, since they are loopback), and the backoff.
//
// DNS is unreachable on the machines these tests run on, so host names are resolved by an injected
// resolver that maps names under .test (reserved by RFC 6761, never in public DNS) to chosen
// addresses; IP literals need no resolver at all.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../config/config.js';
import { AppError } from '../errors/app-error.js';
import { VERSION } from '../version.js';
import {
  addressReason,
  checkWebhookUrl,
  deliverWebhook,
  newWebhookSecret,
  signWebhook,
  verifyWebhook,
  webhookBackoffMs,
  WEBHOOK_MAX_BACKOFF_MS,
  type WebhookResolver,
} from './webhook.js';

const PUBLIC_V4 = '93.184.215.14';
const PUBLIC_V6 = '2606:2800:21f:cb07:6820:80da:af6b:8b2c';

/** A resolver over a fixed table; a name not in it fails as DNS does (ENOTFOUND). */
function resolverOf(table: Record<string, string[]>, calls: string[] = []): WebhookResolver {
  return async (host) => {
    calls.push(host);
    const answer = table[host];
    if (answer === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return answer;
  };
}

async function refusal(url: string, options: Parameters<typeof checkWebhookUrl>[1]): Promise<AppError> {
  try {
    await checkWebhookUrl(url, options);
  } catch (err) {
    assert.ok(err instanceof AppError, `${url}: ${String(err)}`);
    assert.equal(err.param, 'webhook.url');
    assert.equal(err.status, 400);
    return err;
  }
  assert.fail(`${url} was accepted`);
}

describe('checkWebhookUrl', () => {
  const noDns: WebhookResolver = async (host) => assert.fail(`resolved ${host}, which needs no resolving`);

  it('refuses loopback, private, link-local, metadata and other non-public IP literals', async () => {
    const hostile = [
      'http://127.0.0.1/',
      'http://127.1:8080/hook', // WHATWG parsing makes it 127.0.0.1
      'http://2130706433/', // so is this
      'http://0x7f.0.0.1/',
      'http://10.1.2.3/',
      'http://172.16.0.1/',
      'http://172.31.255.255/',
      'http://192.168.1.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://100.64.0.1/',
      'http://0.0.0.0/',
      'http://0.1.2.3:9000/',
      'http://198.18.0.1/',
      'http://192.0.2.10/',
      'http://224.0.0.1/',
      'http://239.255.255.250:1900/',
      'http://240.0.0.1/',
      'http://255.255.255.255/',
      'http://[::1]/',
      'http://[::]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:a9fe:a9fe]/', // 169.254.169.254, mapped
      'http://[::ffff:10.0.0.1]:8443/',
      'http://[64:ff9b::7f00:1]/', // NAT64 of 127.0.0.1
      'http://[64:ff9b::169.254.169.254]/',
      'http://[2002:a00:1::1]/', // 6to4 of 10.0.0.1
      'http://[2002:7f00:1::]/', // 6to4 of 127.0.0.1
      'http://[fd00::1]/',
      'http://[fc12:3456::1]/',
      'http://[fe80::1]/',
      'http://[ff02::1]/',
      'http://[2001:db8::1]/',
      'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', // Teredo
      'http://[::127.0.0.1]/', // deprecated IPv4-compatible
      'https://[fec0::1]/',
    ];
    for (const url of hostile) {
      const err = await refusal(url, { allowPrivate: false, resolve: noDns });
      assert.equal(err.code, 'webhook_refused', url);
      assert.match(err.message, /only sent to public addresses/, url);
    }
  });

  it('names what the address is', async () => {
    assert.match((await refusal('http://169.254.169.254/', { allowPrivate: false })).message, /169\.254\.169\.254 is a link-local \(cloud instance metadata\) address/);
    assert.match((await refusal('http://[::ffff:127.0.0.1]/', { allowPrivate: false })).message, /IPv4-mapped form of 127\.0\.0\.1, a loopback address/);
    assert.match((await refusal('http://[64:ff9b::a00:1]/', { allowPrivate: false })).message, /NAT64 form of 10\.0\.0\.1, a private address/);
  });

  it('refuses localhost and *.localhost without resolving them', async () => {
    const calls: string[] = [];
    const resolve = resolverOf({ localhost: [PUBLIC_V4], 'sub.localhost': [PUBLIC_V4] }, calls);
    for (const url of ['http://localhost/', 'http://LOCALHOST:3000/x', 'http://localhost./', 'http://sub.localhost/', 'https://a.b.localhost:8443/']) {
      assert.equal((await refusal(url, { allowPrivate: false, resolve })).code, 'webhook_refused', url);
    }
    assert.deepEqual(calls, []);
  });

  it('refuses what is not an http(s) URL without user:password@, as invalid_value, even with allowPrivate', async () => {
    const bad = [
      'http://user:pass@example.com/',
      'https://user@example.com/',
      'http://:pass@example.com/',
      'ftp://example.com/file',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'data:text/plain,hi',
      'gopher://example.com/',
      'ws://example.com/',
      'not a url',
      '//example.com/',
      '',
      'http://exa mple.com/',
      'http://example.com/\nx',
      ' http://example.com/',
      `https://example.com/${'a'.repeat(2048)}`,
    ];
    for (const allowPrivate of [false, true]) {
      for (const url of bad) {
        assert.equal((await refusal(url, { allowPrivate, resolve: noDns })).code, 'invalid_value', JSON.stringify(url));
      }
    }
    assert.match((await refusal('http://user:pass@example.com/', { allowPrivate: false })).message, /user name or password/);
    assert.match((await refusal('ftp://example.com/', { allowPrivate: false })).message, /http or https, not ftp/);
  });

  it('accepts public addresses, on any port, and 2048 characters', async () => {
    const ok = [
      `http://${PUBLIC_V4}/hook`,
      `https://[${PUBLIC_V6}]:8443/hook?x=1`,
      'http://172.32.0.1/', // just past 172.16.0.0/12
      'http://100.128.0.1/', // just past 100.64.0.0/10
      'http://11.0.0.1:1/',
      'http://[::ffff:8.8.8.8]/',
      'http://[64:ff9b::808:808]/',
      'http://[2002:808:808::1]/',
      `https://${PUBLIC_V4}/${'a'.repeat(2048 - `https://${PUBLIC_V4}/`.length)}`,
    ];
    for (const url of ok) assert.equal((await checkWebhookUrl(url, { allowPrivate: false, resolve: noDns })).href, new URL(url).href);
  });

  it('resolves names and refuses one private address among public ones', async () => {
    const calls: string[] = [];
    const resolve = resolverOf(
      {
        'public.test': [PUBLIC_V4, PUBLIC_V6],
        'mixed.test': [PUBLIC_V4, '10.0.0.5'],
        'mixed6.test': [PUBLIC_V6, '::ffff:169.254.169.254'],
        'loop.test': ['127.0.0.1'],
        'empty.test': [],
        'garbage.test': ['not-an-address'],
      },
      calls,
    );
    const url = await checkWebhookUrl('https://public.test/hooks/1', { allowPrivate: false, resolve });
    assert.equal(url.hostname, 'public.test');
    const mixed = await refusal('https://mixed.test/', { allowPrivate: false, resolve });
    assert.equal(mixed.code, 'webhook_refused');
    assert.match(mixed.message, /mixed\.test resolves to 10\.0\.0\.5, a private address/);
    assert.match((await refusal('http://mixed6.test/', { allowPrivate: false, resolve })).message, /169\.254\.169\.254/);
    assert.equal((await refusal('http://loop.test/', { allowPrivate: false, resolve })).code, 'webhook_refused');
    for (const host of ['nowhere.test', 'empty.test', 'garbage.test']) {
      const err = await refusal(`http://${host}/`, { allowPrivate: false, resolve });
      assert.equal(err.code, 'webhook_refused');
      assert.match(err.message, /does not resolve/);
    }
    assert.ok(calls.includes('public.test') && calls.includes('mixed.test'));
  });

  it('allowPrivate skips the address check, not the resolving', async () => {
    const resolve = resolverOf({ 'loop.test': ['127.0.0.1'] });
    for (const url of ['http://127.0.0.1:8080/', 'http://[::1]/', 'http://169.254.169.254/', 'http://loop.test/']) {
      assert.equal((await checkWebhookUrl(url, { allowPrivate: true, resolve })).href, url);
    }
    // The default resolver (getaddrinfo) answers localhost from /etc/hosts, no DNS needed.
    assert.equal((await checkWebhookUrl('http://localhost:1/', { allowPrivate: true })).href, 'http://localhost:1/');
    assert.match((await refusal('http://nowhere.test/', { allowPrivate: true, resolve })).message, /does not resolve/);
  });

  it('addressReason: public addresses get null', () => {
    for (const a of [PUBLIC_V4, PUBLIC_V6, '1.1.1.1', '2a00:1450:4001:80b::200e', '::ffff:1.1.1.1', '2606:4700:4700::1111']) assert.equal(addressReason(a), null, a);
    for (const a of ['127.0.0.1', '::1', 'fe80::1%eth0', '::ffff:192.168.0.1', '3fff::1', '100::1', '64:ff9b:1::1']) assert.notEqual(addressReason(a), null, a);
  });
});

describe('signing (Standard Webhooks v1)', () => {
  it('matches the published example of the Standard Webhooks reference library', () => {
    // standard-webhooks/standard-webhooks, libraries/javascript/src/webhook.test.ts, "sign function works".
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
    const timestamp = 1614265330;
    const body = '{"test": 2432232314}';
    const expected = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
    assert.equal(signWebhook(secret, id, timestamp, body), expected);
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': expected };
    assert.equal(verifyWebhook(secret, headers, body, 300, timestamp + 10), true);
    assert.equal(verifyWebhook(secret, headers, body), false, 'a signature from 2021 is far outside the tolerance today');
  });

  it('new secrets: whsec_ + base64 of 24 random bytes', () => {
    const a = newWebhookSecret();
    const b = newWebhookSecret();
    assert.match(a, /^whsec_[A-Za-z0-9+/]{32}$/);
    assert.equal(Buffer.from(a.slice(6), 'base64').length, 24);
    assert.notEqual(a, b);
  });

  it('verifies its own signatures and nothing that was changed', () => {
    const secret = newWebhookSecret();
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ type: 'job.succeeded', timestamp: new Date().toISOString(), data: { id: 'job_x', ü: '✓' } });
    const signature = signWebhook(secret, 'evt_1', now, body);
    const headers = { 'webhook-id': 'evt_1', 'webhook-timestamp': String(now), 'webhook-signature': signature };
    assert.equal(verifyWebhook(secret, headers, body), true);
    assert.equal(verifyWebhook(secret, { 'Webhook-Id': 'evt_1', 'WEBHOOK-TIMESTAMP': String(now), 'Webhook-Signature': signature }, body), true, 'header names in any case');
    assert.equal(verifyWebhook(secret, headers, body.replace('succeeded', 'failed')), false, 'body');
    assert.equal(verifyWebhook(secret, headers, `${body} `), false, 'body, one byte');
    assert.equal(verifyWebhook(secret, { ...headers, 'webhook-timestamp': String(now - 1) }, body), false, 'timestamp');
    assert.equal(verifyWebhook(secret, { ...headers, 'webhook-id': 'evt_2' }, body), false, 'id');
    assert.equal(verifyWebhook(newWebhookSecret(), headers, body), false, 'secret');
    assert.equal(verifyWebhook(secret, { ...headers, 'webhook-signature': signature.replace('v1,', 'v2,') }, body), false, 'version');
    assert.equal(verifyWebhook(secret, { ...headers, 'webhook-signature': 'v1,' }, body), false, 'empty');
    assert.equal(verifyWebhook(secret, { ...headers, 'webhook-signature': signature.slice(0, 20) }, body), false, 'partial');
    for (const missing of ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const) {
      const { [missing]: _gone, ...rest } = headers;
      assert.equal(verifyWebhook(secret, rest, body), false, `without ${missing}`);
    }
    assert.equal(verifyWebhook(secret, { ...headers, 'webhook-timestamp': 'soon' }, body), false, 'timestamp not a number');
  });

  it('accepts any one of several space-separated signatures (secret rotation)', () => {
    const secret = newWebhookSecret();
    const now = Math.floor(Date.now() / 1000);
    const good = signWebhook(secret, 'evt_1', now, '{}');
    const other = signWebhook(newWebhookSecret(), 'evt_1', now, '{}');
    const headers = (signatures: string) => ({ 'webhook-id': 'evt_1', 'webhook-timestamp': String(now), 'webhook-signature': signatures });
    assert.equal(verifyWebhook(secret, headers(`${other} v2,${good.slice(3)} ${good}`), '{}'), true);
    assert.equal(verifyWebhook(secret, headers(`${other} v2,${good.slice(3)}`), '{}'), false);
  });

  it('refuses timestamps outside the tolerance, both ways', () => {
    const secret = newWebhookSecret();
    const sent = 1_700_000_000;
    const headers = { 'webhook-id': 'evt_1', 'webhook-timestamp': String(sent), 'webhook-signature': signWebhook(secret, 'evt_1', sent, '{}') };
    assert.equal(verifyWebhook(secret, headers, '{}', 300, sent + 300), true);
    assert.equal(verifyWebhook(secret, headers, '{}', 300, sent + 301), false, 'too old');
    assert.equal(verifyWebhook(secret, headers, '{}', 300, sent - 301), false, 'from the future');
    assert.equal(verifyWebhook(secret, headers, '{}', 3600, sent + 3000), true, 'a wider tolerance');
  });
});

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  url: string;
}

/** A receiver on 127.0.0.1 that records each request and answers with `answer`. */
async function receiver(answer: (res: ServerResponse, received: Received) => void): Promise<{ server: Server; port: number; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), url: req.url ?? '' };
      received.push(r);
      answer(res, r);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, received };
}

describe('deliverWebhook', () => {
  const servers: Server[] = [];
  const open = async (answer: (res: ServerResponse, received: Received) => void) => {
    const r = await receiver(answer);
    servers.push(r.server);
    return r;
  };
  after(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  const secret = newWebhookSecret();
  const event = { id: 'evt_01HZX', type: 'job.succeeded', data: { job: 'job_abc', output: 'out_1', seconds: 12.5 } };
  const local = { allowPrivate: true, timeoutMs: 30_000 };

  it('POSTs the signed event; the receiver verifies it with verifyWebhook', async () => {
    const { port, received } = await open((res) => res.writeHead(204).end());
    const result = await deliverWebhook({ url: `http://127.0.0.1:${port}/hooks/tts?k=1`, secret }, event, local);
    assert.deepEqual(result, { ok: true, status: 204, retry: false });
    assert.equal(received.length, 1);
    const [r] = received as [Received];
    assert.equal(r.url, '/hooks/tts?k=1');
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.headers['user-agent'], `cosyfleet/${VERSION}`);
    assert.equal(r.headers['webhook-id'], event.id);
    assert.equal(r.headers.host, `127.0.0.1:${port}`);
    assert.equal(verifyWebhook(secret, r.headers, r.body), true);
    assert.equal(verifyWebhook(newWebhookSecret(), r.headers, r.body), false);
    const body = JSON.parse(r.body) as { type: string; timestamp: string; data: unknown };
    assert.deepEqual(Object.keys(body), ['type', 'timestamp', 'data']);
    assert.equal(body.type, event.type);
    assert.deepEqual(body.data, event.data);
    assert.equal(new Date(body.timestamp).toISOString(), body.timestamp);
    assert.equal(Math.floor(Date.parse(body.timestamp) / 1000), Number(r.headers['webhook-timestamp']));
  });

  it('connects to the address the resolver gave, with the name as Host', async () => {
    // hooks.test is in no DNS (and DNS is unreachable here): only the checked address can have been used.
    const { port, received } = await open((res) => res.writeHead(200).end('ok'));
    const calls: string[] = [];
    const resolve = resolverOf({ 'hooks.test': ['127.0.0.1'] }, calls);
    const result = await deliverWebhook({ url: `http://hooks.test:${port}/in`, secret }, event, { ...local, resolve });
    assert.equal(result.ok, true);
    assert.deepEqual(calls, ['hooks.test']);
    assert.equal(received[0]?.headers.host, `hooks.test:${port}`);
    assert.equal(verifyWebhook(secret, received[0]!.headers, received[0]!.body), true);
  });

  it('retries 5xx, 408 and 429; not other 4xx', async () => {
    let status = 500;
    const { port } = await open((res) => res.writeHead(status).end('{"error":"x"}'));
    const url = `http://127.0.0.1:${port}/`;
    for (const [code, retry] of [[500, true], [502, true], [503, true], [408, true], [429, true], [400, false], [401, false], [404, false], [410, false], [422, false]] as const) {
      status = code;
      const result = await deliverWebhook({ url, secret }, event, local);
      assert.equal(result.ok, false, String(code));
      assert.equal(result.status, code);
      assert.equal(result.retry, retry, String(code));
      assert.match(result.error ?? '', new RegExp(String(code)));
    }
  });

  it('does not follow a redirect and does not retry it', async () => {
    const elsewhere = await open((res) => res.writeHead(200).end());
    const { port, received } = await open((res) => res.writeHead(302, { location: `http://127.0.0.1:${elsewhere.port}/` }).end());
    const result = await deliverWebhook({ url: `http://127.0.0.1:${port}/`, secret }, event, local);
    assert.deepEqual({ ...result, error: undefined }, { ok: false, status: 302, retry: false, error: undefined });
    assert.match(result.error ?? '', /redirect/);
    assert.equal(received.length, 1);
    assert.equal(elsewhere.received.length, 0);
  });

  it('a receiver that never answers: timeout, retry', async () => {
    const { port, received } = await open(() => undefined);
    const result = await deliverWebhook({ url: `http://127.0.0.1:${port}/`, secret }, event, { allowPrivate: true, timeoutMs: 300 });
    assert.equal(result.ok, false);
    assert.equal(result.retry, true);
    assert.equal(result.status, undefined);
    assert.match(result.error ?? '', /did not answer within 300 ms/);
    assert.equal(received.length, 1, 'the request arrived; the answer never did');
  });

  it('nobody listening: retry', async () => {
    const { server, port } = await receiver(() => undefined);
    await new Promise<void>((r) => server.close(() => r()));
    const result = await deliverWebhook({ url: `http://127.0.0.1:${port}/`, secret }, event, local);
    assert.equal(result.ok, false);
    assert.equal(result.retry, true);
    assert.match(result.error ?? '', /ECONNREFUSED/);
  });

  it('reads only the first few KB of an endless answer', { timeout: 60_000 }, async () => {
    let closed!: () => void;
    const receiverClosed = new Promise<void>((r) => (closed = r));
    const { port } = await open((res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
      };
      res.on('drain', pump);
      res.on('close', closed);
      pump();
    });
    // Without the cap this would read until its 600 s timeout, and the test's own 60 s timeout would fail it.
    const result = await deliverWebhook({ url: `http://127.0.0.1:${port}/`, secret }, event, { allowPrivate: true, timeoutMs: 600_000, maxResponseBytes: 4096 });
    assert.deepEqual(result, { ok: true, status: 200, retry: false });
    await receiverClosed;
  });

  it('re-checks the address at delivery: loopback refused without a request, not retried', async () => {
    const { port, received } = await open((res) => res.writeHead(200).end());
    const result = await deliverWebhook({ url: `http://127.0.0.1:${port}/`, secret }, event, { allowPrivate: false, timeoutMs: 30_000 });
    assert.equal(result.ok, false);
    assert.equal(result.retry, false);
    assert.match(result.error ?? '', /loopback/);
    assert.equal(received.length, 0);
  });

  it('DNS rebinding: public at the check, loopback at delivery → refused, no request made', async () => {
    const { port, received } = await open((res) => res.writeHead(200).end());
    let lookups = 0;
    const resolve: WebhookResolver = async (host) => {
      assert.equal(host, 'rebind.test');
      return ++lookups === 1 ? [PUBLIC_V4] : ['127.0.0.1'];
    };
    const url = `http://rebind.test:${port}/`;
    assert.equal((await checkWebhookUrl(url, { allowPrivate: false, resolve })).hostname, 'rebind.test');
    const result = await deliverWebhook({ url, secret }, event, { allowPrivate: false, timeoutMs: 30_000, resolve });
    assert.equal(lookups, 2);
    assert.deepEqual({ ...result, error: undefined }, { ok: false, retry: false, error: undefined });
    assert.match(result.error ?? '', /rebind\.test resolves to 127\.0\.0\.1, a loopback address/);
    assert.equal(received.length, 0);
  });

  it('a name that does not resolve at delivery is retried; a URL that is not allowed is not', async () => {
    const gone = await deliverWebhook({ url: 'https://gone.test/', secret }, event, { allowPrivate: false, timeoutMs: 30_000, resolve: resolverOf({}) });
    assert.deepEqual({ ...gone, error: undefined }, { ok: false, retry: true, error: undefined });
    assert.match(gone.error ?? '', /does not resolve \(ENOTFOUND\)/);
    const ftp = await deliverWebhook({ url: 'ftp://127.0.0.1/', secret }, event, local);
    assert.deepEqual({ ...ftp, error: undefined }, { ok: false, retry: false, error: undefined });
  });

  it('an event id that cannot be a header is a failure, not a throw', async () => {
    const { port, received } = await open((res) => res.writeHead(200).end());
    const result = await deliverWebhook({ url: `http://127.0.0.1:${port}/`, secret }, { ...event, id: 'evt\r\nx-evil: 1' }, local);
    assert.equal(result.ok, false);
    assert.equal(result.retry, false);
    assert.equal(received.length, 0);
  });
});

describe('webhookBackoffMs', () => {
  it('grows fourfold from the base, capped at one hour', () => {
    const middle = () => 0.5;
    assert.deepEqual([1, 2, 3, 4, 5, 6, 40].map((n) => webhookBackoffMs(n, 30_000, middle)), [30_000, 120_000, 480_000, 1_920_000, 3_600_000, 3_600_000, 3_600_000]);
    assert.deepEqual([1, 2, 3].map((n) => webhookBackoffMs(n, 10, middle)), [10, 40, 160]);
  });

  it('jitters ±10% and never passes the cap', () => {
    assert.equal(webhookBackoffMs(1, 30_000, () => 0), 27_000);
    assert.equal(webhookBackoffMs(1, 30_000, () => 0.999999), 33_000);
    assert.equal(webhookBackoffMs(2, 30_000, () => 0.25), 114_000);
    assert.equal(webhookBackoffMs(6, 30_000, () => 0), 3_240_000);
    assert.equal(webhookBackoffMs(6, 30_000, () => 0.999999), WEBHOOK_MAX_BACKOFF_MS);
  });

  it('refuses an attempt number that is not 1, 2, ...', () => {
    for (const n of [0, -1, 1.5, Number.NaN]) assert.throws(() => webhookBackoffMs(n, 1000), RangeError);
  });
});

describe('webhook settings', () => {
  it('defaults: private addresses refused, 10 s timeout, 30 s base, 6 attempts', () => {
    const config = loadConfig();
    assert.equal(config.webhookAllowPrivate, false);
    assert.equal(config.webhookTimeoutMs, 10_000);
    assert.equal(config.webhookRetryBaseMs, 30_000);
    assert.equal(config.webhookMaxAttempts, 6);
  });

  it('read from the environment', () => {
    const config = loadConfig({ env: { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_TIMEOUT_MS: '500', WEBHOOK_RETRY_BASE_MS: '5', WEBHOOK_MAX_ATTEMPTS: '2' } });
    assert.deepEqual(
      [config.webhookAllowPrivate, config.webhookTimeoutMs, config.webhookRetryBaseMs, config.webhookMaxAttempts],
      [true, 500, 5, 2],
    );
  });
});
