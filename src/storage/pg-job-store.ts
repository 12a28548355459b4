// Long-form jobs in PostgreSQL (migration namespace 'jobs'), the same semantics as SqliteJobStore,
// so any node that shares the database answers for any job. A transition is one UPDATE whose WHERE
// checks the status: of two nodes updating one row, the second waits for the first's row lock and
// then re-checks the status against the committed row, so a cancel and a finish never both win.
import type { JobListQuery, JobOutcome, JobRecord, JobStatus, JobStore, WebhookState } from '../jobs/job-store.js';
import { migrate, type PgMigration, type PgPool } from './postgres.js';

export const PG_JOB_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    description: 'long-form jobs',
    up: async (client) => {
      await client.query(`
        CREATE TABLE jobs (
          id TEXT PRIMARY KEY,
          tenant TEXT NOT NULL,
          key_id TEXT NOT NULL,
          status TEXT NOT NULL,
          plan TEXT NOT NULL,
          characters BIGINT NOT NULL,
          segments_total BIGINT NOT NULL,
          segments_done BIGINT NOT NULL,
          audio_seconds DOUBLE PRECISION NOT NULL,
          attempts BIGINT NOT NULL,
          output_id TEXT,
          error_code TEXT,
          error_message TEXT,
          webhook_url TEXT,
          webhook_secret TEXT,
          webhook_state TEXT NOT NULL,
          webhook_attempts BIGINT NOT NULL,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL,
          started_at TEXT,
          finished_at TEXT
        );
        CREATE INDEX jobs_tenant_created ON jobs (tenant, created_at DESC, id DESC);
        CREATE INDEX jobs_unfinished ON jobs (created_at, id) WHERE status IN ('queued', 'running');
        CREATE INDEX jobs_webhook_pending ON jobs (created_at, id) WHERE webhook_state = 'pending';
        CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
      `);
    },
  },
];

const text = (v: unknown): string | null => (v === null ? null : String(v));

const fromRow = (r: Record<string, unknown>): JobRecord => ({
  id: String(r.id),
  tenant: String(r.tenant),
  keyId: String(r.key_id),
  status: String(r.status) as JobStatus,
  plan: String(r.plan),
  characters: Number(r.characters),
  segmentsTotal: Number(r.segments_total),
  segmentsDone: Number(r.segments_done),
  audioSeconds: Number(r.audio_seconds),
  attempts: Number(r.attempts),
  outputId: text(r.output_id),
  errorCode: text(r.error_code),
  errorMessage: text(r.error_message),
  webhookUrl: text(r.webhook_url),
  webhookSecret: text(r.webhook_secret),
  webhookState: String(r.webhook_state) as WebhookState,
  webhookAttempts: Number(r.webhook_attempts),
  createdAt: String(r.created_at),
  updatedAt: String(r.updated_at),
  startedAt: text(r.started_at),
  finishedAt: text(r.finished_at),
});

export class PgJobStore implements JobStore {
  private constructor(private readonly pool: PgPool) {}

  static async open(pool: PgPool): Promise<PgJobStore> {
    await migrate(pool, 'jobs', PG_JOB_MIGRATIONS);
    return new PgJobStore(pool);
  }

  async create(r: JobRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO jobs (id, tenant, key_id, status, plan, characters, segments_total, segments_done, audio_seconds, attempts,
         output_id, error_code, error_message, webhook_url, webhook_secret, webhook_state, webhook_attempts,
         created_at, updated_at, started_at, finished_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
      [
        r.id, r.tenant, r.keyId, r.status, r.plan, r.characters, r.segmentsTotal, r.segmentsDone, r.audioSeconds, r.attempts,
        r.outputId, r.errorCode, r.errorMessage, r.webhookUrl, r.webhookSecret, r.webhookState, r.webhookAttempts,
        r.createdAt, r.updatedAt, r.startedAt, r.finishedAt,
      ],
    );
  }

  async get(tenant: string, id: string): Promise<JobRecord | null> {
    return this.one('SELECT * FROM jobs WHERE tenant = $1 AND id = $2', [tenant, id]);
  }

  async find(id: string): Promise<JobRecord | null> {
    return this.one('SELECT * FROM jobs WHERE id = $1', [id]);
  }

