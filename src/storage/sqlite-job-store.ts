// Long-form jobs in the service's SQLite database (migration namespace 'jobs'). Every transition
// is one UPDATE whose WHERE checks the status, so a cancel and a finishing runner never both win.
import type { JobListQuery, JobOutcome, JobRecord, JobStatus, JobStore, WebhookState } from '../jobs/job-store.js';
import { migrate, type Migration, type SqliteDatabase } from './sqlite.js';

export const JOB_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'long-form jobs',
    up: (db) =>
      db.exec(`
        CREATE TABLE jobs (
          id TEXT PRIMARY KEY,
          tenant TEXT NOT NULL,
          key_id TEXT NOT NULL,
          status TEXT NOT NULL,
          plan TEXT NOT NULL,
          characters INTEGER NOT NULL,
          segments_total INTEGER NOT NULL,
          segments_done INTEGER NOT NULL,
          audio_seconds REAL NOT NULL,
          attempts INTEGER NOT NULL,
          output_id TEXT,
          error_code TEXT,
          error_message TEXT,
          webhook_url TEXT,
          webhook_secret TEXT,
          webhook_state TEXT NOT NULL,
          webhook_attempts INTEGER NOT NULL,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL,
          started_at TEXT,
          finished_at TEXT
        );
        CREATE INDEX jobs_tenant_created ON jobs (tenant, created_at DESC, id DESC);
        CREATE INDEX jobs_unfinished ON jobs (created_at, id) WHERE status IN ('queued', 'running');
        CREATE INDEX jobs_webhook_pending ON jobs (created_at, id) WHERE webhook_state = 'pending';
        CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
      `),
  },
];

interface Row {
  id: string;
  tenant: string;
  key_id: string;
  status: string;
  plan: string;
  characters: number;
  segments_total: number;
  segments_done: number;
  audio_seconds: number;
  attempts: number;
  output_id: string | null;
  error_code: string | null;
  error_message: string | null;
  webhook_url: string | null;
  webhook_secret: string | null;
  webhook_state: string;
  webhook_attempts: number;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
}

