// Slow and greedy clients against a real server on loopback (issue 12, defect 2): a body sent a
// byte at a time and headers that never finish are cut with a JSON 408 while the client is
// still sending; one address cannot hold more than MAX_CONNECTIONS_PER_ADDRESS connections
// while another address is still served; past MAX_CONNECTIONS a connection is closed on
// accept; and the server stays healthy throughout. Orderings, counters and lower bounds only:
// nothing here depends on how fast the machine is.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import pino from 'pino';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RawConnection, expectRawError, requestHead, type RawResponse } from '../helpers/raw-http.js';
import { metricValue, waitFor } from '../helpers/wait.js';

/** A GET from a chosen loopback address on a fresh connection; null when the connection ends without an answer. */
async function getFrom(server: TestServer, localAddress: string, path = '/healthz'): Promise<RawResponse | null> {
  const connection = await RawConnection.open(port(server), localAddress);
  await connection.write(requestHead('GET', path, { Connection: 'close' })).catch(() => {});
  const response = await connection.response();
  connection.destroy();
  return response;
}

function port(server: TestServer): number {
  return Number(new URL(server.url).port);
}

/** Connections the server holds open right now (Node's own count). */
function openConnections(server: TestServer): Promise<number> {
  return new Promise((resolve, reject) => server.app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
}

/** A sample from /metrics, scraped from an address no test holds connections from. */
async function metric(server: TestServer, name: string, labels: Record<string, string>): Promise<number> {
  const response = await getFrom(server, '127.0.0.99', '/metrics');
  assert.equal(response?.status, 200);
  return metricValue(response.body, name, labels) ?? 0;
}

describe('requests that arrive too slowly', () => {
  const HEADERS_TIMEOUT_MS = 300;
  const REQUEST_TIMEOUT_MS = 800;
  let server: TestServer;
  const logs: { level: number; msg: string }[] = [];
  before(async () => {
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as { level: number; msg: string }) });
    server = await startTestServer({ headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS }, { logger });
  });
  after(async () => {
    await server.close();
  });

  it('a body that trickles in a byte at a time gets 408 request_timeout while it is still being sent', async () => {
    const body = JSON.stringify({ text: 'a'.repeat(200) });
    const started = Date.now();
    const connection = await RawConnection.open(port(server));
    await connection.write(requestHead('POST', '/v1/tts', { 'Content-Type': 'application/json', 'Content-Length': body.length }));
    // 200+ bytes at one per 50 ms would take over 10 s to arrive.
    const sent = await connection.trickle(body, 50);
    const error = expectRawError(await connection.response(), 408, 'request_timeout');
    await connection.closed;
    assert.ok(sent < body.length, `cut after ${sent} of ${body.length} body bytes, not after the body arrived`);
    assert.match(error.message, /request body did not arrive.*REQUEST_TIMEOUT_MS/);
    assert.ok(Date.now() - started >= REQUEST_TIMEOUT_MS, 'not before its timeout');
    assert.equal(await metric(server, 'cosyfleet_request_timeouts_total', { phase: 'body' }), 1);
  });

  it('headers that never finish get 408 and the connection is closed; so does a connection that sends nothing', async () => {
    const head = `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`;
    const slow = await RawConnection.open(port(server));
    const sent = await slow.trickle(head, 50);
    const error = expectRawError(await slow.response(), 408, 'request_timeout');
    await slow.closed;
    assert.ok(sent < head.length, `cut after ${sent} of ${head.length} header bytes`);
    assert.match(error.message, /headers did not arrive.*HEADERS_TIMEOUT_MS/);

    const silent = await RawConnection.open(port(server));
    expectRawError(await silent.response(), 408, 'request_timeout');
    await silent.closed;
    assert.equal(await metric(server, 'cosyfleet_request_timeouts_total', { phase: 'headers' }), 2);
  });

  it('stays healthy, and logged no server error for any of it', async () => {
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    const res = await fetch(`${server.url}/v1/tts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Still here.', format: 'wav' }) });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.deepEqual(logs.filter((l) => l.level >= 50), []);
  });
});

describe('connections per client address and in total', () => {
  const PER_ADDRESS = 3;
  const TOTAL = 6;
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ maxConnectionsPerAddress: PER_ADDRESS, maxConnections: TOTAL });
  });
  after(async () => {
    await server.close();
  });

  it(`one address holds at most ${PER_ADDRESS}; the next gets 429 too_many_connections while another address is served`, async () => {
    const held = await Promise.all(Array.from({ length: PER_ADDRESS }, () => RawConnection.open(port(server), '127.0.0.1')));
    try {
      // Accepted in the order they connected, so the held ones are counted first.
      const over = await getFrom(server, '127.0.0.1');
      const error = expectRawError(over, 429, 'too_many_connections');
      assert.equal(over?.headers['retry-after'], '1');
      assert.match(error.message, /MAX_CONNECTIONS_PER_ADDRESS = 3/);

      // A client the bound has not seen (another loopback address) is served...
      assert.equal((await getFrom(server, '127.0.0.2'))?.status, 200);
      // ...and so is a request on a connection the bounded address already holds.
      const first = held[0] as RawConnection;
      await first.write(requestHead('GET', '/healthz'));
      assert.equal((await first.response())?.status, 200);
      assert.equal(await metric(server, 'cosyfleet_connections_refused_total', { reason: 'per_address' }), 1);
    } finally {
      for (const c of held) c.destroy();
    }
    // Closed connections free their address's share.
    await waitFor(async () => (await getFrom(server, '127.0.0.1'))?.status === 200, '127.0.0.1 to be served again');
  });

  it(`past ${TOTAL} connections in total a new one is closed on accept, without an answer`, async () => {
    await waitFor(async () => (await openConnections(server)) === 0, 'earlier connections to close');
    const held = [
      ...(await Promise.all(Array.from({ length: PER_ADDRESS }, () => RawConnection.open(port(server), '127.0.0.3')))),
      ...(await Promise.all(Array.from({ length: TOTAL - PER_ADDRESS }, () => RawConnection.open(port(server), '127.0.0.4')))),
    ];
    try {
      await waitFor(async () => (await openConnections(server)) === TOTAL, `the server to hold ${TOTAL} connections`);
      const dropped = await RawConnection.open(port(server), '127.0.0.5');
      await dropped.write(requestHead('GET', '/healthz')).catch(() => {});
      assert.equal(await dropped.response(), null, 'closed without a response');
      await dropped.closed;
    } finally {
      for (const c of held) c.destroy();
    }
    await waitFor(async () => (await openConnections(server)) === 0, 'the held connections to close');
    assert.equal(await metric(server, 'cosyfleet_connections_refused_total', { reason: 'max_connections' }), 1);
  });

  it('keeps serving: /healthz and a synthesis through node:http', async () => {
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}/v1/tts`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ text: 'Served.', format: 'wav' }));
    });
    assert.equal(status, 200);
  });
});
