// Conformance of the job store, registered once per database (SQLite, PostgreSQL) with two
// handles on one fresh database: what one node writes, the other reads the same way, and a
// transition one node makes is refused to the other when the status no longer allows it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobOutcome, JobRecord, JobStore } from '../jobs/job-store.js';
import { withHandles, type TwoHandles } from './two-handles.js';

/** 2026-12-04T10:00:<s>.000Z: instants that sort as they read. */
const at = (s: number): string => new Date(Date.UTC(2026, 11, 4, 10, 0, s)).toISOString();

const job = (id: string, over: Partial<JobRecord> = {}): JobRecord => ({
  id,
  tenant: 'acme',
  keyId: 'key_a',
  status: 'queued',
  plan: '{"voice":"mei","segments":["Hello.","World."]}',
  characters: 13,
  segmentsTotal: 2,
  segmentsDone: 0,
  audioSeconds: 0,
  attempts: 0,
  outputId: null,
  errorCode: null,
  errorMessage: null,
  webhookUrl: null,
  webhookSecret: null,
  webhookState: 'none',
  webhookAttempts: 0,
  createdAt: at(0),
  updatedAt: at(0),
  startedAt: null,
  finishedAt: null,
  ...over,
});

const hooked = { webhookUrl: 'https://hooks.example.com/jobs', webhookSecret: 'whsec_abc' } as const;
const succeeded = (webhookState: JobOutcome['webhookState'] = 'none'): JobOutcome => ({ status: 'succeeded', outputId: 'out_result', webhookState });

