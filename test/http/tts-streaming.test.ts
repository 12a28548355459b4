// Streaming and cancellation, shown by the order of events, not by wall-clock thresholds.
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';
import { ObservedEngine } from '../helpers/observed-engine.js';
import { EspeakEngine } from '../../src/engines/espeak/engine.js';

// Ten sentences of ~40 characters with a 60-character segment limit: exactly ten segments.
const TEN = Array.from({ length: 10 }, (_, i) => `Sentence ${i + 1} of the streaming test is here.`).join(' ');

async function waitFor(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('streaming and cancellation', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('sends the first audio before the last segment is synthesized', async () => {
    const engine = new ObservedEngine(new EspeakEngine({ workers: 1 }));
    engine.holdSegment = 9; // the last segment waits until the client has audio in hand
    server = await startTestServer({ maxSegmentChars: 60 }, { engine });
    const res = await postJson(`${server.url}/v1/tts`, { text: TEN, language: 'en', format: 'pcm', stream: true });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-segments'), '10');
    const reader = res.body!.getReader();
    // A server that buffered the response would never answer this read: segment 9 is held
    // until the client has audio, so the race times out instead.
    const first = await Promise.race([reader.read(), sleep(20_000, null, { ref: false })]);
    assert.ok(first && !first.done && first.value.length > 0, 'first chunk arrived while the last segment was held back');
    engine.events.push('client got first chunk');
    engine.release();
    let total = first.value.length;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
    }
    const order = engine.events;
    assert.ok(order.indexOf('client got first chunk') < order.indexOf('segment 9 start'), order.join(' | '));
    // Audio is streamed within a segment too, so the first bytes may leave before segment 0 ends.
    assert.ok(order.indexOf('segment 0 start') < order.indexOf('client got first chunk'), order.join(' | '));
    assert.equal(engine.segmentsFinished, 10);
    assert.ok(total / 2 / 22050 > 10, 'ten sentences of audio arrived');
  });

  it('a client that disconnects mid-stream stops the engine work', async () => {
    const espeak = new EspeakEngine({ workers: 1 });
    const engine = new ObservedEngine(espeak);
    engine.holdSegment = 2;
    server = await startTestServer({ maxSegmentChars: 60 }, { engine });
    const controller = new AbortController();
    const res = await postJson(`${server.url}/v1/tts`, { text: TEN, language: 'en', format: 'wav', stream: true }, { signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    await waitFor(() => engine.events.includes('segment 2 held'), 'segment 2 to be reached');
    controller.abort();
    await waitFor(() => engine.abortedSignals > 0, 'the engine signal to abort');
    engine.release();
    await sleep(300);
    assert.ok(engine.segmentsStarted <= 3, `started ${engine.segmentsStarted} of 10 segments`);
    assert.ok(engine.segmentsFinished < 3, `finished ${engine.segmentsFinished} segments`);
    await waitFor(() => espeak.pool.stats.busy === 0, 'the pool to go idle');
    assert.ok(espeak.pool.stats.jobsStarted < 10, `pool ran ${espeak.pool.stats.jobsStarted} jobs`);
    // The service keeps serving.
    const ok = await postJson(`${server.url}/v1/tts`, { text: 'Still here.', format: 'pcm' });
    assert.equal(ok.status, 200);
  });

  it('an engine failure mid-stream truncates the chunked response; before any audio it is a JSON error', async () => {
    const engine = new ObservedEngine(new EspeakEngine({ workers: 1 }));
    engine.failSegment = 3;
    server = await startTestServer({ maxSegmentChars: 60 }, { engine });
    const res = await postJson(`${server.url}/v1/tts`, { text: TEN, language: 'en', format: 'pcm', stream: true });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    let received = 0;
    const failure = await (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return null;
        received += value.length;
      }
    })().catch((err: unknown) => err);
    assert.ok(failure instanceof Error, 'the client sees an incomplete response, not a clean end');
    assert.ok(received > 0, 'audio of the segments before the failure arrived');
    assert.ok(engine.events.includes('segment 3 failed'));
    assert.equal(engine.segmentsStarted, 4, 'no segment after the failure was started');

    engine.failSegment = engine.segmentsStarted + 3; // segment indices count across requests
    const whole = await postJson(`${server.url}/v1/tts`, { text: TEN, language: 'en', format: 'pcm' });
    assert.equal(whole.status, 502);
    const body = (await whole.json()) as { error: { code: string } };
    assert.equal(body.error.code, 'engine_failed');
  });
});
