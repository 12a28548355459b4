// Response schemas of the admin API's worker and fleet routes: they document the answers in the
// OpenAPI document (the studio's Fleet page is typed from it) and let Fastify serialize them.
// They follow WorkerInfo (src/workers/supervisor.ts) and SchedulerStats (src/scheduler/scheduler.ts);
// a field missing here would be dropped from the answer (admin-schemas.test.ts sends full ones through).
import { JOB_OUTCOMES, PRIORITIES, REJECTIONS } from '../scheduler/job.js';

const counts = (keys: readonly string[]) => ({
  type: 'object',
  required: [...keys],
  properties: Object.fromEntries(keys.map((k) => [k, { type: 'integer' }])),
}) as const;

const nullableNumber = { type: ['number', 'null'] } as const;

export const workerSchema = {
  type: 'object',
  required: ['id', 'slot', 'pid', 'state', 'startedAt', 'uptimeSeconds', 'ready', 'jobsDone', 'jobsFailed', 'failures', 'active', 'concurrency', 'sessions', 'memory', 'rtf', 'device', 'retiring', 'warnings', 'restarts'],
  properties: {
    id: { type: 'string', description: 'Worker id (`w0-3`: slot 0, its third process), or `in-process` in thread mode.' },
    slot: { type: 'integer' },
    pid: { type: ['integer', 'null'] },
    state: { type: 'string', description: 'starting, ready, draining, stopping or exited.' },
    startedAt: { type: 'string' },
    uptimeSeconds: { type: 'number' },
    ready: { type: 'boolean' },
    jobsDone: { type: 'integer', description: 'Segments the worker finished.' },
    jobsFailed: { type: 'integer' },
    failures: { type: 'object', additionalProperties: { type: 'integer' }, description: 'Failed segments by the code the worker gave (`bad_audio`, `out_of_memory`, …).' },
    active: { type: 'integer' },
    concurrency: { type: 'integer' },
    sessions: { type: ['integer', 'null'] },
    memory: {
      type: 'object',
      required: ['rssBytes', 'gpuBytes', 'gpuLastJob'],
      properties: {
        rssBytes: { type: ['integer', 'null'] },
        gpuBytes: { type: ['integer', 'null'], description: 'GPU memory of the process (nvidia-smi); null without a GPU.' },
        gpuLastJob: {
          type: ['object', 'null'],
          required: ['allocatedBytes', 'reservedBytes', 'peakBytes'],
          properties: { allocatedBytes: { type: 'integer' }, reservedBytes: { type: 'integer' }, peakBytes: { type: 'integer' } },
        },
      },
    },
    rtf: { type: 'object', required: ['current', 'baseline'], properties: { current: nullableNumber, baseline: nullableNumber } },
    device: {
      type: ['object', 'null'],
      required: ['cudaVisibleDevices', 'fp16'],
      properties: { cudaVisibleDevices: { type: ['string', 'null'] }, fp16: { type: 'boolean' } },
    },
    retiring: { type: ['string', 'null'], description: 'Why the supervisor is replacing this worker, when it is.' },
    warnings: {
      type: 'array',
      items: { type: 'object', required: ['code', 'message', 'at'], properties: { code: { type: 'string' }, message: { type: 'string' }, at: { type: 'string' } } },
    },
    restarts: {
      type: 'array',
      description: 'Earlier workers of this slot that were replaced, newest first: when and why (admin, crash, recycle_jobs, recycle_rss, …).',
      items: { type: 'object', required: ['at', 'reason', 'worker'], properties: { at: { type: 'string' }, reason: { type: 'string' }, worker: { type: 'string' } } },
    },
  },
} as const;

export const workersSchema = { type: 'array', items: workerSchema } as const;

export const healthSchema = {
  type: 'object',
  required: ['ready'],
  properties: { ready: { type: 'boolean' }, detail: { type: 'string' } },
} as const;

export const schedulerStatsSchema = {
  type: 'object',
  required: ['slots', 'running', 'queued', 'waitingJobs', 'activeJobs', 'outcomes', 'rejected', 'retries', 'batches', 'lookahead', 'preemptions', 'estimator'],
  properties: {
    slots: { type: 'integer', description: 'Engine calls that may run at once.' },
    running: { type: 'integer' },
    queued: { ...counts(PRIORITIES), description: 'Segments waiting for a slot, by priority.' },
    waitingJobs: { type: 'integer' },
    activeJobs: { type: 'integer' },
    outcomes: counts(JOB_OUTCOMES),
    rejected: { ...counts(REJECTIONS), description: 'Requests refused at admission (429) since start.' },
    retries: { type: 'integer' },
    batches: { type: 'integer' },
    lookahead: { type: 'object', required: ['queued', 'running'], properties: { queued: { type: 'integer' }, running: { type: 'integer' } } },
    preemptions: { type: 'integer' },
    estimator: {
      type: 'object',
      required: ['secondsPerChar', 'rtf', 'overheadMs', 'samples'],
      properties: {
        secondsPerChar: { type: 'object', required: ['spaced', 'dense'], properties: { spaced: { type: 'number' }, dense: { type: 'number' } } },
        rtf: { type: 'number' },
        overheadMs: { type: 'number' },
        samples: { type: 'integer' },
      },
    },
  },
} as const;
