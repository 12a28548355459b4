// A client that opens a streamed response and then stops reading (issue 12): its TCP window
// fills, back-pressure suspends the render, and the job would stay admitted for as long as the
// client liked, counted ahead of every later request. With STREAM_STALL_TIMEOUT_MS the server
// cuts the response, cancels the job, counts and logs it; a request that may wait 1 ms
// (X-Deadline-Ms: 1), which a held job makes 429 `overloaded`, is then served at once. A real
// socket that sends its request and stops reading; the order of events, never durations.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import pino from 'pino';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';
import { metricValue, waitFor } from '../helpers/wait.js';

// Minutes of audio at 48 kHz: far more than the kernel's socket buffers on both sides hold.
const LONG_TEXT = Array.from({ length: 40 }, (_, i) => `Sentence ${i + 1} is spoken slowly, so that the audio is long.`).join(' ');

interface StalledClient {
  socket: Socket;
  /** What arrived before the client stopped reading, and after it read again. */
  received: () => Buffer;
  closed: Promise<void>;
}

/** Sends `body` to `path` on a fresh connection and stops reading once the status line is in. */
async function openAndStall(server: TestServer, path: string, body: unknown): Promise<StalledClient> {
  const socket = connect({ port: Number(new URL(server.url).port), host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => {});
  const chunks: Buffer[] = [];
  let headersIn: (() => void) | null = null;
  const headers = new Promise<void>((resolve) => (headersIn = resolve));
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    if (headersIn && Buffer.concat(chunks).includes('\r\n\r\n')) {
      // The client stops reading: the kernel's buffers fill, then the server's socket's.
      socket.pause();
      headersIn();
      headersIn = null;
    }
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const json = JSON.stringify(body);
  socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
  await headers;
  return { socket, received: () => Buffer.concat(chunks), closed };
}

async function scrape(server: TestServer): Promise<string> {
  const res = await fetch(`${server.url}/metrics`);
  assert.equal(res.status, 200);
  return res.text();
}

describe('a client that stops reading a streamed response', () => {
  let server: TestServer;
  const logs: Record<string, unknown>[] = [];
  before(async () => {
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
    // One engine slot: a held job is ahead of every other request.
    server = await startTestServer({ espeakWorkers: 1, streamStallTimeoutMs: 200 }, { logger });
  });
  after(() => server.close());

  const routes: { path: string; body: unknown }[] = [
    { path: '/v1/tts', body: { text: LONG_TEXT, stream: true, format: 'pcm', sample_rate: 48000, speed: 0.5 } },
    { path: '/v1/audio/speech', body: { model: 'tts-1', input: LONG_TEXT, voice: 'alloy', response_format: 'pcm', speed: 0.5 } },
  ];
  for (const [n, route] of routes.entries()) {
    it(`${route.path}: is cut and its job cancelled, so the next request is served at once`, async () => {
      const client = await openAndStall(server, route.path, route.body);
      assert.match(client.received().toString('latin1'), /^HTTP\/1\.1 200 /);

      await waitFor(async () => metricValue(await scrape(server), 'cosyfleet_jobs_active', { engine: 'espeak', state: 'admitted' }) === 0, 'the stalled job to end');
      const metrics = await scrape(server);
      assert.equal(metricValue(metrics, 'cosyfleet_streams_stalled_total', { route: route.path }), 1);
      // The stalled jobs were cancelled, never completed; each earlier test's last request completed.
      assert.equal(metricValue(metrics, 'cosyfleet_jobs_total', { engine: 'espeak', outcome: 'cancelled' }), n + 1);
      assert.equal(metricValue(metrics, 'cosyfleet_jobs_total', { engine: 'espeak', outcome: 'completed' }), n);
      const line = logs.find((l) => l.reason === 'client_stalled' && l.route === route.path);
      assert.ok(line, 'a log line with the reason');
      assert.equal(line.level, 40);
      assert.equal(line.stallTimeoutMs, 200);

      // The server closed the connection; what the client had not read ends without the last
      // chunk, so it cannot pass for a whole response.
      client.socket.resume();
      await client.closed;
      assert.ok(!client.received().subarray(-5).equals(Buffer.from('0\r\n\r\n')), 'the chunked body is truncated');

      // Nothing is held any more: a request that may not wait at all takes the idle slot.
      const next = await postJson(`${server.url}/v1/tts`, { text: 'Next, please.' }, { headers: { 'content-type': 'application/json', 'x-deadline-ms': '1' } });
      assert.equal(next.status, 200, await next.clone().text());
      assert.ok((await next.arrayBuffer()).byteLength > 44);
    });
  }
});
