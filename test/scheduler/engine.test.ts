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
