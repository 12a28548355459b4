// What the scheduler knows about one synthesis request (a job) and tells its observers.

/** Interactive (streamed) jobs are served before batch (whole-file) jobs. */
export const PRIORITIES = ['interactive', 'batch'] as const;
export type Priority = (typeof PRIORITIES)[number];

/**
 * How a job ended. `truncated`: a streamed job failed after audio had been sent (the client
 * sees a cut-off chunked response); `expired`: it was still queued at its deadline.
 */
export const JOB_OUTCOMES = ['completed', 'failed', 'cancelled', 'expired', 'truncated'] as const;
export type JobOutcome = (typeof JOB_OUTCOMES)[number];

export const REJECTIONS = ['queue_full', 'overloaded'] as const;
export type Rejection = (typeof REJECTIONS)[number];

/** The owner every request has until API keys arrive; fair sharing is between owners. */
export const DEFAULT_OWNER = 'default';

export interface AdmitOptions {
  /** Whose job this is (the caller's tenant); jobs of different owners are served round-robin. */
  readonly owner?: string;
  readonly priority?: Priority;
  /** Longest this job may wait before its synthesis starts; capped at the configured deadline. */
  readonly deadlineMs?: number;
}

/** A read-only view of a job, for observers (metrics, logs, tests, the admin API). */
export interface JobInfo {
  readonly id: string;
  readonly requestId: string | undefined;
  readonly owner: string;
  readonly priority: Priority;
  readonly stream: boolean;
  readonly segments: number;
  /** Estimated engine time for the whole job (ms). */
  readonly estimatedMs: number;
  /** performance.now() timestamps. */
  readonly admittedAt: number;
  readonly deadlineAt: number;
  readonly startedAt: number | null;
  readonly firstAudioAt: number | null;
  readonly finishedAt: number | null;
  readonly segmentsDone: number;
  /** Audio made and engine time spent by its finished segments (usage and cost per request). */
  readonly audioSeconds: number;
  readonly engineMs: number;
  /** Segments in flight beyond the one playback waits for (look-ahead, SEGMENT_LOOKAHEAD). */
  readonly segmentsAhead: number;
  /** Segment attempts repeated after a worker died or reported a retryable fault. */
  readonly retries: number;
  /** Attempt number of the segment running now (2 = its first retry); 0 when none runs. */
  readonly attempt: number;
  readonly outcome: JobOutcome | null;
  /** Catalog code of the error that ended the job, when one did. */
  readonly errorCode: string | null;
}

export interface SchedulerObserver {
  admitted?(job: JobInfo): void;
  rejected?(reason: Rejection, info: { owner: string; priority: Priority; estimatedWaitMs: number; retryAfterSeconds: number }): void;
  /** The job's first segment left the queue. */
  started?(job: JobInfo, waitMs: number): void;
  firstAudio?(job: JobInfo, ms: number): void;
  /** One engine call (segment) finished: the audio it made and the engine time it took. */
  segmentDone?(info: { audioSeconds: number; engineMs: number }): void;
  /** A segment is retried because its worker died (or failed it retryably) before it sent audio. */
  retried?(job: JobInfo, error: unknown): void;
  batch?(size: number): void;
  settled?(job: JobInfo): void;
  /** Queue depth changed. */
  queue?(depth: Record<Priority, number>): void;
}
