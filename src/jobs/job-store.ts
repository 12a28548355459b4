// Where long-form jobs (POST /v1/jobs) live: one row per job with its planned text, its progress
// by segment, its result and its webhook's delivery state. The queue that decides which node runs
// a job (graphile-worker on PostgreSQL, the in-process runner on SQLite) holds only "run job X";
// everything a client reads is here, so any node answers GET /v1/jobs/{id} the same way.
// Transitions are conditional updates (status checked in the same statement), so a cancel and a
// finishing node never both win. Timestamps are ISO 8601 UTC strings with milliseconds.

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
/** A job in one of these never changes again (only its webhook state does). */
export const FINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

export const WEBHOOK_STATES = ['none', 'pending', 'delivered', 'failed'] as const;
export type WebhookState = (typeof WEBHOOK_STATES)[number];

export interface JobRecord {
  /** `job_` + 16 base32 characters (src/jobs/ids.ts). */
  readonly id: string;
  readonly tenant: string;
  /** The key that created it (usage rows of its segments name it). */
  readonly keyId: string;
  readonly status: JobStatus;
  /** The planned job as JSON (src/jobs/plan.ts): opaque to the store, fixed at creation. */
  readonly plan: string;
  /** Code points of the text as sent. */
  readonly characters: number;
  readonly segmentsTotal: number;
  /** Segments whose audio is stored (parts 0..segmentsDone-1). */
  readonly segmentsDone: number;
  /** Audio seconds of the segments done. */
  readonly audioSeconds: number;
  /** Times a node started (or resumed) it. */
  readonly attempts: number;
  /** The stored output (GET /v1/outputs/{id}) once succeeded. */
  readonly outputId: string | null;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
  /** Where the result is announced (validated at creation); null: no webhook. */
  readonly webhookUrl: string | null;
  /** The job's signing secret (`whsec_…`), shown once in the 202. */
  readonly webhookSecret: string | null;
  readonly webhookState: WebhookState;
  readonly webhookAttempts: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

export interface JobListQuery {
  readonly limit: number;
  /** Only jobs older than this one in the listing's order (newest first): the previous page's last. */
  readonly before?: Pick<JobRecord, 'createdAt' | 'id'>;
}

export interface JobOutcome {
  readonly status: 'succeeded' | 'failed';
  readonly outputId?: string;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  /** 'pending' when the job has a webhook to call, else 'none'. */
  readonly webhookState: WebhookState;
}

export interface JobStore {
  /** Inserts a new job (status queued); the id must be new. */
  create(record: JobRecord): Promise<void>;
  /** The tenant's job; null when there is none (or it is another tenant's). */
  get(tenant: string, id: string): Promise<JobRecord | null>;
  /** Any tenant's job (the runner, which got the id from the queue). */
  find(id: string): Promise<JobRecord | null>;
  /** The tenant's jobs, newest first (createdAt, then id, both descending). */
  list(tenant: string, query: JobListQuery): Promise<JobRecord[]>;
  /**
   * queued or running -> running, attempts + 1, startedAt set if it was null. Running too,
   * because a node that died left it running. null when the job is final (or unknown).
   */
  start(id: string, now: string): Promise<JobRecord | null>;
  /** Records segments done while the job is running; false when it is not (cancelled meanwhile). */
  progress(id: string, segmentsDone: number, audioSeconds: number, now: string): Promise<boolean>;
  /** running -> succeeded or failed; false when it was not running (cancelled meanwhile). */
  finish(id: string, outcome: JobOutcome, now: string): Promise<boolean>;
  /** Fails a job that is queued or running (a node gave up on it); false when already final. */
  fail(id: string, errorCode: string, errorMessage: string, webhookState: WebhookState, now: string): Promise<boolean>;
  /**
   * The tenant's queued or running job -> cancelled (webhookState pending when it has a webhook).
   * Returns the updated job; null when there is no such job; the job unchanged when already final.
   */
  cancel(tenant: string, id: string, now: string): Promise<JobRecord | null>;
  /** Records a webhook delivery attempt's result (attempts counts every try). */
  setWebhook(id: string, state: WebhookState, attempts: number, now: string): Promise<void>;
  /** Up to `limit` jobs of any tenant that are queued or running, oldest first (resumed at start on SQLite). */
  unfinished(limit: number): Promise<JobRecord[]>;
  /** Up to `limit` jobs whose webhook is pending, oldest first. */
  pendingWebhooks(limit: number): Promise<JobRecord[]>;
  /** Deletes final jobs finished before `before` whose webhook is not pending; returns their ids. */
  purge(before: string, limit: number): Promise<string[]>;
}