const fromRow = (r: Row): JobRecord => ({
  id: r.id,
  tenant: r.tenant,
  keyId: r.key_id,
  status: r.status as JobStatus,
  plan: r.plan,
  characters: r.characters,
  segmentsTotal: r.segments_total,
  segmentsDone: r.segments_done,
  audioSeconds: r.audio_seconds,
  attempts: r.attempts,
  outputId: r.output_id,
  errorCode: r.error_code,
  errorMessage: r.error_message,
  webhookUrl: r.webhook_url,
  webhookSecret: r.webhook_secret,
  webhookState: r.webhook_state as WebhookState,
  webhookAttempts: r.webhook_attempts,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

export class SqliteJobStore implements JobStore {
  /** Runs the 'jobs' migrations on `db` (shared with other stores; the caller closes it). */
  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'jobs', JOB_MIGRATIONS);
  }

  async create(r: JobRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO jobs (id, tenant, key_id, status, plan, characters, segments_total, segments_done, audio_seconds, attempts,
           output_id, error_code, error_message, webhook_url, webhook_secret, webhook_state, webhook_attempts,
           created_at, updated_at, started_at, finished_at)
         VALUES (@id, @tenant, @keyId, @status, @plan, @characters, @segmentsTotal, @segmentsDone, @audioSeconds, @attempts,
           @outputId, @errorCode, @errorMessage, @webhookUrl, @webhookSecret, @webhookState, @webhookAttempts,
           @createdAt, @updatedAt, @startedAt, @finishedAt)`,
      )
      .run({ ...r });
  }

  async get(tenant: string, id: string): Promise<JobRecord | null> {
    return this.one('SELECT * FROM jobs WHERE tenant = ? AND id = ?', tenant, id);
  }

  async find(id: string): Promise<JobRecord | null> {
    return this.one('SELECT * FROM jobs WHERE id = ?', id);
  }

  async list(tenant: string, query: JobListQuery): Promise<JobRecord[]> {
    const before = query.before;
    const rows = this.db
      .prepare(
        `SELECT * FROM jobs
         WHERE tenant = @tenant
           AND (@beforeAt IS NULL OR created_at < @beforeAt OR (created_at = @beforeAt AND id < @beforeId))
         ORDER BY created_at DESC, id DESC
         LIMIT @limit`,
      )
      .all({ tenant, beforeAt: before?.createdAt ?? null, beforeId: before?.id ?? null, limit: query.limit }) as Row[];
    return rows.map(fromRow);
  }

  async start(id: string, now: string): Promise<JobRecord | null> {
    return this.one(
      `UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = COALESCE(started_at, @now), updated_at = @now
       WHERE id = @id AND status IN ('queued', 'running')
       RETURNING *`,
      { id, now },
    );
  }

  async progress(id: string, segmentsDone: number, audioSeconds: number, now: string): Promise<boolean> {
    return (
      this.db
        .prepare(`UPDATE jobs SET segments_done = ?, audio_seconds = ?, updated_at = ? WHERE id = ? AND status = 'running'`)
        .run(segmentsDone, audioSeconds, now, id).changes > 0
    );
  }

  async finish(id: string, outcome: JobOutcome, now: string): Promise<boolean> {
    return (
      this.db
        .prepare(
          `UPDATE jobs SET status = @status, output_id = @outputId, error_code = @errorCode, error_message = @errorMessage,
             webhook_state = @webhookState, finished_at = @now, updated_at = @now
           WHERE id = @id AND status = 'running'`,
        )
        .run({
          id,
          now,
          status: outcome.status,
          outputId: outcome.outputId ?? null,
          errorCode: outcome.errorCode ?? null,
          errorMessage: outcome.errorMessage ?? null,
          webhookState: outcome.webhookState,
        }).changes > 0
    );
  }

  async fail(id: string, errorCode: string, errorMessage: string, webhookState: WebhookState, now: string): Promise<boolean> {
    return (
      this.db
        .prepare(
          `UPDATE jobs SET status = 'failed', error_code = @errorCode, error_message = @errorMessage,
             webhook_state = @webhookState, finished_at = @now, updated_at = @now
           WHERE id = @id AND status IN ('queued', 'running')`,
        )
        .run({ id, errorCode, errorMessage, webhookState, now }).changes > 0
    );
  }

  async cancel(tenant: string, id: string, now: string): Promise<JobRecord | null> {
    const cancelled = this.one(
      `UPDATE jobs SET status = 'cancelled',
         webhook_state = CASE WHEN webhook_url IS NULL THEN webhook_state ELSE 'pending' END,
         finished_at = @now, updated_at = @now
       WHERE tenant = @tenant AND id = @id AND status IN ('queued', 'running')
       RETURNING *`,
      { tenant, id, now },
    );
    // Not updated: unknown, another tenant's, or already final (which never changes again).
    return cancelled ?? this.one('SELECT * FROM jobs WHERE tenant = ? AND id = ?', tenant, id);
  }

  async setWebhook(id: string, state: WebhookState, attempts: number, now: string): Promise<void> {
    this.db.prepare('UPDATE jobs SET webhook_state = ?, webhook_attempts = ?, updated_at = ? WHERE id = ?').run(state, attempts, now, id);
  }

  async unfinished(limit: number): Promise<JobRecord[]> {
    const rows = this.db
      .prepare(`SELECT * FROM jobs WHERE status IN ('queued', 'running') ORDER BY created_at, id LIMIT ?`)
      .all(limit) as Row[];
    return rows.map(fromRow);
  }

  async pendingWebhooks(limit: number): Promise<JobRecord[]> {
    const rows = this.db
      .prepare(`SELECT * FROM jobs WHERE webhook_state = 'pending' ORDER BY created_at, id LIMIT ?`)
      .all(limit) as Row[];
    return rows.map(fromRow);
  }

  async purge(before: string, limit: number): Promise<string[]> {
    const rows = this.db
      .prepare(
        `DELETE FROM jobs WHERE id IN (
           SELECT id FROM jobs
           WHERE finished_at IS NOT NULL AND finished_at < @before
             AND status IN ('succeeded', 'failed', 'cancelled') AND webhook_state <> 'pending'
           ORDER BY finished_at, id
           LIMIT @limit)
         RETURNING id`,
      )
      .all({ before, limit }) as { id: string }[];
    return rows.map((r) => r.id);
  }

  private one(sql: string, ...params: unknown[]): JobRecord | null {
    const row = this.db.prepare(sql).get(...params) as Row | undefined;
    return row ? fromRow(row) : null;
  }
}
