// Long-form jobs assembled for one node: the store, the queue for the database in use, the runner
// and its webhook deliveries, and the sweep of old jobs. buildApp starts it when the app is ready
// and stops it (interrupting running jobs, which resume later) before the stores close.
import type { Logger } from 'pino';
import { hostname } from 'node:os';
import type { Config } from '../config/config.js';
import type { AudioWork } from '../audio/pool.js';
import type { VoicePrompt } from '../engines/engine.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { OutputService } from '../outputs/service.js';
import type { PgPool } from '../storage/postgres.js';
import type { JobStore } from './job-store.js';
import { GraphileJobQueue } from './graphile-queue.js';
import { LocalJobQueue } from './local-queue.js';
import type { JobHandlers, JobQueue } from './queue.js';
import { JobRunner, type JobEngine, type SegmentUsage } from './runner.js';
import { JobService } from './service.js';
import { deliverWebhook, webhookBackoffMs, type WebhookResolver } from './webhook.js';

export type JobsConfig = Pick<
  Config,
  'jobConcurrency' | 'jobMaxAttempts' | 'jobNodeTimeoutS' | 'jobPollIntervalMs' | 'jobRetentionDays' | 'webhookAllowPrivate' | 'webhookTimeoutMs' | 'webhookRetryBaseMs' | 'webhookMaxAttempts'
>;

export interface JobsOptions {
  readonly config: JobsConfig;
  readonly store: JobStore;
  /** PostgreSQL (DATABASE_URL): jobs go through graphile-worker; absent: the in-process queue. */
  readonly pool?: PgPool;
  readonly blobs: BlobStore;
  readonly outputs: OutputService;
  readonly engine: JobEngine;
  readonly audio?: Pick<AudioWork, 'openEncoder'>;
  readonly resolveVoice: (tenant: string, voice: string) => Promise<VoicePrompt | null>;
  readonly onSegment?: (usage: SegmentUsage) => void;
  readonly onEvent?: (event: 'segment' | 'succeeded' | 'failed' | 'retried' | 'webhook_delivered' | 'webhook_failed') => void;
  readonly resolveWebhookHost?: WebhookResolver;
  readonly logger?: Logger;
}

export interface Jobs {
  readonly service: JobService;
  readonly runner: JobRunner;
  start(): Promise<void>;
  /** Deletes finished jobs older than JOB_RETENTION_DAYS; returns how many. */
  sweep(now?: number): Promise<number>;
  stop(): Promise<void>;
}

const DAY_MS = 86_400_000;

export function createJobs(options: JobsOptions): Jobs {
  const { config, store, logger } = options;
  // The runner and the queue need each other (a finished job queues its webhook); each closure
  // below runs only once both exist.
  // eslint-disable-next-line prefer-const
  let queue: JobQueue;
  const runner = new JobRunner({
    store,
    blobs: options.blobs,
    outputs: options.outputs,
    engine: options.engine,
    ...(options.audio ? { audio: options.audio } : {}),
    resolveVoice: options.resolveVoice,
    maxAttempts: config.jobMaxAttempts,
    ...(options.onSegment ? { onSegment: options.onSegment } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(logger ? { logger } : {}),
    onFinal: async (job) => {
      if (job.webhookState === 'pending') await queue.addWebhook(job.id, new Date());
    },
  });
  const handlers: JobHandlers = {
    run: (id, signal) => runner.run(id, signal),
    giveUp: (id, reason) => runner.giveUp(id, reason),
    webhook: async (id) => {
      try {
        const job = await store.find(id);
        if (!job || job.webhookState !== 'pending' || !job.webhookUrl || !job.webhookSecret) return null;
        const attempt = job.webhookAttempts + 1;
        const result = await deliverWebhook(
          { url: job.webhookUrl, secret: job.webhookSecret },
          // The same id on every attempt (receivers drop duplicates); one event per final status.
          { id: `msg_${job.id}_${job.status}`, type: `job.${job.status}`, data: await service.view(job) },
          { allowPrivate: config.webhookAllowPrivate, timeoutMs: config.webhookTimeoutMs, ...(options.resolveWebhookHost ? { resolve: options.resolveWebhookHost } : {}) },
        );
        const now = new Date().toISOString();
        if (result.ok) {
          await store.setWebhook(id, 'delivered', attempt, now);
          options.onEvent?.('webhook_delivered');
          return null;
        }
        if (result.retry && attempt < config.webhookMaxAttempts) {
          await store.setWebhook(id, 'pending', attempt, now);
          return new Date(Date.now() + webhookBackoffMs(attempt, config.webhookRetryBaseMs));
        }
        await store.setWebhook(id, 'failed', attempt, now);
        options.onEvent?.('webhook_failed');
        logger?.warn({ job: id, attempt, status: result.status, error: result.error }, 'job webhook given up');
        return null;
      } catch (err) {
        // The store was unreachable: try again later, the attempt not counted.
        logger?.warn({ err, job: id }, 'job webhook attempt could not run; retried');
        return new Date(Date.now() + webhookBackoffMs(1, config.webhookRetryBaseMs));
      }
    },
  };
  // Shutdowns and node deaths also end runs; graphile's attempts leave room for them.
  const maxRuns = config.jobMaxAttempts + 20;
  queue = options.pool
    ? new GraphileJobQueue({
        pool: options.pool,
        handlers,
        concurrency: config.jobConcurrency,
        maxRuns,
        nodeTimeoutMs: config.jobNodeTimeoutS * 1000,
        heartbeatMs: Math.max(500, (config.jobNodeTimeoutS * 1000) / 4),
        pollIntervalMs: config.jobPollIntervalMs,
        node: `${hostname()}:${process.pid}`,
        ...(logger ? { logger } : {}),
      })
    : new LocalJobQueue({ store, handlers, concurrency: config.jobConcurrency, maxRuns, ...(logger ? { logger } : {}) });
  const service = new JobService({ store, queue, runner, outputs: options.outputs });

  return {
    service,
    runner,
    start: () => queue.start(),
    stop: () => queue.stop(),
    sweep: async (now = Date.now()) => {
      const before = new Date(now - config.jobRetentionDays * DAY_MS).toISOString();
      let removed = 0;
      for (;;) {
        const ids = await store.purge(before, 500);
        removed += ids.length;
        if (ids.length < 500) return removed;
      }
    },
  };
}
