// Long text pipelined across the engine (issue 13): a request's segments are synthesized ahead of
// playback up to SEGMENT_LOOKAHEAD and played strictly in order; a slow reader stops the work
// ahead at that bound; look-ahead takes only slots nobody else is waiting for (a short request
// starts before the long one's look-ahead, taking a look-ahead slot back at once); a client
// that leaves aborts everything in flight. Real espeak behind the real scheduler; a PacedEngine
// decides when each engine call does its work. Every assertion is about order and counts.
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { EspeakEngine } from '../../src/engines/espeak/engine.js';
import { ScheduledEngine } from '../../src/scheduler/scheduled-engine.js';
import { float32ToInt16 } from '../../src/audio/pcm.js';
import { planSynthesis, renderAudio, type PipelineConfig, type SynthesisPlan, type TextPlan } from '../../src/services/synthesis.js';
import { PacedEngine } from '../helpers/paced-engine.js';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { Rng } from '../../src/planner/rng.js';

const OPTIONS = { queueMax: 64, deadlineMs: 30_000, crashRetries: 1, batchDelayMs: 0 };

/** `n` sentences of about 40 characters; with a 60-character segment limit, one segment each. */
const sentences = (n: number, word = 'Part') => Array.from({ length: n }, (_, i) => `${word} ${i + 1} of the pipelined text is here.`).join(' ');

interface Rig {
  paced: PacedEngine;
  engine: ScheduledEngine;
  plan(text: string, options?: { stream?: boolean; deadlineMs?: number }): Promise<SynthesisPlan>;
  close(): Promise<void>;
}

async function rig(slots: number, lookahead: number): Promise<Rig> {
  const paced = new PacedEngine(new EspeakEngine({ workers: slots }));
  const engine = new ScheduledEngine(paced, OPTIONS);
  await engine.start();
  const config: PipelineConfig = { maxTextChars: 10_000, maxSegmentChars: 60, segmentGapMs: 120, segmentLookahead: lookahead };
  let n = 0;
  return {
    paced,
    engine,
    plan: (text, options = {}) =>
      planSynthesis(
        engine,
        config,
        { text, language: 'en', format: 'pcm', stream: options.stream ?? true },
        `r${++n}`,
        {
          admit: (p: TextPlan, admission) =>
            engine.admit({ requestId: p.requestId, stream: p.stream, segments: p.segments.map((s, i) => ({ text: s, language: p.language, speed: p.speeds?.[i] ?? p.speed })) }, admission),
        },
        { deadlineMs: options.deadlineMs },
      ),
    close: async () => {
      paced.release();
      await engine.close();
    },
  };
}

async function readAll(plan: SynthesisPlan, signal = new AbortController().signal): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of renderAudio(plan, signal)) parts.push(b);
  return Buffer.concat(parts);
}

/**
 * Where each segment's audio sits in the output (s16le): a window from the middle of the audio
 * its engine call made, which the joins (trims, fades, crossfades at the ends) never touch.
 */
function positions(output: Buffer, segments: readonly string[], audio: ReadonlyMap<string, Float32Array>): number[] {
  const out = new Int16Array(output.buffer, output.byteOffset, output.length / 2);
  return segments.map((text) => {
    const samples = audio.get(text);
    assert.ok(samples, `no finished engine call for ${text}`);
    const mid = Math.floor(samples.length / 2);
    const probe = float32ToInt16(samples.subarray(mid, mid + 256));
    const found: number[] = [];
    for (let i = 0; i + probe.length <= out.length; i++) {
      let k = 0;
      while (k < probe.length && out[i + k] === probe[k]) k++;
      if (k === probe.length) found.push(i);
    }
    assert.equal(found.length, 1, `${text}: found ${found.length} times in the output`);
    return found[0] as number;
  });
}

function assertIncreasing(xs: readonly number[], what: string): void {
  for (let i = 1; i < xs.length; i++) assert.ok((xs[i] as number) > (xs[i - 1] as number), `${what}: ${xs.join(', ')}`);
}

