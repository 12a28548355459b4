// Debian's NGINX (/usr/sbin/nginx) on the config `cosyfleet deploy nginx` writes, in front of a
// real cosyfleet on loopback, with a self-signed certificate made here: HTTP/2 over TLS, streamed
// audio and SSE passed on as they are made (shown by order: the client holds the first audio
// while a later segment is still held back in the engine), NGINX's own errors as JSON, and the
// client address believed only from the proxy. Speed through the proxy: bench/nginx.ts.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { connect as h2connect } from 'node:http2';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { WrappedEngine } from '../helpers/wrapped-engine.js';
import { EspeakEngine } from '../../src/engines/espeak/engine.js';
import type { PcmChunk } from '../../src/audio/pcm.js';
import type { SynthesisRequest, SynthesizeOptions } from '../../src/engines/engine.js';
import { runDeployNginx } from '../../src/deploy/nginx/command.js';
import { selfSignedCert, startNginx, testConfig, type RunningNginx } from '../../src/deploy/nginx/harness.js';
import { defaultNginxOptions, type NginxOptions } from '../../src/deploy/nginx/options.js';
import { freePort } from '../../src/util/free-port.js';
import { renderNginxConfig } from '../../src/deploy/nginx/render.js';

/** Holds engine calls whose text contains a marker until the test releases that marker. */
class HoldingEngine extends WrappedEngine {
  readonly events: string[] = [];
  private readonly holds = new Map<string, { wait: Promise<void>; go: () => void }>();
  private readonly waiting = new Set<string>();

  holdText(marker: string): void {
    let go: () => void = () => {};
    const wait = new Promise<void>((resolve) => (go = resolve));
    this.holds.set(marker, { wait, go });
  }

  /** Resolves once a call carrying `marker` is waiting (a later segment may start after the client has the first). */
  async untilHeld(marker: string): Promise<void> {
    while (this.holds.has(marker) && !this.waiting.has(marker)) await sleep(10);
  }

  release(marker: string): void {
    this.events.push(`released ${marker}`);
    this.holds.get(marker)?.go();
    this.holds.delete(marker);
  }

  override async *synthesize(request: SynthesisRequest, options: SynthesizeOptions = {}): AsyncGenerator<PcmChunk> {
    for (const [marker, hold] of this.holds) {
      if (!request.text.includes(marker)) continue;
      this.events.push(`held ${marker}`);
      this.waiting.add(marker);
      await hold.wait;
      this.waiting.delete(marker);
    }
    yield* this.inner.synthesize(request, options);
  }
}