export function runJobStoreConformance(name: string, open: () => Promise<TwoHandles<JobStore>>): void {
  describe(`JobStore conformance: ${name}`, () => {
    it('create, get, find, list newest first with pages, scoped by tenant, across handles', withHandles(open, async ({ a, b }) => {
      await a.create(job('job_a', { createdAt: at(0), updatedAt: at(0), ...hooked }));
      await b.create(job('job_b', { createdAt: at(1), updatedAt: at(1) }));
      await a.create(job('job_c', { createdAt: at(1), updatedAt: at(1) }));
      await b.create(job('job_g', { tenant: 'globex', keyId: 'key_g' }));
      await assert.rejects(a.create(job('job_a')), 'an id is never reused');
      assert.deepEqual(await b.get('acme', 'job_a'), job('job_a', hooked));
      assert.equal(await b.get('globex', 'job_a'), null);
      assert.equal(await a.get('acme', 'job_none'), null);
      assert.deepEqual(await a.find('job_g'), job('job_g', { tenant: 'globex', keyId: 'key_g' }));
      assert.equal(await b.find('job_none'), null);
      const page1 = await b.list('acme', { limit: 2 });
      assert.deepEqual(page1.map((j) => j.id), ['job_c', 'job_b']);
      const page2 = await a.list('acme', { limit: 2, before: page1[1]! });
      assert.deepEqual(page2.map((j) => j.id), ['job_a']);
      assert.deepEqual(await b.list('acme', { limit: 2, before: page2[0]! }), []);
      assert.deepEqual((await a.list('globex', { limit: 10 })).map((j) => j.id), ['job_g']);
    }));

    it('start: queued or running (a resume) -> running, attempts counted, the first start kept; never a final job', withHandles(open, async ({ a, b }) => {
      await a.create(job('job_s'));
      const first = await b.start('job_s', at(1));
      assert.deepEqual(first, job('job_s', { status: 'running', attempts: 1, startedAt: at(1), updatedAt: at(1) }));
      const resumed = await a.start('job_s', at(2));
      assert.deepEqual(resumed, job('job_s', { status: 'running', attempts: 2, startedAt: at(1), updatedAt: at(2) }));
      assert.deepEqual(await b.find('job_s'), resumed);
      assert.equal(await b.start('job_none', at(3)), null);

      assert.equal(await b.finish('job_s', succeeded(), at(3)), true);
      assert.equal(await a.start('job_s', at(4)), null, 'a succeeded job is not started again');
      assert.equal((await b.find('job_s'))?.attempts, 2);
      await a.create(job('job_f'));
      assert.equal(await a.fail('job_f', 'engine_unavailable', 'no engine', 'none', at(1)), true);
      assert.equal(await b.start('job_f', at(2)), null, 'a failed job is not started');
      await b.create(job('job_x'));
      assert.equal((await a.cancel('acme', 'job_x', at(1)))?.status, 'cancelled');
      assert.equal(await b.start('job_x', at(2)), null, 'a cancelled job is not started');
      assert.equal((await a.find('job_x'))?.attempts, 0);
    }));

    it('progress and finish only while running; the outcome is stored whole', withHandles(open, async ({ a, b }) => {
      await a.create(job('job_p', hooked));
      assert.equal(await b.progress('job_p', 1, 1.5, at(1)), false, 'not running yet');
      await b.start('job_p', at(1));
      assert.equal(await a.progress('job_p', 1, 2.25, at(2)), true);
      assert.deepEqual(
        await b.find('job_p'),
        job('job_p', { ...hooked, status: 'running', attempts: 1, startedAt: at(1), segmentsDone: 1, audioSeconds: 2.25, updatedAt: at(2) }),
      );
      assert.equal(await b.progress('job_p', 2, 4.5, at(3)), true);
      assert.equal(await a.finish('job_p', succeeded('pending'), at(4)), true);
      const done = job('job_p', {
        ...hooked,
        status: 'succeeded',
        attempts: 1,
        segmentsDone: 2,
        audioSeconds: 4.5,
        outputId: 'out_result',
        webhookState: 'pending',
        startedAt: at(1),
        updatedAt: at(4),
        finishedAt: at(4),
      });
      assert.deepEqual(await b.get('acme', 'job_p'), done);
      assert.equal(await b.progress('job_p', 2, 9, at(5)), false);
      assert.equal(await b.finish('job_p', { status: 'failed', errorCode: 'x', errorMessage: 'y', webhookState: 'none' }, at(5)), false);
      assert.equal(await a.fail('job_p', 'x', 'y', 'none', at(5)), false);
      assert.deepEqual(await a.cancel('acme', 'job_p', at(5)), done, 'a cancel after the finish returns the job unchanged');
      assert.deepEqual(await b.find('job_p'), done);

      await b.create(job('job_e'));
      await a.start('job_e', at(1));
      assert.equal(await b.finish('job_e', { status: 'failed', errorCode: 'engine_error', errorMessage: 'the engine gave up', webhookState: 'none' }, at(2)), true);
      assert.deepEqual(
        await a.find('job_e'),
        job('job_e', { status: 'failed', attempts: 1, errorCode: 'engine_error', errorMessage: 'the engine gave up', startedAt: at(1), updatedAt: at(2), finishedAt: at(2) }),
      );

      await a.create(job('job_c'));
      await a.start('job_c', at(1));
      await b.cancel('acme', 'job_c', at(2));
      assert.equal(await a.progress('job_c', 1, 1, at(3)), false, 'cancelled meanwhile');
      assert.equal(await a.finish('job_c', succeeded(), at(3)), false, 'cancelled meanwhile');
      assert.equal((await b.find('job_c'))?.status, 'cancelled');
    }));

    it('fail: from queued or running only', withHandles(open, async ({ a, b }) => {
      await a.create(job('job_q'));
      assert.equal(await b.fail('job_q', 'job_expired', 'waited too long', 'none', at(1)), true);
      assert.deepEqual(
        await a.find('job_q'),
        job('job_q', { status: 'failed', errorCode: 'job_expired', errorMessage: 'waited too long', updatedAt: at(1), finishedAt: at(1) }),
      );
      await b.create(job('job_r', hooked));
      await a.start('job_r', at(1));
      assert.equal(await b.fail('job_r', 'engine_error', 'gave up after retries', 'pending', at(2)), true);
      const failed = await a.find('job_r');
      assert.equal(failed?.status, 'failed');
      assert.equal(failed?.webhookState, 'pending');
      assert.equal(failed?.finishedAt, at(2));
      assert.equal(failed?.updatedAt, at(2));
      assert.equal(await a.fail('job_r', 'other', 'again', 'none', at(3)), false);
      assert.deepEqual(await b.find('job_r'), failed);
      assert.equal(await a.fail('job_none', 'x', 'y', 'none', at(3)), false);
      await a.create(job('job_x'));
      await b.cancel('acme', 'job_x', at(1));
      assert.equal(await a.fail('job_x', 'x', 'y', 'none', at(2)), false);
      assert.equal((await b.find('job_x'))?.status, 'cancelled');
    }));

    it('cancel: queued or running, webhook pending only with a URL, another tenant sees nothing', withHandles(open, async ({ a, b }) => {
      await a.create(job('job_q'));
      const q = await b.cancel('acme', 'job_q', at(1));
      assert.deepEqual(q, job('job_q', { status: 'cancelled', updatedAt: at(1), finishedAt: at(1) }));
      assert.deepEqual(await a.find('job_q'), q);
      assert.deepEqual(await a.cancel('acme', 'job_q', at(2)), q, 'already cancelled: unchanged');

      await b.create(job('job_r', hooked));
      await a.start('job_r', at(1));
      const r = await b.cancel('acme', 'job_r', at(2));
      assert.equal(r?.status, 'cancelled');
      assert.equal(r?.webhookState, 'pending');
      assert.equal(r?.finishedAt, at(2));
      assert.equal(r?.updatedAt, at(2));
      assert.deepEqual(await a.get('acme', 'job_r'), r);

      await a.create(job('job_o'));
      assert.equal(await b.cancel('globex', 'job_o', at(1)), null);
      assert.equal((await a.find('job_o'))?.status, 'queued');
      assert.equal(await b.cancel('acme', 'job_none', at(1)), null);
    }));

    it('setWebhook, pendingWebhooks and unfinished: oldest first, up to the limit', withHandles(open, async ({ a, b }) => {
      await a.create(job('job_u1', { createdAt: at(2) }));
      await b.create(job('job_u2', { createdAt: at(1) }));
      await a.create(job('job_u3', { createdAt: at(3), tenant: 'globex' }));
      await b.create(job('job_u4', { createdAt: at(3) }));
      await b.start('job_u2', at(4));
      await a.create(job('job_done', { createdAt: at(0) }));
      await a.start('job_done', at(1));
      await b.finish('job_done', succeeded(), at(2));
      assert.deepEqual((await b.unfinished(10)).map((j) => j.id), ['job_u2', 'job_u1', 'job_u3', 'job_u4']);
      assert.deepEqual((await a.unfinished(2)).map((j) => j.id), ['job_u2', 'job_u1']);

      await a.create(job('job_w1', { createdAt: at(5), ...hooked }));
      await a.cancel('acme', 'job_w1', at(6));
      await b.create(job('job_w2', { createdAt: at(4), tenant: 'globex', ...hooked }));
      await b.start('job_w2', at(5));
      await a.finish('job_w2', succeeded('pending'), at(7));
      await b.create(job('job_w3', { createdAt: at(3) }));
      await b.cancel('acme', 'job_w3', at(4));
      assert.deepEqual((await a.pendingWebhooks(10)).map((j) => j.id), ['job_w2', 'job_w1']);
      assert.deepEqual((await b.pendingWebhooks(1)).map((j) => j.id), ['job_w2']);

      await a.setWebhook('job_w1', 'pending', 1, at(8));
      const retrying = await b.find('job_w1');
      assert.deepEqual([retrying?.webhookState, retrying?.webhookAttempts, retrying?.updatedAt], ['pending', 1, at(8)]);
      await b.setWebhook('job_w2', 'delivered', 1, at(9));
      const delivered = await a.find('job_w2');
      assert.deepEqual([delivered?.status, delivered?.webhookState, delivered?.webhookAttempts, delivered?.updatedAt], ['succeeded', 'delivered', 1, at(9)]);
      assert.deepEqual((await a.pendingWebhooks(10)).map((j) => j.id), ['job_w1']);
      await a.setWebhook('job_w1', 'failed', 5, at(10));
      assert.deepEqual(await b.pendingWebhooks(10), []);
      assert.equal((await b.find('job_w1'))?.webhookAttempts, 5);
    }));

    it('purge: final jobs finished before the instant, never one whose webhook is pending', withHandles(open, async ({ a, b }) => {
      const finished = async (id: string, how: 'succeeded' | 'failed' | 'cancelled', when: number, over: Partial<JobRecord> = {}) => {
        await a.create(job(id, over));
        if (how === 'cancelled') {
          await b.cancel('acme', id, at(when));
          return;
        }
        await b.start(id, at(when));
        if (how === 'succeeded') assert.equal(await a.finish(id, succeeded(over.webhookUrl ? 'pending' : 'none'), at(when)), true);
        else assert.equal(await a.fail(id, 'engine_error', 'no', 'none', at(when)), true);
      };
      await finished('job_p1', 'succeeded', 1);
      await finished('job_p2', 'failed', 2);
      await finished('job_p3', 'cancelled', 3, hooked);
      await finished('job_p4', 'cancelled', 4);
      await finished('job_late', 'succeeded', 8);
      await a.create(job('job_queued', { createdAt: at(0) }));
      await a.create(job('job_running', { createdAt: at(0) }));
      await b.start('job_running', at(0));

      assert.deepEqual(await b.purge(at(5), 1), ['job_p1'], 'the oldest finish first, up to the limit');
      assert.deepEqual((await a.purge(at(5), 10)).sort(), ['job_p2', 'job_p4']);
      assert.equal(await b.find('job_p1'), null);
      assert.equal(await b.find('job_p4'), null);
      assert.deepEqual((await b.list('acme', { limit: 10 })).map((j) => j.id).sort(), ['job_late', 'job_p3', 'job_queued', 'job_running']);

      await b.setWebhook('job_p3', 'delivered', 1, at(6));
      assert.deepEqual(await a.purge(at(8), 10), ['job_p3'], 'finished at 8 is not before 8');
      assert.deepEqual(await b.purge(at(59), 10), ['job_late']);
      assert.deepEqual(await a.purge(at(59), 10), []);
      assert.deepEqual((await a.unfinished(10)).map((j) => j.id).sort(), ['job_queued', 'job_running']);
    }));

    it('a finish on one node and a cancel on another at once: exactly one wins', withHandles(open, async ({ a, b }) => {
      const ids = Array.from({ length: 12 }, (_, i) => `job_race${String(i).padStart(2, '0')}`);
      for (const id of ids) {
        await a.create(job(id, hooked));
        await b.start(id, at(1));
      }
      const results = await Promise.all(
        ids.map(async (id, i) => {
          // Half the pairs issue the cancel first, so neither side always has a head start.
          let finishing: Promise<boolean>;
          let cancelling: Promise<JobRecord | null>;
          if (i % 2 === 0) {
            finishing = a.finish(id, succeeded('pending'), at(2));
            cancelling = b.cancel('acme', id, at(3));
          } else {
            cancelling = b.cancel('acme', id, at(3));
            finishing = a.finish(id, succeeded('pending'), at(2));
          }
          const [finishWon, cancelled] = await Promise.all([finishing, cancelling]);
          return { id, finishWon, cancelled };
        }),
      );
      for (const { id, finishWon, cancelled } of results) {
        const cancelWon = cancelled?.status === 'cancelled';
        assert.notEqual(finishWon, cancelWon, `${id}: exactly one of finish and cancel wins`);
        const record = await a.find(id);
        assert.equal(record?.status, finishWon ? 'succeeded' : 'cancelled', id);
        assert.deepEqual(await b.find(id), cancelled, `${id}: the cancel returned the record as stored`);
        assert.equal(record?.finishedAt, finishWon ? at(2) : at(3), id);
        assert.equal(record?.outputId, finishWon ? 'out_result' : null, id);
        assert.equal(record?.webhookState, 'pending', id);
      }
    }));
  });
}