describe('long text pipelined across the engine', () => {
  let current: Rig | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });

  it('plays the segments strictly in order whatever order the engine finishes them in (random per-segment delays)', async () => {
    const r = (current = await rig(4, 4));
    for (const seed of [1, 2, 3]) {
      const rng = new Rng(seed);
      const random = () => rng.next();
      r.paced.delay = () => Math.floor(random() * 40);
      r.paced.peak = 0;
      const plan = await r.plan(sentences(12, `Seed ${seed} part`));
      assert.equal(plan.segments.length, 12);
      const output = await readAll(plan);
      assertIncreasing(positions(output, plan.segments, r.paced.audio), `seed ${seed}`);
      assert.ok(r.paced.peak > 1, `segments ran side by side (peak ${r.paced.peak})`);
      assert.ok(r.paced.peak <= 4, `never more than the look-ahead at once (peak ${r.paced.peak})`);
    }
    // Finishing out of order at least once is what makes the order check mean something.
    const ends = r.paced.events.filter((e) => e.startsWith('end ')).map((e) => e.slice(4));
    const starts = r.paced.starts();
    assert.notDeepEqual(ends, starts, 'some segment finished before one that started earlier');
    await waitFor(() => r.engine.scheduler.stats().running === 0, 'the last engine call to be counted out');
    const stats = r.engine.scheduler.stats();
    assert.equal(stats.outcomes.completed, 3);
    assert.equal(stats.lookahead.queued + stats.queued.interactive, 0);
  });

  it('a slow reader stops the work ahead at the bound, and the rest follows as it reads', async () => {
    const r = (current = await rig(4, 3));
    const plan = await r.plan(sentences(10));
    const audio = renderAudio(plan, new AbortController().signal);
    const first = await audio.next();
    assert.ok(!first.done && first.value.length > 0);
    // Nothing more is read: the segments ahead finish, then nothing else starts.
    await waitFor(() => r.paced.finished >= 3 && r.engine.scheduler.stats().running === 0, 'the look-ahead to finish');
    assert.equal(r.engine.scheduler.stats().lookahead.queued, 0);
    await sleep(200); // a chance for anything past the bound to start (it must not)
    assert.equal(r.paced.started, 3, r.paced.events.join(' | '));
    const job = r.engine.scheduler.activeJobs()[0];
    assert.equal(job?.segmentsDone, 3);

    const parts = [first.value];
    for (let next = await audio.next(); !next.done; next = await audio.next()) parts.push(next.value);
    assert.equal(r.paced.started, 10);
    assertIncreasing(positions(Buffer.concat(parts), plan.segments, r.paced.audio), 'after the reader resumed');
  });

  it('a short request starts before a long one\'s look-ahead: look-ahead gives its slot back at once', async () => {
    const r = (current = await rig(2, 4));
    const long = await r.plan(sentences(8, 'Long'));
    // The long request's first two segments take both slots and stay there (a slow GPU).
    r.paced.holdText = /^Long/;
    const longDone = readAll(long);
    await waitFor(() => r.paced.events.filter((e) => e.startsWith('held ')).length === 2, 'both slots to hold the long request');
    assert.deepEqual(r.paced.starts(), ['Long 1 of the pipelined text is here.', 'Long 2 of the pipelined text is here.']);
    const stats = r.engine.scheduler.stats();
    assert.equal(stats.lookahead.running, 1, 'segment 2 runs ahead of playback');
    assert.equal(stats.lookahead.queued, 2, 'segments 3 and 4 wait: the bound is 4');
    // A slot running look-ahead counts as free: admitted at once, even with a 1 ms deadline.
    assert.equal(r.engine.scheduler.estimateWaitMs('interactive'), 0);
    const short = await r.plan('Short request.', { deadlineMs: 1 });
    const shortAudio = await readAll(short);
    assert.ok(shortAudio.length > 0);
    // It ran while the long request still held both its calls: it took the look-ahead's slot.
    const order = r.paced.events;
    const shortStart = order.indexOf('start Short request.');
    assert.ok(order.indexOf('abort Long 2 of the pipelined text is here.') < shortStart, order.join(' | '));
    assert.equal(r.paced.finished, 1, 'only the short request has finished');
    assert.equal(r.engine.scheduler.stats().preemptions, 1);
    for (const n of [3, 4]) assert.ok(order.indexOf(`start Long ${n} of the pipelined text is here.`) === -1 || order.indexOf(`start Long ${n} of the pipelined text is here.`) > shortStart);

    r.paced.release();
    const output = await longDone;
    assertIncreasing(positions(output, long.segments, r.paced.audio), 'the long request after giving way');
    const starts = r.paced.starts();
    assert.equal(starts.filter((s) => s === 'Long 2 of the pipelined text is here.').length, 2, 'the stopped segment ran again');
    const done = r.engine.scheduler.stats();
    assert.equal(done.outcomes.completed, 2);
    assert.equal(done.rejected.overloaded + done.rejected.queue_full, 0);
    assert.equal(done.retries, 0, 'giving a slot back is not a retry');
  });

  it('with one slot, a short request waiting goes before the long one\'s next segments', async () => {
    const r = (current = await rig(1, 4));
    const long = await r.plan(sentences(6, 'Long'));
    r.paced.holdText = /^Long 1 /;
    const longDone = readAll(long);
    await waitFor(() => r.paced.events.includes('held Long 1 of the pipelined text is here.'), 'the long request to hold the slot');
    assert.equal(r.engine.scheduler.stats().lookahead.queued, 3);
    const shortDone = r.plan('Short request.').then(readAll);
    await waitFor(() => r.engine.scheduler.stats().queued.interactive === 1, 'the short request to wait');
    r.paced.release();
    await Promise.all([longDone, shortDone]);
    const starts = r.paced.starts();
    // Segment 2 became due only when segment 1 finished, after the short request had come: it
    // queues behind it, as do the look-ahead segments.
    assert.deepEqual(starts.slice(0, 3), ['Long 1 of the pipelined text is here.', 'Short request.', 'Long 2 of the pipelined text is here.']);
    assert.equal(r.engine.scheduler.stats().preemptions, 0, 'nothing to preempt: the due segment held the slot');
  });

  it('a look-ahead segment whose worker died is retried, and the audio stays whole and in order', async () => {
    const r = (current = await rig(2, 4));
    r.paced.crashOnce = /^Part 3 /;
    // Segment 1 holds playback, so segment 3 is surely look-ahead when it fails.
    r.paced.holdText = /^Part 1 /;
    const plan = await r.plan(sentences(6));
    const done = readAll(plan);
    await waitFor(() => r.paced.events.includes('crash Part 3 of the pipelined text is here.'), 'segment 3 to fail');
    assert.ok(!r.paced.events.includes('end Part 1 of the pipelined text is here.'));
    r.paced.release();
    const output = await done;
    assertIncreasing(positions(output, plan.segments, r.paced.audio), 'with a retried segment');
    const stats = r.engine.scheduler.stats();
    assert.equal(stats.retries, 1);
    assert.equal(stats.outcomes.completed, 1);
  });

  it('a renderer that stops reading aborts every segment in flight and leaves the scheduler empty', async () => {
    const r = (current = await rig(4, 4));
    r.paced.holdText = /^Part/;
    const plan = await r.plan(sentences(10));
    const controller = new AbortController();
    const done = readAll(plan, controller.signal).catch((err: unknown) => err);
    await waitFor(() => r.paced.events.filter((e) => e.startsWith('held ')).length === 4, 'four segments in flight');
    controller.abort();
    assert.equal(((await done) as { code?: string }).code, 'cancelled');
    await waitFor(() => r.paced.running === 0 && r.engine.scheduler.stats().running === 0, 'every engine call to end');
    assert.equal(r.paced.aborted, 4, r.paced.events.join(' | '));
    assert.equal(r.paced.started, 4);
    const stats = r.engine.scheduler.stats();
    assert.deepEqual([stats.running, stats.queued.interactive, stats.queued.batch, stats.lookahead.queued, stats.lookahead.running, stats.activeJobs], [0, 0, 0, 0, 0, 0]);
    assert.equal(stats.outcomes.cancelled, 1);
  });
});

