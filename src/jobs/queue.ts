// Which node runs a job and when: the queue. It carries only "run job X" and "call job X's
// webhook"; the job's state is in the JobStore. Two implementations:
// - GraphileJobQueue (graphile-worker on PostgreSQL, DATABASE_URL): any node takes any job; a
//   node that dies holding one is noticed by the others (heartbeats) and its job is unlocked;
// - LocalJobQueue (the SQLite default, one node by construction): jobs run in this process and
//   every unfinished one is picked up again at start, from the store.

/** What a queue calls. Neither throws. */
export interface JobHandlers {
  /** Runs or resumes job `id`; 'retry' asks to run it again later. `signal` aborts at shutdown. */
  run(id: string, signal: AbortSignal): Promise<'done' | 'retry'>;
  /** One webhook delivery attempt; returns when to try again, or null when done (delivered or given up). */
  webhook(id: string): Promise<Date | null>;
  /** The queue will not run this job again (out of attempts): fail it. */
  giveUp(id: string, reason: string): Promise<void>;
}

export interface JobQueue {
  /** Starts taking work (and, on SQLite, picks up what a previous run left). */
  start(): Promise<void>;
  /** Queues job `id` to run now. */
  addRun(id: string): Promise<void>;
  /** Queues a webhook delivery attempt for job `id` at `at`. */
  addWebhook(id: string, at: Date): Promise<void>;
  /** Stops taking work, interrupts what runs (it resumes later, here or elsewhere) and waits for it. */
  stop(): Promise<void>;
}

/** Exponential backoff for a job run again after a retryable failure: 2 s, 4 s, 8 s, … at most a minute. */
export function runBackoffMs(attempt: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.max(1, attempt));
}
