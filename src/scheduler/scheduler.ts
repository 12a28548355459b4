// The scheduler in front of one engine. Every synthesis request is admitted as a job (or refused
// at once with 429 when the queue is full or the estimated wait exceeds its deadline); each of
// its segments then waits in a fair queue (interactive before batch, owners round-robin) for one
// of the engine's slots (`capabilities.concurrency`). Engines that batch get up to `maxBatch`
// segments per call, or fewer once the first has waited `batchDelayMs` (Triton's semantics).
//
// The scheduler pumps each engine call itself and hands chunks to the job through a buffer, so a
// slot is freed when the engine is done, not when a slow client has read the audio. A segment
// whose worker died before any of its audio reached the client is retried (`crashRetries`);
// non-streamed jobs hold a segment's audio until it is complete, so for them that is always true.
//
// A job may have several segments in flight (long text pipelined by renderAudio, up to
// SEGMENT_LOOKAHEAD). The lowest one is due (playback waits for it); the others are look-ahead,
// which only ever uses capacity nobody else is waiting for: look-ahead segments wait in a queue
// of their own that is served only when no due segment waits, their audio is held until they
// become due, and a single-segment engine call of look-ahead gives its slot back (the call is
// stopped and the segment queued again) the moment another job's segment is waiting for one. A
// look-ahead segment that becomes due while still queued queues behind the jobs admitted before
// that moment. So one long request never delays a short one by more than an engine call takes
// to stop (or, with every slot on due segments, than one of its segments takes).
import { AppError } from '../errors/app-error.js';
import type { PcmChunk } from '../audio/pcm.js';
import type { Engine, SynthesisRequest } from '../engines/engine.js';
import { AsyncQueue } from '../util/async-queue.js';
import { isRetryableWorkerFailure } from '../workers/errors.js';
import { FairQueue, type Queueable } from './fair-queue.js';
import { ServiceRateEstimator, type EstimatorSnapshot } from './estimator.js';
import {
  DEFAULT_OWNER,
  JOB_OUTCOMES,
  PRIORITIES,
  type AdmitOptions,
  type JobInfo,
  type JobOutcome,
  type Priority,
  type Rejection,
  type SchedulerObserver,
} from './job.js';

export interface SchedulerOptions {
  /** Most jobs waiting to start; one more is refused with queue_full. */
  readonly queueMax: number;
  /** Default and longest queue-wait deadline (ms). */
  readonly deadlineMs: number;
  /** Retries of a segment whose worker died (or failed it retryably: CUDA OOM, NaN/silent output) before any of its audio was delivered. */
  readonly crashRetries: number;
  /** Batching engines: longest the first waiting segment waits for a fuller batch (ms). */
  readonly batchDelayMs: number;
  readonly estimator?: ServiceRateEstimator;
  /** How often queued jobs are checked against their deadlines (ms). */
  readonly sweepMs?: number;
}

/** What admission needs to know about a request's segments. */
export interface JobSpec {
  readonly requestId?: string;
  readonly stream: boolean;
  readonly segments: readonly { readonly text: string; readonly language: string; readonly speed: number }[];
}

export interface SchedulerStats {
  readonly slots: number;
  readonly running: number;
  readonly queued: Record<Priority, number>;
  /** Admitted jobs whose synthesis has not started. */
  readonly waitingJobs: number;
  /** Admitted jobs not yet finished. */
  readonly activeJobs: number;
  readonly outcomes: Record<JobOutcome, number>;
  readonly rejected: Record<Rejection, number>;
  readonly retries: number;
  readonly batches: number;
  /** Segments synthesized ahead of playback: waiting for a free slot, and in the engine now. */
  readonly lookahead: { readonly queued: number; readonly running: number };
  /** Look-ahead engine calls stopped to give their slot to a waiting segment (each is queued again). */
  readonly preemptions: number;
  readonly estimator: EstimatorSnapshot;
}

class Job implements JobInfo {
  startedAt: number | null = null;
  firstAudioAt: number | null = null;
  finishedAt: number | null = null;
  segmentsDone = 0;
  audioSeconds = 0;
  engineMs = 0;
  retries = 0;
  outcome: JobOutcome | null = null;
  errorCode: string | null = null;
  /** Some audio of this job has been handed to its consumer. */
  audioDelivered = false;
  /** Segments submitted so far: the next one's index (segments are submitted in order). */
  submitted = 0;
  /** When the first segment was submitted (null before): the queue wait starts there. */
  firstSubmittedAt: number | null = null;
  /** The job's segments in the queue or in the engine, in index order (several with look-ahead). */
  readonly tasks = new Map<number, Task>();
  private readonly finished = new Set<number>();