  async list(tenant: string, query: JobListQuery): Promise<JobRecord[]> {
    const before = query.before;
    return this.many(
      `SELECT * FROM jobs
       WHERE tenant = $1
         AND ($2::text IS NULL OR created_at < $2 OR (created_at = $2 AND id < $3))
       ORDER BY created_at DESC, id DESC
       LIMIT $4`,
      [tenant, before?.createdAt ?? null, before?.id ?? null, query.limit],
    );
  }

  async start(id: string, now: string): Promise<JobRecord | null> {
    return this.one(
      `UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = COALESCE(started_at, $2), updated_at = $2
       WHERE id = $1 AND status IN ('queued', 'running')
       RETURNING *`,
      [id, now],
    );
  }

  async progress(id: string, segmentsDone: number, audioSeconds: number, now: string): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE jobs SET segments_done = $2, audio_seconds = $3, updated_at = $4 WHERE id = $1 AND status = 'running'`,
      [id, segmentsDone, audioSeconds, now],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async finish(id: string, outcome: JobOutcome, now: string): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE jobs SET status = $2, output_id = $3, error_code = $4, error_message = $5, webhook_state = $6,
         finished_at = $7, updated_at = $7
       WHERE id = $1 AND status = 'running'`,
      [id, outcome.status, outcome.outputId ?? null, outcome.errorCode ?? null, outcome.errorMessage ?? null, outcome.webhookState, now],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async fail(id: string, errorCode: string, errorMessage: string, webhookState: WebhookState, now: string): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE jobs SET status = 'failed', error_code = $2, error_message = $3, webhook_state = $4, finished_at = $5, updated_at = $5
       WHERE id = $1 AND status IN ('queued', 'running')`,
      [id, errorCode, errorMessage, webhookState, now],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async cancel(tenant: string, id: string, now: string): Promise<JobRecord | null> {
    const cancelled = await this.one(
      `UPDATE jobs SET status = 'cancelled',
         webhook_state = CASE WHEN webhook_url IS NULL THEN webhook_state ELSE 'pending' END,
         finished_at = $3, updated_at = $3
       WHERE tenant = $1 AND id = $2 AND status IN ('queued', 'running')
       RETURNING *`,
      [tenant, id, now],
    );
    // Not updated: unknown, another tenant's, or already final (which never changes again).
    return cancelled ?? this.get(tenant, id);
  }

  async setWebhook(id: string, state: WebhookState, attempts: number, now: string): Promise<void> {
    await this.pool.query('UPDATE jobs SET webhook_state = $2, webhook_attempts = $3, updated_at = $4 WHERE id = $1', [id, state, attempts, now]);
  }

  async unfinished(limit: number): Promise<JobRecord[]> {
    return this.many(`SELECT * FROM jobs WHERE status IN ('queued', 'running') ORDER BY created_at, id LIMIT $1`, [limit]);
  }

  async pendingWebhooks(limit: number): Promise<JobRecord[]> {
    return this.many(`SELECT * FROM jobs WHERE webhook_state = 'pending' ORDER BY created_at, id LIMIT $1`, [limit]);
  }

  async purge(before: string, limit: number): Promise<string[]> {
    // The outer WHERE repeats the conditions: a row whose webhook became pending after the
    // subquery read it is re-checked against its committed state and kept.
    const { rows } = await this.pool.query<{ id: string }>(
      `DELETE FROM jobs WHERE id IN (
         SELECT id FROM jobs
         WHERE finished_at IS NOT NULL AND finished_at < $1
           AND status IN ('succeeded', 'failed', 'cancelled') AND webhook_state <> 'pending'
         ORDER BY finished_at, id
         LIMIT $2)
       AND finished_at < $1 AND status IN ('succeeded', 'failed', 'cancelled') AND webhook_state <> 'pending'
       RETURNING id`,
      [before, limit],
    );
    return rows.map((r) => r.id);
  }

  private async one(sql: string, params: unknown[]): Promise<JobRecord | null> {
    const { rows } = await this.pool.query<Record<string, unknown>>(sql, params);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  private async many(sql: string, params: unknown[]): Promise<JobRecord[]> {
    const { rows } = await this.pool.query<Record<string, unknown>>(sql, params);
    return rows.map(fromRow);
  }
}
