// The scheduled engine as an engine: it passes the conformance suite around real espeak, and it
// shares the engine fairly between owners (API keys, later) — shown by the order of engine calls.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runEngineConformance } from '../../src/engines/conformance.js';
import { EspeakEngine } from '../../src/engines/espeak/engine.js';
import { ScheduledEngine } from '../../src/scheduler/scheduled-engine.js';
import { GateEngine } from '../helpers/gate-engine.js';
import { waitFor } from '../helpers/wait.js';

const OPTIONS = { queueMax: 64, deadlineMs: 30_000, crashRetries: 1, batchDelayMs: 0 };

runEngineConformance('espeak behind the scheduler', async () => new ScheduledEngine(new EspeakEngine({ workers: 2 }), OPTIONS), { deterministic: true });

describe('fair sharing between owners', () => {
  it('serves a second owner in turn instead of after the first owner\'s backlog', async () => {
    const gate = new GateEngine(new EspeakEngine({ workers: 1 }));
    const engine = new ScheduledEngine(gate, OPTIONS);
    await engine.start();
    try {
      gate.hold = /^Blocker/;
      const run = async (owner: string, text: string) => {
        const job = engine.admit({ stream: false, segments: [{ text, language: 'en', speed: 1 }] }, { owner });
        try {
          for await (const _chunk of job.engine.synthesize({ text, mode: 'preset', voice: 'mei', language: 'en', speed: 1 })) void _chunk;
          job.settle(null);
        } catch (err) {
          job.settle(err);
          throw err;
        }
      };
      const jobs = [run('alice', 'Blocker.')];
      await waitFor(() => gate.held === 1, 'the blocker to hold the slot');
      for (let i = 1; i <= 4; i++) jobs.push(run('alice', `Alice ${i}.`));
      for (let i = 1; i <= 2; i++) jobs.push(run('bob', `Bob ${i}.`));
      await waitFor(() => engine.scheduler.stats().waitingJobs === 6, 'six jobs to wait');
      gate.open();
      await Promise.all(jobs);
      const starts = gate.events.filter((e) => e.startsWith('start ')).map((e) => e.slice(6));
      assert.ok(starts.indexOf('Bob 2.') < starts.indexOf('Alice 3.'), starts.join(' | '));
      assert.ok(starts.indexOf('Bob 1.') < starts.indexOf('Alice 2.'), starts.join(' | '));
      assert.deepEqual(starts.filter((s) => s.startsWith('Alice')), ['Alice 1.', 'Alice 2.', 'Alice 3.', 'Alice 4.'], 'each owner in its own order');
    } finally {
      gate.open();
      await engine.close();
    }
  });
});

describe('a job admitted but not yet submitted', () => {
  it("is not swept at its own deadline (its request's work before its first segment is not queue time), only once abandoned past the longest deadline", async () => {
    // Sweeps every 5 ms. The first job asks for a 1-ms deadline and submits its segment 40 ms
    // after admission (a request slow to plan): the sweep that ran in between used to settle it
    // as deadline_exceeded, and its segment then failed with "The job has already ended".
    const engine = new ScheduledEngine(new EspeakEngine({ workers: 1 }), { ...OPTIONS, deadlineMs: 300, sweepMs: 5 });
    await engine.start();
    try {
      const spec = { stream: false, segments: [{ text: 'Late but fine.', language: 'en', speed: 1 }] };
      const late = engine.admit(spec, { deadlineMs: 1 });
      await new Promise((r) => setTimeout(r, 40));
      let samples = 0;
      for await (const chunk of late.engine.synthesize({ text: 'Late but fine.', mode: 'preset', voice: 'mei', language: 'en', speed: 1 })) samples += chunk.samples.length;
      late.settle(null);
      assert.ok(samples > 0);
      // One that never submits (its request failed without settling it) is let go once even the
      // longest deadline (300 ms here) has passed since its admission: it stops counting.
      const abandoned = engine.admit(spec, { deadlineMs: 1 });
      assert.equal(engine.scheduler.stats().activeJobs, 1);
      await waitFor(() => engine.scheduler.stats().activeJobs === 0, 'the abandoned job to be swept');
      await assert.rejects(async () => {
        for await (const _chunk of abandoned.engine.synthesize({ text: 'Too late.', mode: 'preset', voice: 'mei', language: 'en', speed: 1 })) void _chunk;
      }, /already ended/);
    } finally {
      await engine.close();
    }
  });
});
