// Fastify serializes answers through their response schema and drops what the schema does not
// name: a worker and scheduler stats with every field set (and every nullable one both ways)
// must come back whole. A field added to WorkerInfo or SchedulerStats fails to compile here until
// it is filled in, and then fails the round trip until the schema has it.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { schedulerStatsSchema, workersSchema } from './admin-schemas.js';
import type { WorkerInfo } from '../workers/supervisor.js';
import type { SchedulerStats } from '../scheduler/scheduler.js';

const gpuWorker: WorkerInfo = {
  id: 'w0-3',
  slot: 0,
  pid: 4242,
  state: 'ready',
  startedAt: '2026-12-04T10:00:00.000Z',
  uptimeSeconds: 12.5,
  ready: true,
  jobsDone: 120,
  jobsFailed: 2,
  failures: { bad_audio: 1, out_of_memory: 1 },
  active: 1,
  concurrency: 2,
  sessions: 0,
  memory: { rssBytes: 2_000_000_000, gpuBytes: 9_000_000_000, gpuLastJob: { allocatedBytes: 1, reservedBytes: 2, peakBytes: 3 } },
  rtf: { current: 0.31, baseline: 0.28 },
  device: { cudaVisibleDevices: '0', fp16: true },
  retiring: 'recycle_rss',
  warnings: [{ code: 'fp16_unsafe', message: 'NaN with fp16', at: '2026-12-04T10:01:00.000Z' }],
  restarts: [{ at: '2026-12-04T09:59:00.000Z', reason: 'admin', worker: 'w0-2' }],
};
const cpuWorker: WorkerInfo = {
  ...gpuWorker,
  id: 'w1-1',
  pid: null,
  sessions: null,
  memory: { rssBytes: null, gpuBytes: null, gpuLastJob: null },
  rtf: { current: null, baseline: null },
  device: { cudaVisibleDevices: null, fp16: false },
  retiring: null,
  failures: {},
  warnings: [],
  restarts: [],
};
const stats: SchedulerStats = {
  slots: 4,
  running: 2,
  queued: { interactive: 3, batch: 1 },
  waitingJobs: 2,
  activeJobs: 5,
  outcomes: { completed: 10, failed: 1, cancelled: 2, expired: 3, truncated: 4 },
  rejected: { queue_full: 5, overloaded: 6 },
  retries: 7,
  batches: 8,
  lookahead: { queued: 1, running: 1 },
  preemptions: 9,
  estimator: { secondsPerChar: { spaced: 0.06, dense: 0.2 }, rtf: 0.3, overheadMs: 12.5, samples: 40 },
};

it('workers and scheduler stats come through their response schemas whole', async () => {
  const app = Fastify();
  const body = { workers: [gpuWorker, cpuWorker, { ...cpuWorker, id: 'w2-1', device: null }], scheduler: stats };
  app.get('/', { schema: { response: { 200: { type: 'object', properties: { workers: workersSchema, scheduler: schedulerStatsSchema } } } } }, async () => body);
  try {
    const res = await app.inject({ method: 'GET', url: '/' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), body);
  } finally {
    await app.close();
  }
});