  constructor(
    readonly id: string,
    readonly seq: number,
    readonly requestId: string | undefined,
    readonly owner: string,
    readonly priority: Priority,
    readonly stream: boolean,
    readonly segmentMs: readonly number[],
    readonly admittedAt: number,
    readonly deadlineAt: number,
    /** Created by a direct synthesize() call, not by admission: settles with its one segment. */
    readonly implicit: boolean,
  ) {}

  /** The segment playback waits for: the lowest in flight. The others are look-ahead. */
  get due(): Task | undefined {
    for (const task of this.tasks.values()) return task;
    return undefined;
  }

  /**
   * When a job still waiting to start is refused: its deadline counts time in the queue, so the
   * request's own time between admission and its first segment (planning the audio path,
   * opening the encoder, starting the pipeline) moves it back. A job never submitted keeps the
   * plain deadline.
   */
  get queueDeadlineAt(): number {
    return this.firstSubmittedAt === null ? this.deadlineAt : this.deadlineAt + Math.max(0, this.firstSubmittedAt - this.admittedAt);
  }

  /** The due segment is in the engine (look-ahead alone does not hold a slot against others). */
  get dueRunning(): boolean {
    return this.due?.state === 'running';
  }

  get attempt(): number {
    const due = this.due;
    return due?.state === 'running' ? due.attempts : 0;
  }

  get segmentsAhead(): number {
    return Math.max(0, this.tasks.size - 1);
  }

  segmentFinished(index: number, audioSeconds = 0, engineMs = 0): void {
    if (!this.finished.has(index)) {
      this.segmentsDone++;
      this.audioSeconds += audioSeconds;
      this.engineMs += engineMs;
    }
    this.finished.add(index);
  }

  get segments(): number {
    return this.segmentMs.length;
  }
  get estimatedMs(): number {
    return this.segmentMs.reduce((a, b) => a + b, 0);
  }

  /** Estimated engine time still ahead of this job's completion (segments done ahead excluded). */
  remainingMs(now: number): number {
    let ms = 0;
    for (let i = 0; i < this.segmentMs.length; i++) if (!this.finished.has(i)) ms += this.segmentMs[i] as number;
    for (const t of this.tasks.values()) {
      if (t.state === 'running' && t.startedAt !== null) ms -= Math.min(now - t.startedAt, this.segmentMs[t.index] ?? 0);
    }
    return Math.max(0, ms);
  }

  /** Estimated engine time of the due segment now running, still ahead. */
  runningRemainingMs(now: number): number {
    const t = this.due;
    if (t?.state !== 'running' || t.startedAt === null) return 0;
    return Math.max(0, (this.segmentMs[t.index] ?? 0) - (now - t.startedAt));
  }
}

interface Task extends Queueable {
  /** [job sequence, segment index]; a look-ahead segment that becomes due while queued is re-keyed (finishTask). */
  order: readonly [number, number];
  readonly job: Job;
  /** The segment's index in its job. */
  readonly index: number;
  readonly request: SynthesisRequest;
  /** The segment's life: aborted when its caller leaves or its job ends. */
  readonly controller: AbortController;
  readonly sink: AsyncQueue<PcmChunk>;
  readonly enqueuedAt: number;
  state: 'queued' | 'running' | 'done';
  startedAt: number | null;
  attempts: number;
  /** Look-ahead: not yet the segment its job's playback waits for. */
  ahead: boolean;
  /** Shares its engine call with other segments (a batch): never preempted. */
  batched: boolean;
  /** When its look-ahead call was stopped to free the slot (null: it was not). */
  preemptedAt: number | null;
  /** The current engine call's own signal: stopping it alone is a preemption. */
  call: AbortController | null;
  /** Audio held back: all of a whole-file job's segment, and a look-ahead segment's until it is due. */
  held: PcmChunk[];
  /** Some of this attempt's audio has reached the sink (the segment can no longer be retried). */
  delivered: boolean;
  /** Undoes the link from the caller's signal. */
  unlink: () => void;
}

