// The job queue of a single node on SQLite: jobs run in this process, at most `concurrency` at
// once, in the order they came. Nothing is kept only in memory: at start the store's unfinished
// jobs and pending webhooks are queued again, so a restart (or a crash) resumes every job where
// its stored segments end.
import type { Logger } from 'pino';
import type { JobStore } from './job-store.js';
import { runBackoffMs, type JobHandlers, type JobQueue } from './queue.js';

export interface LocalJobQueueOptions {
  readonly store: JobStore;
  readonly handlers: JobHandlers;
  readonly concurrency: number;
  /** Starts that may end in 'retry' before the job is given up. */
  readonly maxRuns: number;
  readonly logger?: Logger;
}

export class LocalJobQueue implements JobQueue {
  private readonly waiting: string[] = [];
  private readonly queued = new Set<string>();
  private readonly active = new Map<string, Promise<void>>();
  private readonly runs = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly controller = new AbortController();
  private started = false;

  constructor(private readonly options: LocalJobQueueOptions) {}

  async start(): Promise<void> {
    this.started = true;
    const { store } = this.options;
    for (;;) {
      const batch = await store.unfinished(500);
      const fresh = batch.filter((job) => !this.queued.has(job.id) && !this.active.has(job.id));
      for (const job of fresh) await this.addRun(job.id);
      if (batch.length < 500 || fresh.length === 0) break;
    }
    for (const job of await store.pendingWebhooks(10_000)) await this.addWebhook(job.id, new Date());
  }

  async addRun(id: string): Promise<void> {
    if (this.controller.signal.aborted || this.queued.has(id) || this.active.has(id)) return;
    this.queued.add(id);
    this.waiting.push(id);
    this.pump();
  }

  async addWebhook(id: string, at: Date): Promise<void> {
    this.later(Math.max(0, at.getTime() - Date.now()), () => {
      void this.options.handlers.webhook(id).then((next) => {
        if (next) void this.addWebhook(id, next);
      });
    });
  }

  async stop(): Promise<void> {
    this.controller.abort(new Error('the node is shutting down'));
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.waiting.length = 0;
    this.queued.clear();
    await Promise.all(this.active.values());
  }

  private pump(): void {
    if (!this.started) return;
    while (this.active.size < this.options.concurrency && this.waiting.length > 0) {
      const id = this.waiting.shift() as string;
      this.queued.delete(id);
      const run = this.runOnce(id).finally(() => {
        this.active.delete(id);
        this.pump();
      });
      this.active.set(id, run);
    }
  }

  private async runOnce(id: string): Promise<void> {
    const { handlers, maxRuns, logger } = this.options;
    const result = await handlers.run(id, this.controller.signal);
    if (result === 'done' || this.controller.signal.aborted) {
      this.runs.delete(id);
      return;
    }
    const runs = (this.runs.get(id) ?? 0) + 1;
    this.runs.set(id, runs);
    if (runs >= maxRuns) {
      this.runs.delete(id);
      await handlers.giveUp(id, `The job was retried ${runs} times without finishing.`);
      return;
    }
    logger?.info({ job: id, retryInMs: runBackoffMs(runs) }, 'job will run again');
    this.later(runBackoffMs(runs), () => void this.addRun(id));
  }

  private later(ms: number, fn: () => void): void {
    if (this.controller.signal.aborted) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }
}
