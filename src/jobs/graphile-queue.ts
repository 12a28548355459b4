// The job queue of nodes that share PostgreSQL: graphile-worker (its own schema,
// `graphile_worker`, migrated by the library). Any node takes any job; a job runs on one node at a
// time (graphile's row lock). A node killed while holding a job leaves it locked, and graphile
// itself frees such a lock only after four hours, so each node records its workers' ids with a
// heartbeat, and a node that sees another's heartbeat older than JOB_NODE_TIMEOUT_S unlocks that
// node's jobs (forceUnlockWorkers, graphile's documented answer to a crashed worker): another node
// resumes the job at its first segment without stored audio.
import { EventEmitter } from 'node:events';
import type { Logger as PinoLogger } from 'pino';
import { Logger, makeWorkerUtils, run, type Runner, type Task, type WorkerEvents, type WorkerUtils } from 'graphile-worker';
import { migrate, type PgMigration, type PgPool } from '../storage/postgres.js';
import type { JobHandlers, JobQueue } from './queue.js';

const RUN_TASK = 'cosyfleet_job';
const WEBHOOK_TASK = 'cosyfleet_webhook';

export const PG_JOB_WORKER_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    description: 'job worker heartbeats',
    up: async (client) => {
      await client.query(`
        CREATE TABLE job_workers (
          worker_id TEXT PRIMARY KEY,
          node TEXT NOT NULL,
          seen_at TIMESTAMPTZ NOT NULL
        );
      `);
    },
  },
];

export interface GraphileJobQueueOptions {
  readonly pool: PgPool;
  readonly handlers: JobHandlers;
  readonly concurrency: number;
  /** graphile's attempts per job (the runner fails a job itself after JOB_MAX_ATTEMPTS errors; shutdowns count here too). */
  readonly maxRuns: number;
  /** A node whose heartbeat is older than this has died: its jobs are unlocked (ms). */
  readonly nodeTimeoutMs: number;
  /** How often this node beats and looks for dead ones (ms). */
  readonly heartbeatMs: number;
  /** How often graphile looks for jobs that became due (retries, unlocked jobs) (ms). */
  readonly pollIntervalMs: number;
  /** This node's name in the heartbeat table (logs). */
  readonly node: string;
  readonly logger?: PinoLogger;
}

export class GraphileJobQueue implements JobQueue {
  private runner: Runner | undefined;
  private utils: WorkerUtils | undefined;
  private readonly workers = new Set<string>();
  private readonly controller = new AbortController();
  private heartbeat: NodeJS.Timeout | undefined;
  private beating: Promise<void> = Promise.resolve();

  constructor(private readonly options: GraphileJobQueueOptions) {}

  async start(): Promise<void> {
    const { pool, handlers, concurrency, pollIntervalMs } = this.options;
    await migrate(pool, 'job_workers', PG_JOB_WORKER_MIGRATIONS);
    const logger = graphileLogger(this.options.logger);
    this.utils = await makeWorkerUtils({ pgPool: pool, logger });
    await this.utils.migrate();
    const events: WorkerEvents = new EventEmitter();
    events.on('worker:create', ({ worker }) => this.workers.add(worker.workerId));
    const signal = this.controller.signal;
    const runTask: Task = async (payload, helpers) => {
      const id = jobIdOf(payload);
      const result = await handlers.run(id, signal);
      if (result === 'done') return;
      if (!signal.aborted && helpers.job.attempts >= helpers.job.max_attempts) {
        await handlers.giveUp(id, `The job was retried ${helpers.job.attempts} times without finishing.`);
        return;
      }
      // graphile runs it again after its backoff (exp(attempts) seconds), here or on another node.
      throw new Error(signal.aborted ? 'interrupted by a shutdown; resumed later' : 'failed retryably; resumed later');
    };
    const webhookTask: Task = async (payload, helpers) => {
      const id = jobIdOf(payload);
      const next = await handlers.webhook(id);
      if (next) await helpers.addJob(WEBHOOK_TASK, { id }, { runAt: next, maxAttempts: 1 });
    };
    // JOB_CONCURRENCY=0: this node queues jobs and unlocks dead nodes' jobs, but runs none.
    if (concurrency > 0) this.runner = await run({ pgPool: pool, logger, events, concurrency, pollInterval: pollIntervalMs, noHandleSignals: true, taskList: { [RUN_TASK]: runTask, [WEBHOOK_TASK]: webhookTask } });
    await this.beat();
    this.heartbeat = setInterval(() => {
      this.beating = this.beat();
    }, this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  async addRun(id: string): Promise<void> {
    await this.requireUtils().addJob(RUN_TASK, { id }, { jobKey: `run:${id}`, maxAttempts: this.options.maxRuns });
  }

  async addWebhook(id: string, at: Date): Promise<void> {
    await this.requireUtils().addJob(WEBHOOK_TASK, { id }, { runAt: at, maxAttempts: 1 });
  }

  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.beating;
    // Running jobs stop at their next segment and go back to the queue (the runner returns 'retry').
    this.controller.abort(new Error('the node is shutting down'));
    await this.runner?.stop();
    if (this.workers.size > 0) {
      // A clean exit: nobody has to wait for this node's heartbeat to go stale.
      await this.options.pool.query('DELETE FROM job_workers WHERE worker_id = ANY($1)', [[...this.workers]]).catch(() => undefined);
    }
    await this.utils?.release();
  }

  /** Records this node's workers as alive, and unlocks the jobs of workers whose node stopped beating. */
  private async beat(): Promise<void> {
    const { pool, node, nodeTimeoutMs, logger } = this.options;
    try {
      if (this.workers.size > 0) {
        await pool.query(
          `INSERT INTO job_workers (worker_id, node, seen_at) SELECT unnest($1::text[]), $2, now()
           ON CONFLICT (worker_id) DO UPDATE SET seen_at = now()`,
          [[...this.workers], node],
        );
      }
      const dead = await pool.query<{ worker_id: string; node: string }>(
        `DELETE FROM job_workers WHERE seen_at < now() - make_interval(secs => $1) RETURNING worker_id, node`,
        [nodeTimeoutMs / 1000],
      );
      if (dead.rows.length > 0) {
        const ids = dead.rows.map((r) => r.worker_id);
        await this.requireUtils().forceUnlockWorkers(ids);
        logger?.warn({ nodes: [...new Set(dead.rows.map((r) => r.node))], workers: ids.length }, 'unlocked the jobs of a node that stopped beating; they resume here or on another node');
      }
    } catch (err) {
      logger?.warn({ err }, 'job heartbeat failed; retried on the next beat');
    }
  }

  private requireUtils(): WorkerUtils {
    if (!this.utils) throw new Error('the job queue is not started');
    return this.utils;
  }
}

function jobIdOf(payload: unknown): string {
  const id = (payload as { id?: unknown } | null)?.id;
  if (typeof id !== 'string') throw new Error('a job queue entry without an id');
  return id;
}

/** graphile-worker's log lines through pino (debug: its per-job chatter). */
function graphileLogger(logger: PinoLogger | undefined): Logger {
  return new Logger((scope) => (level, message, meta) => {
    if (!logger) return;
    const fields = { graphile: scope, ...(meta ?? {}) };
    if (level === 'error') logger.error(fields, message);
    else if (level === 'warning') logger.warn(fields, message);
    else logger.debug(fields, message);
  });
}