export class Scheduler {
  private engine: Engine;
  /** Due segments (a job's first, or the one its playback waits for). */
  private readonly queue = new FairQueue<Task>();
  /** Look-ahead segments: served only when no due segment waits. */
  private readonly lookahead = new FairQueue<Task>();
  private readonly runningTasks = new Set<Task>();
  /** Look-ahead calls stopped for a waiting segment whose engine call has not returned yet. */
  private readonly preempting = new Set<Task>();
  private preemptions = 0;
  private dispatching = false;
  private dispatchAgain = false;
  private readonly jobs = new Set<Job>();
  private readonly observers = new Set<SchedulerObserver>();
  readonly estimator: ServiceRateEstimator;
  private running = 0;
  /** Running engine calls per engine instance, so a replaced engine is closed when idle. */
  private readonly runningOn = new Map<Engine, number>();
  private readonly idleWaiters = new Map<Engine, (() => void)[]>();
  private seq = 0;
  private closed = false;
  private batchTimer: NodeJS.Timeout | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  private readonly outcomes = Object.fromEntries(JOB_OUTCOMES.map((o) => [o, 0])) as Record<JobOutcome, number>;
  private readonly rejected: Record<Rejection, number> = { queue_full: 0, overloaded: 0 };
  private retries = 0;
  private batches = 0;

  constructor(
    engine: Engine,
    private readonly options: SchedulerOptions,
  ) {
    this.engine = engine;
    this.estimator = options.estimator ?? new ServiceRateEstimator({ initialRtf: engine.capabilities.rtf });
  }

  get current(): Engine {
    return this.engine;
  }

  /** Engine calls that may run at once: the engine's declared concurrency. */
  get slots(): number {
    return Math.max(1, this.engine.capabilities.concurrency);
  }