describe('pipelining over HTTP', () => {
  let server: TestServer | undefined;
  let paced: PacedEngine | undefined;
  afterEach(async () => {
    paced?.release();
    await server?.close();
    server = undefined;
  });

  it('a client that leaves mid-stream aborts the segments synthesized ahead; the engine and the queue are left empty', async () => {
    const espeak = new EspeakEngine({ workers: 4 });
    paced = new PacedEngine(espeak);
    server = await startTestServer({ maxSegmentChars: 60, segmentLookahead: 4 }, { engine: paced });
    // Segment 1 plays; 2-4 are held ahead of playback.
    paced.holdText = /^Part ([2-9]|10) /;
    const client = new AbortController();
    const res = await postJson(`${server.url}/v1/tts`, { text: sentences(10), language: 'en', format: 'pcm', stream: true }, { signal: client.signal });
    assert.equal(res.status, 200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    assert.ok(((await reader.read()).value?.length ?? 0) > 0);
    await waitFor(() => paced!.events.filter((e) => e.startsWith('held ')).length >= 3, 'segments held ahead');
    client.abort();
    const scheduler = server.app.engine.scheduler;
    await waitFor(() => scheduler.stats().activeJobs === 0 && paced!.running === 0, 'the job to end and every call to stop');
    // Every call that had not finished was aborted: nothing ahead was left running.
    assert.ok(paced.started >= 4);
    assert.equal(paced.aborted, paced.started - paced.finished, paced.events.join(' | '));
    const stats = scheduler.stats();
    assert.deepEqual([stats.running, stats.queued.interactive, stats.lookahead.queued, stats.lookahead.running], [0, 0, 0, 0]);
    assert.equal(stats.outcomes.cancelled, 1);
    await waitFor(() => espeak.pool.stats.busy === 0, 'the espeak threads to be free');
  });
});
