import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { EspeakPool } from './pool.js';

const LONG = 'This sentence is long on purpose, with clause after clause after clause, so that espeak needs a noticeable time to synthesize it. '.repeat(3);

describe('espeak pool', () => {
  const pool = new EspeakPool(2);
  after(() => pool.close());

  it('streams chunks and reports completion', async () => {
    await pool.start();
    let chunks = 0;
    let samples = 0;
    const r = await pool.run({ text: 'Hello there.', voice: 'en-us', rate: 175, onChunk: (s) => ((chunks += 1), (samples += s.length)) });
    assert.equal(r.aborted, false);
    assert.ok(chunks > 1 && samples > 10_000, `${chunks} chunks, ${samples} samples`);
  });

  it('an abort mid-job makes espeak stop inside the segment', async () => {
    let full = 0;
    await pool.run({ text: LONG, voice: 'en-us', rate: 175, onChunk: (s) => (full += s.length) });
    const controller = new AbortController();
    let partial = 0;
    const before = pool.stats.jobsAborted;
    const r = await pool.run(
      {
        text: LONG,
        voice: 'en-us',
        rate: 175,
        onChunk: (s) => {
          partial += s.length;
          controller.abort();
        },
      },
      controller.signal,
    );
    assert.equal(r.aborted, true);
    assert.equal(pool.stats.jobsAborted, before + 1);
    assert.ok(partial < full / 2, `${partial} of ${full} samples before the abort took effect`);
  });

  it('a queued job that is aborted never starts', async () => {
    const controller = new AbortController();
    const busy = [1, 2].map(() => pool.run({ text: LONG, voice: 'en-us', rate: 175, onChunk: () => {} }));
    const startedBefore = pool.stats.jobsStarted;
    const queued = pool.run({ text: 'never', voice: 'en-us', rate: 175, onChunk: () => assert.fail('must not run') }, controller.signal);
    controller.abort();
    assert.deepEqual(await queued, { aborted: true, ms: 0 });
    await Promise.all(busy);
    assert.equal(pool.stats.jobsStarted, startedBefore);
  });

  it('a worker that dies fails its job and is replaced', async () => {
    const job = pool.run({ text: LONG, voice: 'en-us', rate: 175, onChunk: () => {} });
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(pool.killOneWorker());
    await assert.rejects(job, /exited/);
    const r = await pool.run({ text: 'Back again.', voice: 'en-us', rate: 175, onChunk: () => {} });
    assert.equal(r.aborted, false);
    assert.ok(pool.stats.workerRestarts >= 1);
  });

  it('rejects a voice espeak does not have', async () => {
    await assert.rejects(pool.run({ text: 'x', voice: 'xx-nope', rate: 175, onChunk: () => {} }), /rejected voice/);
  });
});