/** The granule position (samples so far) of the last whole Ogg page in `bytes`; 0 before any audio page. */
function lastGranule(bytes: Buffer): bigint {
  let at = 0;
  let granule = 0n;
  while (at + 27 <= bytes.length && bytes.toString('latin1', at, at + 4) === 'OggS') {
    const segments = bytes[at + 26] as number;
    if (at + 27 + segments > bytes.length) break;
    let size = 27 + segments;
    for (let i = 0; i < segments; i++) size += bytes[at + 27 + i] as number;
    if (at + size > bytes.length) break;
    const g = bytes.readBigInt64LE(at + 6);
    if (g > 0n) granule = g;
    at += size;
  }
  return granule;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

describe('cosyfleet behind Debian NGINX (the config of `cosyfleet deploy nginx`)', () => {
  let dir: string;
  let pem: string;
  let certs: { cert: string; key: string };
  let engine: HoldingEngine;
  let service: TestServer;
  const log: Record<string, unknown>[] = [];
  let connectionsToService = 0;
  let proxy: RunningNginx;
  let proxyPort: number;
  const extra: RunningNginx[] = [];
  const stubs: Server[] = [];

  function options(overrides: Partial<NginxOptions>): NginxOptions {
    return { ...defaultNginxOptions(), serverName: 'localhost', ...certs, listenAddress: '127.0.0.1', httpPort: 0, accessLog: join(dir, 'access.log'), ...overrides };
  }

  async function startProxy(name: string, o: NginxOptions): Promise<RunningNginx> {
    const prefix = join(dir, name);
    const site = join(dir, `${name}.conf`);
    writeFileSync(site, renderNginxConfig(o));
    return startNginx(prefix, site);
  }

  /** HTTP/1.1 over TLS to a proxy on `port`, from the loopback address `from`. */
  function https1(port: number, method: string, path: string, init: { headers?: Record<string, string>; body?: string | Buffer; from?: string; sendBody?: boolean } = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, servername: 'localhost', ca: pem, method, path, headers: init.headers ?? {}, localAddress: init.from ?? '127.0.0.1', agent: false }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString() }));
        res.on('error', reject);
      });
      req.on('error', reject);
      if (init.body !== undefined && init.sendBody !== false) req.end(init.body);
      else if (init.sendBody === false) req.flushHeaders();
      else req.end();
    });
  }

  function remoteAddressOf(requestId: string): unknown {
    const line = log.find((l) => l.reqId === requestId && l.msg === 'incoming request');
    return (line?.req as { remoteAddress?: unknown } | undefined)?.remoteAddress;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cosyfleet-nginx-test-'));
    const made = await selfSignedCert(dir);
    pem = made.pem;
    certs = { cert: made.cert, key: made.key };
    engine = new HoldingEngine(new EspeakEngine({ workers: 1 }));
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line.trim() !== '') log.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    service = await startTestServer(
      // The proxy connects from 127.0.0.1; test clients that go direct connect from 127.0.0.2.
      { trustProxy: ['127.0.0.1'], maxSegmentChars: 5, maxUploadBytes: 64 * 1024, maxConnectionsPerAddress: 0 },
      { engine, logger: pino({ level: 'info' }, sink) },
    );
    service.app.server.on('connection', () => connectionsToService++);
    proxyPort = await freePort();
    proxy = await startProxy('main', options({ upstreams: [new URL(service.url).host], httpsPort: proxyPort, maxBodyBytes: 1_048_576 }));
  });

  after(async () => {
    for (const p of [proxy, ...extra]) await p?.stop();
    for (const s of stubs) s.close();
    await service?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the committed deploy/nginx/cosyfleet.conf is what the command writes with its defaults', async () => {
    let out = '';
    const code = await runDeployNginx([], { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true } });
    assert.equal(code, 0);
    assert.equal(readFileSync(new URL('../../deploy/nginx/cosyfleet.conf', import.meta.url), 'utf8'), out, 'run `npx tsx src/cli.ts deploy nginx --out deploy/nginx/cosyfleet.conf`');
  });

  it('nginx -t accepts the generated config, several nodes included', async () => {
    const site = join(dir, 'check.conf');
    writeFileSync(site, renderNginxConfig(options({ upstreams: ['127.0.0.1:8080', '10.0.0.2:8080', '[::1]:8080'], httpPort: await freePort(), httpsPort: await freePort() })));
    assert.match(await testConfig(join(dir, 'check'), site), /syntax is ok[\s\S]*test is successful/);
  });

  it('serves HTTP/2 over TLS and passes the probes through', async () => {
    const session = h2connect(`https://localhost:${proxyPort}`, { ca: pem, host: '127.0.0.1', servername: 'localhost' } as never);
    try {
      const answer = await new Promise<{ status: number; body: string; alpn: string | false | undefined }>((resolve, reject) => {
        const stream = session.request({ ':method': 'GET', ':path': '/readyz' });
        let status = 0;
        let body = '';
        stream.on('response', (h) => (status = Number(h[':status'])));
        stream.on('data', (d: Buffer) => (body += d.toString()));
        stream.on('end', () => resolve({ status, body, alpn: session.alpnProtocol }));
        stream.on('error', reject);
      });
      assert.equal(answer.alpn, 'h2');
      assert.equal(answer.status, 200, answer.body);
      assert.equal((JSON.parse(answer.body) as { status: string }).status, 'ready');
    } finally {
      session.close();
    }
  });

  it('streams audio: each segment\'s audio reaches the client while the next is still held in the engine', async () => {
    const mark = engine.events.length;
    engine.holdText('Then');
    engine.holdText('Last');
    const req = httpsRequest({ host: '127.0.0.1', port: proxyPort, servername: 'localhost', ca: pem, method: 'POST', path: '/v1/tts', headers: { 'content-type': 'application/json' }, agent: false });
    try {
      let received = Buffer.alloc(0);
      // A proxy that buffered would hold the audio until the held segment let the answer end:
      // the test then fails here instead of waiting for ever.
      const live: { response?: IncomingMessage } = {};
      const guard = setTimeout(() => {
        const late = new Error('no new audio within 20 s while a segment was held');
        live.response?.destroy(late);
        req.destroy(late);
      }, 20_000);
      req.end(JSON.stringify({ text: 'Hi. Then. Last of all, the rest.', language: 'en', format: 'opus', stream: true }));
      const [stream] = (await once(req, 'response')) as [IncomingMessage];
      live.response = stream;
      assert.equal(stream.statusCode, 200);
      const readUntil = async (done: (bytes: Buffer) => boolean) => {
        while (!done(received)) received = Buffer.concat([received, ...((await once(stream, 'data')) as [Buffer])]);
      };
      // Ogg pages: the Opus headers first, then audio pages, whose granule position counts samples.
      await readUntil((b) => lastGranule(b) > 0n);
      const firstAudio = lastGranule(received);
      engine.events.push('client got the first segment');
      await engine.untilHeld('Then');
      engine.release('Then');
      // The second segment's audio comes in reads of its own, never with the response headers
      // (which NGINX forwards at once even when it buffers), and is smaller than a proxy buffer.
      await readUntil((b) => lastGranule(b) > firstAudio);
      engine.events.push('client got the second segment');
      clearTimeout(guard);
      await engine.untilHeld('Last');
      engine.release('Last');
      stream.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
      await once(stream, 'end');
      const order = engine.events.slice(mark).filter((e) => e.startsWith('client') || e.startsWith('released'));
      assert.deepEqual(order, ['client got the first segment', 'released Then', 'client got the second segment', 'released Last'], engine.events.slice(mark).join(' | '));
      assert.ok(lastGranule(received) > firstAudio, 'the rest followed');
    } finally {
      engine.release('Then');
      engine.release('Last');
      req.destroy();
    }
  });

  it('passes SSE events on one by one (POST /v1/audio/speech, stream_format sse)', async () => {
    const mark = engine.events.length;
    engine.holdText('Then');
    const events: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port: proxyPort, servername: 'localhost', ca: pem, method: 'POST', path: '/v1/audio/speech', headers: { 'content-type': 'application/json' }, agent: false },
        (res) => {
          assert.equal(res.statusCode, 200);
          assert.equal(res.headers['content-type'], 'text/event-stream');
          let buffer = '';
          res.on('data', (d: Buffer) => {
            buffer += d.toString();
            let end: number;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const event = JSON.parse(buffer.slice(0, end).replace(/^data: /, '')) as { type: string };
              buffer = buffer.slice(end + 2);
              events.push(event.type);
              engine.events.push(`client got ${event.type}`);
              if (events.length === 1) void engine.untilHeld('Then').then(() => engine.release('Then'));
            }
          });
          res.on('end', resolve);
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      // A proxy that buffered would hold the first event until the held segment let the answer end.
      const noEvent = setTimeout(() => {
        engine.release('Then');
        req.destroy(new Error(`no event within 20 s; got ${events.length}`));
      }, 20_000);
      noEvent.unref();
      req.end(JSON.stringify({ model: 'tts-1', input: 'Hi. Then the rest of it comes.', voice: 'alloy', response_format: 'opus', stream_format: 'sse' }));
    });
    await done;
    const order = engine.events.slice(mark);
    // The first event was in the client's hands before the held segment was let go, so before
    // the answer could end.
    assert.ok(order.includes('held Then'), order.join(' | '));
    assert.ok(order.indexOf('client got speech.audio.delta') < order.indexOf('released Then'), order.join(' | '));
    assert.equal(events.at(-1), 'speech.audio.done');
    assert.ok(events.filter((e) => e === 'speech.audio.delta').length >= 2, events.join(' '));
  });

  it('keeps connections to the node alive across requests', async () => {
    const before = connectionsToService;
    for (let i = 0; i < 10; i++) assert.equal((await https1(proxyPort, 'GET', '/healthz')).status, 200);
    assert.ok(connectionsToService - before < 10, `${connectionsToService - before} new connections for 10 requests`);
  });

  it('a body over the proxy\'s limit gets NGINX\'s 413 as a JSON error; one between the service\'s limit and the proxy\'s gets the service\'s', async () => {
    const big = await https1(proxyPort, 'POST', '/v1/voices', { headers: { 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(2 * 1_048_576) }, sendBody: false, body: '' });
    assert.equal(big.status, 413);
    assert.match(String(big.headers['content-type']), /^application\/json/);
    assert.deepEqual(Object.keys((JSON.parse(big.body) as { error: object }).error), ['code', 'message', 'param']);
    assert.equal((JSON.parse(big.body) as { error: { code: string } }).error.code, 'body_too_large');
    assert.equal(big.headers['x-request-id'], undefined, 'NGINX answered, not the service');

    const form = Buffer.concat([Buffer.from('--x\r\ncontent-disposition: form-data; name="audio"; filename="a.wav"\r\ncontent-type: audio/wav\r\n\r\n'), Buffer.alloc(200 * 1024), Buffer.from('\r\n--x--\r\n')]);
    const middle = await https1(proxyPort, 'POST', '/v1/voices', { headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: form });
    assert.equal(middle.status, 413);
    assert.equal((JSON.parse(middle.body) as { error: { code: string; param: string } }).error.param, 'audio', 'the service\'s own 413 names the field');
    assert.ok(middle.headers['x-request-id'], 'the service answered');
  });

  it('believes X-Forwarded-For from the proxy only: a direct request with a forged header is logged with its own address', async () => {
    const via = await https1(proxyPort, 'GET', '/healthz', { from: '127.0.0.3', headers: { 'x-request-id': 'via-proxy-1', 'x-forwarded-for': '198.51.100.7' } });
    assert.equal(via.status, 200);
    const direct = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${service.url}/healthz`, { localAddress: '127.0.0.2', headers: { 'x-request-id': 'direct-1', 'x-forwarded-for': '198.51.100.7' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(direct, 200);
    // Through the proxy: the address NGINX saw (the client's forged entry to its left is not believed).
    assert.equal(remoteAddressOf('via-proxy-1'), '127.0.0.3');
    // Direct from 127.0.0.2, not a trusted proxy: the header is ignored.
    assert.equal(remoteAddressOf('direct-1'), '127.0.0.2');
  });

  it('no node reachable: 502 with a JSON body (native and OpenAI shapes); one node down of two: served by the other', async () => {
    const dead = await freePort();
    const port = await freePort();
    extra.push(await startProxy('dead', options({ upstreams: [`127.0.0.1:${dead}`], httpsPort: port })));
    const native = await https1(port, 'POST', '/v1/tts', { headers: { 'content-type': 'application/json' }, body: '{"text":"Hi."}' });
    assert.equal(native.status, 502);
    assert.match(String(native.headers['content-type']), /^application\/json/);
    assert.deepEqual(JSON.parse(native.body), { error: { code: 'upstream_unavailable', message: (JSON.parse(native.body) as { error: { message: string } }).error.message, param: null } });
    const openai = await https1(port, 'POST', '/v1/audio/speech', { headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(openai.status, 502);
    const body = JSON.parse(openai.body) as { error: { type: string; code: string } };
    assert.equal(body.error.type, 'server_error');
    assert.equal(body.error.code, 'upstream_unavailable');

    const both = await freePort();
    extra.push(await startProxy('both', options({ upstreams: [`127.0.0.1:${await freePort()}`, new URL(service.url).host], httpsPort: both })));
    for (let i = 0; i < 4; i++) assert.equal((await https1(both, 'GET', '/healthz')).status, 200, `request ${i}`);
  });

  it('a node silent past proxy_read_timeout: 504 with a JSON body', async () => {
    const held: Socket[] = [];
    const silent = createServer((socket) => held.push(socket));
    stubs.push(silent);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = await freePort();
    extra.push(await startProxy('silent', options({ upstreams: [`127.0.0.1:${(silent.address() as { port: number }).port}`], httpsPort: port, readTimeoutS: 1 })));
    const answer = await https1(port, 'GET', '/v1/engines');
    for (const s of held) s.destroy();
    assert.equal(answer.status, 504);
    assert.equal((JSON.parse(answer.body) as { error: { code: string } }).error.code, 'upstream_timeout');
  });

  it('more concurrent requests from one address than the proxy allows: 429 JSON with Retry-After', async () => {
    const port = await freePort();
    extra.push(await startProxy('limited', options({ upstreams: [new URL(service.url).host], httpsPort: port, maxConnectionsPerAddress: 1 })));
    engine.holdText('Wait');
    const first = https1(port, 'POST', '/v1/tts', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Wait.', format: 'pcm', stream: true }) });
    await engine.untilHeld('Wait');
    const second = await https1(port, 'GET', '/healthz');
    engine.release('Wait');
    assert.equal((await first).status, 200);
    assert.equal(second.status, 429);
    assert.equal(second.headers['retry-after'], '1');
    assert.equal((JSON.parse(second.body) as { error: { code: string } }).error.code, 'too_many_connections');
  });
});