  observe(observer: SchedulerObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  start(): void {
    if (this.sweeper || this.closed) return;
    const every = this.options.sweepMs ?? Math.max(10, Math.min(1000, Math.floor(this.options.deadlineMs / 4)));
    this.sweeper = setInterval(() => this.sweep(), every);
    this.sweeper.unref();
  }

  /**
   * Admits a job or throws 429 (queue_full / overloaded, with Retry-After) at once. The caller
   * must settle() the job when it ends, however it ends.
   */
  admit(spec: JobSpec, options: AdmitOptions = {}): Job {
    if (this.closed) throw new AppError('shutting_down');
    const now = performance.now();
    const owner = options.owner ?? DEFAULT_OWNER;
    const priority = options.priority ?? (spec.stream ? 'interactive' : 'batch');
    const deadlineMs = Math.max(1, Math.min(options.deadlineMs ?? this.options.deadlineMs, this.options.deadlineMs));
    const waiting = this.waitingJobs();
    const { waitMs, idleSlot } = this.estimateWait(priority, now);
    // A job that an idle slot takes at once is never refused, whatever the estimates or the
    // count of jobs admitted but not yet queued say.
    if (!idleSlot && waiting >= this.options.queueMax) {
      throw this.reject('queue_full', owner, priority, waitMs, (s) => `The synthesis queue is full (${waiting} jobs waiting, estimated wait ${Math.ceil(waitMs)} ms); retry after ${s} s.`);
    }
    if (!idleSlot && waitMs > deadlineMs) {
      throw this.reject(
        'overloaded',
        owner,
        priority,
        waitMs,
        (s) => `The estimated wait (${Math.ceil(waitMs)} ms) exceeds this request's deadline (${deadlineMs} ms); retry after ${s} s.`,
      );
    }
    const segmentMs = spec.segments.map((s) => this.estimator.estimate(s.text, s.language, s.speed).engineMs);
    const seq = ++this.seq;
    const job = new Job(`job_${seq}`, seq, spec.requestId, owner, priority, spec.stream, segmentMs, now, now + deadlineMs, false);
    this.jobs.add(job);
    this.emit((o) => o.admitted?.(job));
    return job;
  }

  /**
   * Queues the job's next segment (segments are submitted in order; several may be in flight);
   * the returned stream yields its audio.
   */
  submit(job: Job, request: SynthesisRequest, signal?: AbortSignal): AsyncIterable<PcmChunk> {
    const controller = new AbortController();
    const sink = new AsyncQueue<PcmChunk>(() => controller.abort());
    const index = job.submitted++;
    if (job.outcome !== null) {
      sink.fail(new AppError('cancelled', 'The job has already ended.'));
      return sink;
    }
    if (this.closed) {
      sink.fail(new AppError('shutting_down'));
      return sink;
    }
    const forward = () => controller.abort();
    signal?.addEventListener('abort', forward, { once: true });
    const now = performance.now();
    job.firstSubmittedAt ??= now;
    const task: Task = {
      job,
      index,
      owner: job.owner,
      priority: job.priority,
      order: [job.seq, index],
      request,
      controller,
      sink,
      enqueuedAt: now,
      state: 'queued',
      startedAt: null,
      attempts: 0,
      ahead: job.tasks.size > 0,
      batched: false,
      preemptedAt: null,
      call: null,
      held: [],
      delivered: false,
      unlink: () => signal?.removeEventListener('abort', forward),
    };
    job.tasks.set(index, task);
    if (signal?.aborted) controller.abort();
    if (controller.signal.aborted) {
      this.finishTask(task);
      sink.fail(new AppError('cancelled'));
      return sink;
    }
    controller.signal.addEventListener('abort', () => this.onTaskAbort(task), { once: true });
    this.enqueue(task);
    this.queueChanged();
    this.dispatch();
    return sink;
  }

  /** A job that never went through admission (a direct engine call): queued, but never refused. */
  implicitJob(request: SynthesisRequest): Job {
    const seq = ++this.seq;
    const now = performance.now();
    const ms = this.estimator.estimate(request.text, request.language, request.speed).engineMs;
    const job = new Job(`job_${seq}`, seq, request.requestId, DEFAULT_OWNER, 'batch', true, [ms], now, Number.POSITIVE_INFINITY, true);
    this.jobs.add(job);
    return job;
  }

  /** Ends a job: `error` null for success. Idempotent; aborts a segment still queued or running. */
  settle(job: Job, error: unknown): void {
    if (job.outcome !== null) return;
    const code = error instanceof AppError ? error.code : error === null ? null : isCancel(error) ? 'cancelled' : 'internal';
    const outcome: JobOutcome =
      error === null
        ? 'completed'
        : code === 'cancelled'
          ? 'cancelled'
          : code === 'deadline_exceeded'
            ? 'expired'
            : job.stream && job.audioDelivered
              ? 'truncated'
              : 'failed';
    job.outcome = outcome;
    job.errorCode = code;
    job.finishedAt = performance.now();
    this.jobs.delete(job);
    this.outcomes[outcome]++;
    for (const task of [...job.tasks.values()]) task.controller.abort();
    this.emit((o) => o.settled?.(job));
  }

  stats(): SchedulerStats {
    return {
      slots: this.slots,
      running: this.running,
      queued: { interactive: this.queue.sizeOf('interactive'), batch: this.queue.sizeOf('batch') },
      waitingJobs: this.waitingJobs(),
      activeJobs: this.jobs.size,
      outcomes: { ...this.outcomes },
      rejected: { ...this.rejected },
      retries: this.retries,
      batches: this.batches,
      lookahead: { queued: this.lookahead.size, running: [...this.runningTasks].filter((t) => t.ahead).length },
      preemptions: this.preemptions,
      estimator: this.estimator.snapshot(),
    };
  }

  /** Jobs admitted and not finished (for the admin API and tests). */
  activeJobs(): JobInfo[] {
    return [...this.jobs];
  }

  /**
   * Estimated queue wait for a new job of this priority (ms): how soon one of the engine's slots
   * is free for it. Against waiting work a job holds one slot (its due segment; its look-ahead
   * gives way), so its remaining work is not spread over the slots: each job with a due segment
   * running keeps its slot for its estimated remaining work, each job still waiting ahead takes
   * the slot that frees first, and the new job waits for the earliest slot after that. A slot
   * running look-ahead counts as free. Interactive jobs overtake batch jobs, except for the
   * segment a batch job is running. 0 when a slot is idle and no job is waiting ahead for it:
   * however long the other slots stay busy, that job starts at once.
   */
  estimateWaitMs(priority: Priority, now = performance.now()): number {
    return this.estimateWait(priority, now).waitMs;
  }

  /** estimateWaitMs, and whether an idle slot takes the job at once (never an estimate). */
  private estimateWait(priority: Priority, now: number): { waitMs: number; idleSlot: boolean } {
    const overtakes = (job: Job) => priority === 'interactive' && job.priority === 'batch';
    // Jobs not running (not started, or between two segments and about to queue the next) that
    // go before this one. Engine calls, not jobs, hold slots (a batching engine runs several
    // jobs in one call).
    let ahead = 0;
    for (const job of this.jobs) if (!job.dueRunning && !overtakes(job)) ahead++;
    // Calls that keep their slot: all but single look-ahead calls, which give it back.
    let keep = this.running;
    for (const t of this.runningTasks) if (t.ahead && !t.batched) keep--;
    if (this.slots - keep > ahead) return { waitMs: 0, idleSlot: true };
    const free = new Float64Array(this.slots);
    const earliest = () => {
      let best = 0;
      for (let i = 1; i < free.length; i++) if ((free[i] as number) < (free[best] as number)) best = i;
      return best;
    };
    // Running jobs first, one to a slot; then the jobs ahead in admission order (the Set's).
    let i = 0;
    for (const job of this.jobs) {
      if (!job.dueRunning) continue;
      const slot = i < free.length ? i : earliest();
      i++;
      free[slot] = (free[slot] as number) + (overtakes(job) ? job.runningRemainingMs(now) : job.remainingMs(now));
    }
    for (const job of this.jobs) {
      if (job.dueRunning || overtakes(job)) continue;
      const slot = earliest();
      free[slot] = (free[slot] as number) + job.remainingMs(now);
    }
    return { waitMs: free[earliest()] as number, idleSlot: false };
  }

  /**
   * Routes new segments to `next` (already started); resolves when the previous engine has no
   * running call left, and returns it for the caller to close.
   */
  async swap(next: Engine): Promise<Engine> {
    const previous = this.engine;
    this.engine = next;
    this.dispatch();
    if ((this.runningOn.get(previous) ?? 0) > 0) {
      await new Promise<void>((resolve) => {
        const list = this.idleWaiters.get(previous) ?? [];
        list.push(resolve);
        this.idleWaiters.set(previous, list);
      });
    }
    return previous;
  }

  /** Stops admitting; fails queued segments with shutting_down; resolves when nothing runs. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    if (this.batchTimer) clearTimeout(this.batchTimer);
    for (const task of [...this.queue, ...this.lookahead]) {
      this.dequeue(task);
      this.finishTask(task);
      task.sink.fail(new AppError('shutting_down'));
    }
    this.queueChanged();
    const engines = [...this.runningOn.entries()].filter(([, n]) => n > 0).map(([e]) => e);
    await Promise.all(
      engines.map(
        (engine) =>
          new Promise<void>((resolve) => {
            const list = this.idleWaiters.get(engine) ?? [];
            list.push(resolve);
            this.idleWaiters.set(engine, list);
          }),
      ),
    );
  }

  /**
   * A 429 whose Retry-After is the estimated wait its message states, in whole seconds rounded
   * up (`message` receives those seconds).
   */
  private reject(reason: Rejection, owner: string, priority: Priority, waitMs: number, message: (seconds: number) => string): AppError {
    this.rejected[reason]++;
    const retryAfterSeconds = waitSeconds(waitMs);
    this.emit((o) => o.rejected?.(reason, { owner, priority, estimatedWaitMs: waitMs, retryAfterSeconds }));
    return new AppError(reason, message(retryAfterSeconds), { retryAfterSeconds });
  }

  private waitingJobs(): number {
    let n = 0;
    for (const job of this.jobs) if (job.startedAt === null && !job.implicit) n++;
    return n;
  }

  private onTaskAbort(task: Task): void {
    if (task.state !== 'queued') return; // a running call sees the signal itself
    this.dequeue(task);
    this.queueChanged();
    this.finishTask(task);
    task.sink.fail(new AppError('cancelled'));
    if (task.job.implicit) this.settle(task.job, new AppError('cancelled'));
    this.dispatch();
  }

  private enqueue(task: Task): void {
    (task.ahead ? this.lookahead : this.queue).push(task);
  }

  private dequeue(task: Task): void {
    if (!this.queue.remove(task)) this.lookahead.remove(task);
  }

  /** A segment leaves its job's flight; the next one, if look-ahead until now, becomes due. */
  private finishTask(task: Task): void {
    task.state = 'done';
    task.unlink();
    const job = task.job;
    if (job.tasks.get(task.index) !== task) return;
    job.tasks.delete(task.index);
    const next = job.due;
    if (!next?.ahead) return;
    next.ahead = false;
    if (next.state === 'queued') {
      // It queues behind every job admitted so far, as a job admitted now would: with its
      // successors always queued, a long job would otherwise keep the slot from the requests of
      // its owner that came after it (their own owner's oldest job goes first).
      this.lookahead.remove(next);
      next.order = [this.seq + 0.5, next.index];
      this.queue.push(next);
    } else if (next.state === 'running' && next.preemptedAt === null && job.stream) {
      // Running ahead, now due: what it held goes to the client, the rest streams as it comes.
      for (const chunk of next.held) next.sink.push(chunk);
      if (next.held.length > 0) {
        next.delivered = true;
        job.audioDelivered = true;
      }
      next.held = [];
    }
  }

  /**
   * Starts queued segments on free slots: due segments first, look-ahead only when none waits.
   * `handoverAt`: the slot just freed was given back by look-ahead at that time, for a segment
   * waiting then, whose deadline is judged at that time (stopping the call is not queueing).
   */
  private dispatch(handoverAt?: number): void {
    // Re-entrant calls (a task settled while dispatching aborts its job's others) run once more
    // after the current pass instead of inside it.
    if (this.dispatching) {
      this.dispatchAgain = true;
      return;
    }
    this.dispatching = true;
    try {
      do {
        this.dispatchAgain = false;
        this.dispatchOnce(handoverAt);
        handoverAt = undefined;
      } while (this.dispatchAgain);
    } finally {
      this.dispatching = false;
    }
  }

  private dispatchOnce(handoverAt: number | undefined): void {
    if (this.batchTimer) {
      clearTimeout(this.batchTimer);
      this.batchTimer = null;
    }
    const caps = this.engine.capabilities;
    const maxBatch = caps.batching.supported && this.engine.synthesizeBatch ? Math.max(1, caps.batching.maxBatch) : 1;
    while (this.queue.size + this.lookahead.size > 0) {
      if (this.running >= this.slots) {
        this.preemptForWaiting();
        return;
      }
      const waiting = this.queue.size + this.lookahead.size;
      if (maxBatch > 1 && waiting < maxBatch && this.options.batchDelayMs > 0) {
        const oldest = Math.min(...[...this.queue, ...this.lookahead].map((t) => t.enqueuedAt));
        const waitMore = oldest + this.options.batchDelayMs - performance.now();
        if (waitMore > 0) {
          this.batchTimer = setTimeout(() => this.dispatch(), Math.ceil(waitMore));
          return;
        }
      }
      const batch: Task[] = [];
      while (batch.length < maxBatch) {
        const task = this.queue.shift() ?? this.lookahead.shift();
        if (!task) break;
        const at = handoverAt;
        handoverAt = undefined;
        if (this.expired(task, at)) continue;
        batch.push(task);
      }
      this.queueChanged();
      if (batch.length === 0) continue;
      if (batch.length === 1 || !this.engine.synthesizeBatch) for (const t of batch) this.run([t]);
      else this.run(batch);
    }
  }

  /**
   * Every slot is busy: stop look-ahead calls to free one for each due segment waiting (beyond
   * those already being freed), the most recently started first (the least work lost). A
   * stopped segment is queued again and runs when a slot is free once more.
   */
  private preemptForWaiting(): void {
    let wanted = this.queue.size - this.preempting.size;
    while (wanted > 0) {
      let victim: Task | null = null;
      for (const t of this.runningTasks) {
        if (!t.ahead || t.batched || t.preemptedAt !== null || !t.call) continue;
        if (!victim || (t.startedAt ?? 0) > (victim.startedAt ?? 0)) victim = t;
      }
      if (!victim) return;
      victim.preemptedAt = performance.now();
      this.preempting.add(victim);
      this.preemptions++;
      victim.call?.abort();
      wanted--;
    }
  }

  /** A slot is being given back (preemption in flight) for segments that were waiting before `deadlineAt`. */
  private handoverPending(deadlineAt: number): boolean {
    for (const t of this.preempting) if ((t.preemptedAt ?? Infinity) <= deadlineAt) return true;
    return false;
  }

  /** A job still waiting to start at its deadline is refused rather than started late. */
  private expired(task: Task, handoverAt?: number): boolean {
    const job = task.job;
    if (job.startedAt !== null || (handoverAt ?? performance.now()) <= job.queueDeadlineAt) return false;
    this.finishTask(task);
    const waitMs = this.estimateWaitMs(job.priority);
    const retryAfterSeconds = waitSeconds(waitMs);
    const error = new AppError(
      'deadline_exceeded',
      `The request waited ${Math.round(performance.now() - job.admittedAt)} ms in the queue, past its deadline; the estimated wait is now ${Math.ceil(waitMs)} ms, retry after ${retryAfterSeconds} s.`,
      { retryAfterSeconds },
    );
    task.sink.fail(error);
    this.settle(job, error);
    return true;
  }

  private sweep(): void {
    const now = performance.now();
    let changed = false;
    for (const task of [...this.queue]) {
      if (task.job.startedAt === null && now > task.job.queueDeadlineAt && !this.handoverPending(task.job.queueDeadlineAt)) {
        this.queue.remove(task);
        changed = true;
        this.expired(task);
      }
    }
    if (changed) this.queueChanged();
    // A job admitted but never submitted: its request failed between planning and rendering
    // without settling it. Its own deadline cannot say so, since the request's work before its
    // first segment does not count against it (queueDeadlineAt), however long it takes: a sweep
    // that judged it by its deadline cancelled a slow-to-plan request with a short one (seen as
    // "The job has already ended" in test/scheduler/admission.test.ts on a loaded CI machine).
    // The longest deadline any request may have is the bound for one that is truly abandoned.
    for (const job of [...this.jobs]) {
      if (job.startedAt === null && job.tasks.size === 0 && now > job.admittedAt + this.options.deadlineMs) this.settle(job, new AppError('deadline_exceeded'));
    }
  }

  private run(tasks: Task[]): void {
    const engine = this.engine;
    const now = performance.now();
    this.running++;
    this.runningOn.set(engine, (this.runningOn.get(engine) ?? 0) + 1);
    for (const task of tasks) {
      task.state = 'running';
      task.startedAt = now;
      task.batched = tasks.length > 1;
      task.preemptedAt = null;
      this.runningTasks.add(task);
      const job = task.job;
      if (job.startedAt === null) {
        job.startedAt = now;
        this.emit((o) => o.started?.(job, now - job.admittedAt));
      }
    }
    if (tasks.length > 1) this.batches++;
    this.emit((o) => o.batch?.(tasks.length));
    const work = tasks.length === 1 ? this.pump(tasks[0] as Task, engine) : this.pumpBatch(tasks, engine);
    void work.finally(() => {
      this.running--;
      let handoverAt: number | undefined;
      for (const task of tasks) {
        this.runningTasks.delete(task);
        if (this.preempting.delete(task)) handoverAt = task.preemptedAt ?? undefined;
      }
      const left = (this.runningOn.get(engine) ?? 1) - 1;
      this.runningOn.set(engine, left);
      if (left === 0) {
        this.runningOn.delete(engine);
        for (const resolve of this.idleWaiters.get(engine) ?? []) resolve();
        this.idleWaiters.delete(engine);
      }
      this.dispatch(handoverAt);
    });
  }

  private async pumpBatch(tasks: Task[], engine: Engine): Promise<void> {
    const started = performance.now();
    let streams: AsyncIterable<PcmChunk>[];
    try {
      streams = (engine.synthesizeBatch as NonNullable<Engine['synthesizeBatch']>).call(
        engine,
        tasks.map((t) => t.request),
        { signals: tasks.map((t) => this.beginCall(t)) },
      );
    } catch (err) {
      for (const task of tasks) this.fail(task, err);
      return;
    }
    for (const task of tasks) task.attempts = 1;
    const results = await Promise.all(
      tasks.map((task, i) =>
        this.consume(task, streams[i] as AsyncIterable<PcmChunk>, true).catch(async (err: unknown) => {
          // A lost worker's segment runs again on its own (still holding this call's slot).
          this.noteRetry(task, err);
          await this.pump(task, engine);
          return null;
        }),
      ),
    );
    // The batch's time is shared by its segments in proportion to their audio.
    const done = results.map((r) => (r === PREEMPTED ? null : r));
    const total = done.reduce((a, r) => a + (r?.audioSeconds ?? 0), 0);
    const ms = performance.now() - started;
    for (const [i, r] of done.entries()) {
      if (!r) continue;
      const task = tasks[i] as Task;
      this.segmentFinished(task, r.audioSeconds, total > 0 ? (ms * r.audioSeconds) / total : ms / tasks.length);
    }
  }

  private async pump(task: Task, engine: Engine): Promise<void> {
    for (;;) {
      task.attempts++;
      const started = performance.now();
      let stream: AsyncIterable<PcmChunk>;
      try {
        stream = engine.synthesize(task.request, { signal: this.beginCall(task) });
      } catch (err) {
        this.fail(task, err);
        return;
      }
      let result: Awaited<ReturnType<Scheduler['consume']>>;
      try {
        result = await this.consume(task, stream, true);
      } catch (err) {
        // consume() rethrows only a lost worker whose segment may be retried.
        this.noteRetry(task, err);
        continue;
      }
      if (result === PREEMPTED) this.requeue(task);
      else if (result) this.segmentFinished(task, result.audioSeconds, performance.now() - started);
      return;
    }
  }

  /** A new engine call for the task: its signal follows the task's, and stops alone on preemption. */
  private beginCall(task: Task): AbortSignal {
    const call = new AbortController();
    const forward = () => call.abort();
    if (task.controller.signal.aborted) call.abort();
    else task.controller.signal.addEventListener('abort', forward, { once: true });
    call.signal.addEventListener('abort', () => task.controller.signal.removeEventListener('abort', forward), { once: true });
    task.call = call;
    task.held = [];
    task.delivered = false;
    return call.signal;
  }

  /** A preempted look-ahead segment waits again; its attempt does not count against retries. */
  private requeue(task: Task): void {
    task.state = 'queued';
    task.startedAt = null;
    task.call = null;
    task.held = [];
    task.attempts--;
    this.enqueue(task);
    this.queueChanged();
  }

  /**
   * Moves one engine stream into the task's sink. Returns the audio length on success, null when
   * the task failed (its sink is failed), PREEMPTED when its call was stopped to free the slot;
   * with `retryable`, rethrows a lost-worker error when the segment can run again.
   */
  private async consume(task: Task, stream: AsyncIterable<PcmChunk>, retryable = false): Promise<{ audioSeconds: number } | null | typeof PREEMPTED> {
    const job = task.job;
    const call = task.call as AbortController;
    let seconds = 0;
    try {
      for await (const chunk of stream) {
        // Leaving the loop returns the engine's iterator, which stops its work.
        if (call.signal.aborted) break;
        if (job.firstAudioAt === null) {
          job.firstAudioAt = performance.now();
          this.emit((o) => o.firstAudio?.(job, (job.firstAudioAt as number) - job.admittedAt));
        }
        seconds += chunk.samples.length / chunk.sampleRate;
        if (job.stream && !task.ahead) {
          task.sink.push(chunk);
          task.delivered = true;
          job.audioDelivered = true;
        } else task.held.push(chunk);
      }
    } catch (err) {
      if (task.controller.signal.aborted) {
        this.fail(task, new AppError('cancelled'));
        return null;
      }
      if (task.preemptedAt !== null) return PREEMPTED;
      if (retryable && !task.delivered && isRetryableWorkerFailure(err) && task.attempts <= this.options.crashRetries && !this.closed) throw err;
      this.fail(task, err);
      return null;
    }
    if (task.controller.signal.aborted && !task.sink.finished) {
      this.fail(task, new AppError('cancelled'));
      return null;
    }
    if (task.preemptedAt !== null) return PREEMPTED;
    for (const chunk of task.held) task.sink.push(chunk);
    if (task.held.length > 0) job.audioDelivered = true;
    task.held = [];
    return { audioSeconds: seconds };
  }

  private noteRetry(task: Task, error: unknown): void {
    this.retries++;
    task.job.retries++;
    this.emit((o) => o.retried?.(task.job, error));
  }

  private segmentFinished(task: Task, audioSeconds: number, engineMs: number): void {
    const job = task.job;
    const r = task.request;
    this.estimator.observe(r.text, r.language, r.speed, audioSeconds, engineMs);
    this.emit((o) => o.segmentDone?.({ audioSeconds, engineMs }));
    job.segmentFinished(task.index, audioSeconds, engineMs);
    this.finishTask(task);
    task.sink.end();
    if (job.implicit) this.settle(job, null);
  }

  private fail(task: Task, error: unknown): void {
    const job = task.job;
    this.finishTask(task);
    const appError = error instanceof AppError ? error : new AppError('engine_failed', `The engine failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    task.sink.fail(appError);
    if (job.implicit) this.settle(job, appError);
    // Playback stops at this segment, so what was synthesized beyond it would never be heard.
    for (const later of [...job.tasks.values()]) if (later.index > task.index) later.controller.abort();
  }

  private queueChanged(): void {
    // Runs several times per request; the depth record is built only for an observer that
    // asked for it (the service's metrics read stats() at scrape time instead).
    let wanted = false;
    for (const o of this.observers) if (o.queue) wanted = true;
    if (!wanted) return;
    const depth = Object.fromEntries(PRIORITIES.map((p) => [p, this.queue.sizeOf(p)])) as Record<Priority, number>;
    this.emit((o) => o.queue?.(depth));
  }

  private emit(call: (o: SchedulerObserver) => void): void {
    for (const o of this.observers) {
      try {
        call(o);
      } catch {
        // An observer (metrics, logs) must never break scheduling.
      }
    }
  }
}

/** An estimated wait as Retry-After: whole seconds, rounded up, at least 1. */
function waitSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}

/** consume(): the call was stopped to give its slot to a waiting segment. */
const PREEMPTED = Symbol('preempted');

function isCancel(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

export type { Job };
