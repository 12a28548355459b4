// Supervises a fixed number of worker slots (one per GPU). Each slot runs one worker process;
// segments go to the least busy ready worker (at most its concurrency each) or wait here.
//
// - Crash: a worker's in-flight segments fail with WorkerLostError (the scheduler retries those
//   that sent no audio) and the slot respawns at once — or, after consecutive failed starts
//   (exits before being ready, or before finishing a job or staying up a while), with
//   exponential backoff. A slot in such a crash loop does not count as ready until a worker in
//   it proves itself, so /readyz stays red instead of flapping.
// - Recycling (after N segments, T minutes, an RSS or GPU-memory watermark, or RTF degraded
//   against the worker's own baseline; also the admin API's restarts): the replacement starts
//   first; once it is ready the old worker takes no new segments, drains with a timeout, and stops.
import { EventEmitter } from 'node:events';
import { AppError } from '../errors/app-error.js';
import type { EngineHealth, VoicePrompt } from '../engines/engine.js';
import { GpuMemoryProbe } from './gpu-memory.js';
import type { WireRequest, WireVoice } from './protocol.js';
import { WorkerProcess, type ExitInfo, type SegmentSink, type WorkerSpec, type WorkerTimings } from './worker-process.js';

export interface RecyclePolicy {
  /** Segments per worker (0 = off). */
  readonly maxJobs: number;
  /** Age of a worker (0 = off). */
  readonly maxAgeMs: number;
  readonly rssBytes: number;
  readonly gpuBytes: number;
  /** Recycle when the RTF is this fraction worse than the worker's baseline (0.5 = 50%; 0 = off). */
  readonly rtfDegradation: number;
  /** Segments that make up a worker's RTF baseline. */
  readonly baselineJobs: number;
}

export interface SupervisorLog {
  (level: 'info' | 'warn' | 'error' | 'debug', fields: object, msg: string): void;
}

export interface SupervisorOptions {
  /** Engine name (ids, logs, metrics). */
  readonly name: string;
  readonly size: number;
  /** Command, arguments and environment of the worker in a slot (CUDA_VISIBLE_DEVICES per slot). */
  readonly spec: (slot: number) => WorkerSpec;
  readonly timings: WorkerTimings;
  readonly drainTimeoutMs: number;
  readonly recycle: RecyclePolicy;
  readonly backoff: { readonly baseMs: number; readonly maxMs: number };
  /** Consecutive failed starts after which a slot counts as crash-looping. */
  readonly crashLoopAfter: number;
  /** What every worker must report in `ready`. */
  readonly expect: { readonly name: string; readonly sampleRate: number };
  /** True when workers need prepare_voice before synthesizing a cloned voice. */
  readonly preparesVoices: boolean;
  readonly log: SupervisorLog;
  readonly gpu?: GpuMemoryProbe;
}

export interface WorkerInfo {
  readonly id: string;
  readonly slot: number;
  readonly pid: number | null;
  readonly state: string;
  readonly startedAt: string;
  readonly uptimeSeconds: number;
  readonly ready: boolean;
  readonly jobsDone: number;
  readonly jobsFailed: number;
  /** The worker's failed segments by the code it gave (e.g. `bad_audio`: NaN or silent output, `out_of_memory`). */
  readonly failures: Readonly<Record<string, number>>;
  readonly active: number;
  readonly concurrency: number;
  /** Per-call state the worker's model holds, from its last stats (0 when idle; growth is a leak); null when not reported. */
  readonly sessions: number | null;
  readonly memory: {
    readonly rssBytes: number | null;
    readonly gpuBytes: number | null;
    /** torch.cuda counters after the worker's last segment (GPU workers that report them). */
    readonly gpuLastJob: { readonly allocatedBytes: number; readonly reservedBytes: number; readonly peakBytes: number } | null;
  };
  readonly rtf: { readonly current: number | null; readonly baseline: number | null };
  readonly device: { readonly cudaVisibleDevices: string | null; readonly fp16: boolean } | null;
  /** Why the supervisor is replacing this worker, when it is. */
  readonly retiring: string | null;
  /** What the worker reported for operators (e.g. `fp16_unsafe`), newest last. */
  readonly warnings: readonly { readonly code: string; readonly message: string; readonly at: string }[];
  /** Earlier workers of this slot that were replaced, newest first: when and why. */
  readonly restarts: readonly { readonly at: string; readonly reason: string; readonly worker: string }[];
}

/** `dispatch`: a segment was sent to a worker; `segment-audio`: its first audio came back. */
export interface SegmentEvent {
  readonly worker: string;
  readonly pid: number | null;
}

/** `segment-done`: a worker finished a segment, in `ms` of its own time (its engine call). */
export interface SegmentDoneEvent extends SegmentEvent {
  readonly ms: number;
  readonly samples: number;
}

export interface WorkerExitEvent {
  readonly slot: number;
  readonly worker: string;
  /** `retired` after a recycle or admin restart, `shutdown` when the service stops, else the failure. */
  readonly reason: string;
  readonly jobsDone: number;
}

/** `segment-failed`: a worker failed a segment (not a cancel) with this code. */
export interface SegmentFailedEvent {
  readonly worker: string;
  readonly code: string;
}

export interface WorkerWarningEvent {
  readonly worker: string;
  readonly code: string;
  readonly message: string;
}

export interface RestartEvent {
  readonly slot: number;
  readonly worker: string;
  readonly reason: string;
}

interface Slot {
  readonly index: number;
  current: WorkerProcess | null;
  /** A replacement being started while `current` still serves. */
  next: WorkerProcess | null;
  replacing: Promise<void> | null;
  generation: number;
  /** Consecutive failed starts. */
  failures: number;
  backoffUntil: number | null;
  backoffTimer: NodeJS.Timeout | null;
  stableTimer: NodeJS.Timeout | null;
  restarts: { at: string; reason: string; worker: string }[];
  /** Why the last failed start failed: the worker's own `fatal` message when it sent one. */
  lastFailure: string | null;
}

/** One segment of a pending engine call. */
interface PendingItem {
  readonly request: WireRequest;
  readonly prompt: VoicePrompt | undefined;
  readonly sink: SegmentSink;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

/** An engine call waiting for a worker: one segment, or a batch that goes to one worker together. */
interface Pending {
  readonly items: PendingItem[];
  readonly enqueuedAt: number;
}

/** A segment for run()/runBatch(). */
export interface SegmentJob {
  readonly request: WireRequest;
  readonly sink: SegmentSink;
  readonly signal?: AbortSignal;
  readonly prompt?: VoicePrompt;
}

interface WorkerRtf {
  samples: number[];
  baseline: number | null;
  current: number | null;
  since: number;
}

const RTF_MIN_AUDIO_SECONDS = 0.25;
/** Cloned voices a new worker prepares before it takes segments (the most recently used; others on first use). */
const PREPARE_ON_START = 16;

export class Supervisor extends EventEmitter {
  private readonly slots: Slot[];
  private readonly retiring = new Set<WorkerProcess>();
  private readonly pending: Pending[] = [];
  private readonly rtf = new WeakMap<WorkerProcess, WorkerRtf>();
  private readonly prompts = new Map<string, VoicePrompt>();
  private tick: NodeJS.Timeout | null = null;
  private ticks = 0;
  private closed = false;
  private started: Promise<void> | null = null;

  constructor(readonly options: SupervisorOptions) {
    super();
    this.slots = Array.from({ length: options.size }, (_, index) => ({
      index,
      current: null,
      next: null,
      replacing: null,
      generation: 0,
      failures: 0,
      backoffUntil: null,
      backoffTimer: null,
      stableTimer: null,
      restarts: [],
      lastFailure: null,
    }));
  }

  /** Starts every slot; resolves when each first start has succeeded or failed (failures keep retrying). */
  start(): Promise<void> {
    this.started ??= (async () => {
      const every = Math.max(10, this.options.timings.heartbeatMs);
      this.tick = setInterval(() => this.onTick(), every);
      this.tick.unref();
      await Promise.all(this.slots.map((slot) => this.spawnInto(slot).catch(() => {})));
    })();
    return this.started;
  }

  health(): EngineHealth {
    if (this.closed) return { ready: false, detail: 'closed' };
    const healthy = this.slots.filter((s) => s.current?.state === 'ready' && s.failures < this.options.crashLoopAfter).length;
    const looping = this.slots.filter((s) => s.failures >= this.options.crashLoopAfter);
    if (healthy === 0) {
      if (looping.length > 0) {
        const s = looping[0] as Slot;
        const wait = s.backoffUntil === null ? 0 : Math.max(0, s.backoffUntil - Date.now());
        return {
          ready: false,
          detail: `${looping.length} of ${this.slots.length} worker slot(s) crash-looping (slot ${s.index}: ${s.failures} failed starts; next start in ${(wait / 1000).toFixed(1)} s)${s.lastFailure ? `: ${s.lastFailure}` : ''}`,
        };
      }
      return { ready: false, detail: 'worker processes are starting' };
    }
    return healthy < this.slots.length ? { ready: true, detail: `${healthy} of ${this.slots.length} workers ready` } : { ready: true };
  }

  /** Sends a segment to a worker now, or queues it until one has room. */
  run(request: WireRequest, sink: SegmentSink, signal?: AbortSignal, prompt?: VoicePrompt): void {
    this.runBatch([{ request, sink, ...(signal ? { signal } : {}), ...(prompt ? { prompt } : {}) }]);
  }

  /** Several segments as one engine call on one worker (a batch); each has its own sink and signal. */
  runBatch(jobs: readonly SegmentJob[]): void {
    const live: SegmentJob[] = [];
    for (const job of jobs) {
      if (this.closed) job.sink.error(new AppError('shutting_down'));
      else if (job.signal?.aborted) job.sink.error(new AppError('cancelled'));
      else live.push(job);
    }
    if (live.length === 0) return;
    // Usually a worker has room (the scheduler runs no more calls than there are worker slots):
    // the call goes out at once, and only a call that has to wait here listens for its abort.
    const free = this.pending.length === 0 ? this.pick() : null;
    const pending: Pending = { items: [], enqueuedAt: Date.now() };
    for (const job of live) {
      const item: PendingItem = {
        request: job.request,
        prompt: job.prompt,
        sink: job.sink,
        signal: job.signal,
        onAbort: () => {
          const at = pending.items.indexOf(item);
          if (at < 0) return;
          pending.items.splice(at, 1);
          if (pending.items.length === 0) this.pending.splice(this.pending.indexOf(pending), 1);
          job.sink.error(new AppError('cancelled'));
        },
      };
      if (!free) job.signal?.addEventListener('abort', item.onAbort, { once: true });
      pending.items.push(item);
    }
    if (free) return this.send(free, pending.items);
    this.pending.push(pending);
    this.dispatch();
  }

  async prepareVoice(prompt: VoicePrompt): Promise<void> {
    if (!this.options.preparesVoices) return;
    this.remember(prompt);
    const audio = await prompt.loadAudio();
    await Promise.all(this.liveWorkers().filter((w) => w.state === 'ready').map((w) => w.prepareVoice(toWireVoice(prompt), audio)));
  }

  workers(): WorkerInfo[] {
    const out: WorkerInfo[] = [];
    for (const slot of this.slots) {
      for (const w of [slot.current, slot.next]) if (w) out.push(this.info(w, slot));
    }
    for (const w of this.retiring) out.push(this.info(w, this.slots[w.slot] as Slot));
    return out;
  }

  workerGauges(): { id: string; state: string; rssBytes: number | null; gpuMemoryBytes: number | null }[] {
    return this.liveWorkers().map((w) => ({ id: w.id, state: w.state, rssBytes: w.rssBytes, gpuMemoryBytes: w.gpuMemoryBytes }));
  }

  /** Graceful replacement of one worker (admin API). */
  restartWorker(id: string, reason = 'admin'): Promise<void> {
    const slot = this.slots.find((s) => s.current?.id === id && s.current.state === 'ready');
    if (!slot) {
      const known = this.liveWorkers().some((w) => w.id === id);
      throw new AppError(known ? 'engine_not_restartable' : 'worker_not_found', known ? `Worker ${id} is already being replaced or is starting.` : `No live worker "${id}".`);
    }
    return this.replace(slot, reason);
  }

  /** Rolling graceful replacement of every worker, one slot at a time (capacity never drops). */
  async restartAll(reason = 'admin'): Promise<void> {
    for (const slot of this.slots) await this.replace(slot, reason);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.tick) clearInterval(this.tick);
    for (const slot of this.slots) {
      if (slot.backoffTimer) clearTimeout(slot.backoffTimer);
      if (slot.stableTimer) clearTimeout(slot.stableTimer);
    }
    for (const p of this.pending.splice(0)) {
      for (const item of p.items) {
        item.signal?.removeEventListener('abort', item.onAbort);
        item.sink.error(new AppError('shutting_down'));
      }
    }
    const grace = Math.min(this.options.drainTimeoutMs, 10_000);
    await Promise.all(this.liveWorkers().map((w) => w.stop(grace, 'shutdown')));
  }

  private liveWorkers(): WorkerProcess[] {
    const out: WorkerProcess[] = [];
    for (const s of this.slots) for (const w of [s.current, s.next]) if (w && w.state !== 'exited') out.push(w);
    for (const w of this.retiring) if (w.state !== 'exited') out.push(w);
    return out;
  }

  private info(w: WorkerProcess, slot: Slot): WorkerInfo {
    const rtf = this.rtf.get(w);
    return {
      id: w.id,
      slot: w.slot,
      pid: w.pid,
      state: w.state,
      startedAt: new Date(w.spawnedAt).toISOString(),
      uptimeSeconds: Math.round((Date.now() - w.spawnedAt) / 100) / 10,
      ready: w.state === 'ready',
      jobsDone: w.jobsDone,
      jobsFailed: w.jobsFailed,
      failures: { ...w.failuresByCode },
      active: w.active,
      concurrency: w.concurrency,
      sessions: w.sessions,
      memory: { rssBytes: w.rssBytes, gpuBytes: w.gpuMemoryBytes, gpuLastJob: w.gpuLastJob },
      rtf: { current: rtf?.current ?? null, baseline: rtf?.baseline ?? null },
      device: w.device,
      retiring: w.retireReason,
      warnings: [...w.warnings],
      restarts: [...slot.restarts].reverse(),
    };
  }

  private async spawnInto(slot: Slot): Promise<void> {
    if (this.closed) return;
    slot.backoffUntil = null;
    const worker = this.createWorker(slot);
    slot.current = worker;
    await worker.start();
    await this.onReady(slot, worker);
  }

  private createWorker(slot: Slot): WorkerProcess {
    const id = `w${slot.index}-${++slot.generation}`;
    const worker = new WorkerProcess(id, slot.index, this.options.spec(slot.index), this.options.timings, this.options.log);
    this.rtf.set(worker, { samples: [], baseline: null, current: null, since: 0 });
    worker.on('exited', (info: ExitInfo) => this.onExit(slot, worker, info));
    worker.on('free', () => this.dispatch());
    worker.on('job', (r: { ms: number; samples: number }) => this.onJob(slot, worker, r));
    worker.on('stats', () => this.checkMemory(slot, worker));
    worker.on('recycle', (r: { reason: string; stopFirst: boolean }) => {
      if (slot.current !== worker || worker.state !== 'ready') return;
      void (r.stopFirst ? this.replaceStoppingFirst(slot, r.reason) : this.replace(slot, r.reason));
    });
    worker.on('stalled', () => {
      // Its stuck thread may hold GPU memory a second model needs: stop it before its replacement starts.
      if (slot.current === worker && worker.state === 'ready') void this.replaceStoppingFirst(slot, 'stalled');
    });
    worker.on('segment-failed', (code: string) => this.emit('segment-failed', { worker: worker.id, code } satisfies SegmentFailedEvent));
    worker.on('warning', (w: { code: string; message: string }) => this.emit('worker-warning', { worker: worker.id, code: w.code, message: w.message } satisfies WorkerWarningEvent));
    return worker;
  }

  /** A worker said ready: check it, give it the voices, then route to it. */
  private async onReady(slot: Slot, worker: WorkerProcess): Promise<void> {
    const caps = worker.capabilities;
    const { expect } = this.options;
    if (!caps || caps.sampleRate !== expect.sampleRate || caps.name !== expect.name) {
      this.options.log('error', { worker: worker.id, capabilities: caps, expect }, 'worker reports capabilities that differ from the engine\'s; killing it');
      worker.kill('incompatible');
      throw new Error('incompatible worker');
    }
    if (this.options.preparesVoices) {
      // The voices used last are prepared before the worker takes segments; older ones on first use (send()).
      for (const prompt of this.prompts.values()) await worker.prepareVoice(toWireVoice(prompt), await prompt.loadAudio());
    }
    this.options.log('info', { worker: worker.id, pid: worker.pid, slot: slot.index }, 'worker ready');
    // A worker that stays up this long has started fine, even if no job came.
    if (slot.stableTimer) clearTimeout(slot.stableTimer);
    slot.stableTimer = setTimeout(() => {
      if (worker.state === 'ready' || worker.state === 'draining') slot.failures = 0;
    }, this.options.timings.heartbeatMs * this.options.timings.heartbeatMisses);
    slot.stableTimer.unref();
    this.emit('worker-ready', worker.id);
    this.emit('worker-capabilities', caps);
    this.dispatch();
  }

  private onExit(slot: Slot, worker: WorkerProcess, info: ExitInfo): void {
    const log = info.reason === 'stopped' || info.reason === 'retired' || info.reason === 'shutdown' ? 'info' : 'warn';
    this.options.log(log, { worker: worker.id, pid: worker.pid, code: info.code, signal: info.signal, reason: info.reason, jobsDone: info.jobsDone }, 'worker exited');
    this.emit('worker-exit', { slot: slot.index, worker: worker.id, reason: info.reason, jobsDone: info.jobsDone } satisfies WorkerExitEvent);
    if (this.retiring.delete(worker)) {
      this.dispatch();
      return;
    }
    if (slot.next === worker) return; // a replacement that failed to start: replace() handles it
    if (slot.current !== worker) return;
    slot.current = null;
    if (this.closed) return;
    // Dying before finishing one segment is a failed start too: a model that OOMs on its first
    // request must back off like one that cannot load.
    const failedStart = !info.wasReady || info.jobsDone === 0;
    slot.failures = failedStart ? slot.failures + 1 : 0;
    slot.lastFailure = failedStart ? (worker.fatal ?? info.reason) : null;
    this.recordRestart(slot, worker, info.reason);
    if (!slot.next) this.scheduleSpawn(slot);
    this.dispatch();
    this.failPendingIfHopeless();
  }

  private scheduleSpawn(slot: Slot): void {
    const delay = slot.failures === 0 ? 0 : Math.min(this.options.backoff.maxMs, this.options.backoff.baseMs * 2 ** (slot.failures - 1));
    slot.backoffUntil = Date.now() + delay;
    if (slot.failures > 0) {
      this.options.log('warn', { slot: slot.index, failures: slot.failures, delayMs: delay }, 'worker keeps failing; backing off before the next start');
    }
    this.emit('backoff', { slot: slot.index, failures: slot.failures, delayMs: delay });
    slot.backoffTimer = setTimeout(() => {
      slot.backoffTimer = null;
      this.spawnInto(slot).catch(() => {});
    }, delay);
  }

  private recordRestart(slot: Slot, worker: WorkerProcess, reason: string): void {
    slot.restarts.push({ at: new Date().toISOString(), reason, worker: worker.id });
    if (slot.restarts.length > 20) slot.restarts.shift();
    const event: RestartEvent = { slot: slot.index, worker: worker.id, reason };
    this.emit('restart', event);
  }

  /**
   * Graceful replacement: start the new worker, switch routing to it, drain the old one (up to
   * the drain timeout), then stop it. Concurrent requests for the same slot share one run.
   */
  private replace(slot: Slot, reason: string): Promise<void> {
    if (slot.replacing) return slot.replacing;
    const old = slot.current;
    if (!old || old.state !== 'ready' || this.closed) return Promise.resolve();
    old.retireReason = reason;
    this.options.log('info', { worker: old.id, reason }, 'replacing worker');
    this.recordRestart(slot, old, reason);
    slot.replacing = (async () => {
      let next: WorkerProcess | null = null;
      while (!next) {
        if (this.closed) return;
        const candidate = this.createWorker(slot);
        slot.next = candidate;
        try {
          await candidate.start();
          await this.onReady(slot, candidate);
          next = candidate;
        } catch {
          slot.next = null;
          candidate.kill('start_failed');
          slot.failures++;
          this.recordRestart(slot, candidate, 'start_failed');
          // The old worker keeps serving; if it died meanwhile, the slot respawns on its own.
          if (slot.current !== old || this.closed) return;
          await new Promise((r) => setTimeout(r, Math.min(this.options.backoff.maxMs, this.options.backoff.baseMs * 2 ** (slot.failures - 1))).unref());
        }
      }
      slot.next = null;
      slot.current = next;
      if (old.state === 'exited') return;
      old.state = 'draining';
      this.retiring.add(old);
      this.dispatch();
      await this.drainAndStop(old);
    })().finally(() => {
      slot.replacing = null;
    });
    return slot.replacing;
  }

  /** Lets a retiring worker finish its in-flight segments (up to the drain timeout), then stops it. */
  private async drainAndStop(old: WorkerProcess): Promise<void> {
    if (old.active > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise((r) => old.once('idle', r)),
        new Promise((r) => (timer = setTimeout(r, this.options.drainTimeoutMs))),
        old.whenExited(),
      ]);
      clearTimeout(timer);
    }
    await old.stop(Math.min(this.options.drainTimeoutMs, 10_000), 'retired');
  }

  /**
   * Replacement for a worker whose device has no room for a second one (it ran out of GPU
   * memory): it takes no new segments, drains (up to the drain timeout), stops, and only then
   * does its replacement start. Its slot serves nothing meanwhile; other slots keep serving.
   */
  private replaceStoppingFirst(slot: Slot, reason: string): Promise<void> {
    if (slot.replacing) return slot.replacing;
    const old = slot.current;
    if (!old || old.state !== 'ready' || this.closed) return Promise.resolve();
    old.retireReason = reason;
    this.options.log('info', { worker: old.id, reason }, 'stopping worker before replacing it');
    this.recordRestart(slot, old, reason);
    old.state = 'draining';
    this.retiring.add(old);
    slot.current = null;
    slot.replacing = (async () => {
      await this.drainAndStop(old);
      if (this.closed || slot.current) return;
      await this.spawnInto(slot).catch(() => {});
    })().finally(() => {
      slot.replacing = null;
    });
    return slot.replacing;
  }

  private onJob(slot: Slot, worker: WorkerProcess, r: { ms: number; samples: number }): void {
    this.emit('segment-done', { worker: worker.id, pid: worker.pid, ms: r.ms, samples: r.samples } satisfies SegmentDoneEvent);
    if (slot.current === worker) slot.failures = 0;
    const rate = this.options.expect.sampleRate;
    const audio = r.samples / rate;
    const stats = this.rtf.get(worker);
    const policy = this.options.recycle;
    if (stats && audio >= RTF_MIN_AUDIO_SECONDS) {
      const rtf = r.ms / 1000 / audio;
      if (stats.baseline === null) {
        stats.samples.push(rtf);
        if (stats.samples.length >= policy.baselineJobs) stats.baseline = median(stats.samples);
      } else {
        stats.current = stats.current === null ? rtf : stats.current + 0.3 * (rtf - stats.current);
        stats.since++;
      }
    }
    if (slot.current !== worker || worker.state !== 'ready') return;
    if (policy.maxJobs > 0 && worker.jobsDone >= policy.maxJobs) void this.replace(slot, 'recycle_jobs');
    else if (
      policy.rtfDegradation > 0 &&
      stats?.baseline &&
      stats.current !== null &&
      stats.since >= policy.baselineJobs &&
      stats.current > stats.baseline * (1 + policy.rtfDegradation)
    ) {
      void this.replace(slot, 'recycle_rtf');
    }
  }

  private checkMemory(slot: Slot, worker: WorkerProcess): void {
    if (slot.current !== worker || worker.state !== 'ready') return;
    const policy = this.options.recycle;
    if (policy.rssBytes > 0 && (worker.rssBytes ?? 0) > policy.rssBytes) void this.replace(slot, 'recycle_rss');
    else if (policy.gpuBytes > 0 && (worker.gpuMemoryBytes ?? 0) > policy.gpuBytes) void this.replace(slot, 'recycle_gpu');
  }

  private onTick(): void {
    this.ticks++;
    const policy = this.options.recycle;
    for (const slot of this.slots) {
      const w = slot.current;
      if (w?.state === 'ready' && policy.maxAgeMs > 0 && w.readyAt !== null && Date.now() - w.readyAt > policy.maxAgeMs) void this.replace(slot, 'recycle_age');
    }
    // Segments that waited for a worker longer than a worker may take to start are refused.
    const limit = this.options.timings.startTimeoutMs;
    for (const p of [...this.pending]) {
      if (Date.now() - p.enqueuedAt > limit) this.refusePending(p, 'No synthesis worker became free in time.');
    }
    if (this.options.gpu && this.ticks % 5 === 0) void this.pollGpu();
  }

  private async pollGpu(): Promise<void> {
    const usage = await this.options.gpu?.query();
    if (!usage) return;
    for (const slot of this.slots) {
      const w = slot.current;
      if (!w || w.pid === null) continue;
      w.gpuMemoryBytes = usage.get(w.pid) ?? 0;
      this.checkMemory(slot, w);
    }
  }

  /** With no worker ready and every slot backing off from failed starts, waiting is pointless. */
  private failPendingIfHopeless(): void {
    const anyAlive = this.slots.some((s) => s.current !== null || s.next !== null);
    if (anyAlive || this.pending.length === 0) return;
    if (!this.slots.every((s) => s.failures >= this.options.crashLoopAfter)) return;
    for (const p of [...this.pending]) this.refusePending(p, 'Every synthesis worker is failing to start.');
  }

  private refusePending(p: Pending, message: string): void {
    const at = this.pending.indexOf(p);
    if (at < 0) return;
    this.pending.splice(at, 1);
    for (const item of p.items) {
      item.signal?.removeEventListener('abort', item.onAbort);
      item.sink.error(new AppError('engine_unavailable', message));
    }
  }

  private dispatch(): void {
    while (this.pending.length > 0) {
      const worker = this.pick();
      if (!worker) return;
      const p = this.pending.shift() as Pending;
      for (const item of p.items) item.signal?.removeEventListener('abort', item.onAbort);
      this.send(worker, p.items);
    }
  }

  /** Most recently used voices last; bounded, so a big voice library does not slow every worker start. */
  private remember(prompt: VoicePrompt): void {
    this.prompts.delete(prompt.id);
    this.prompts.set(prompt.id, prompt);
    if (this.prompts.size > PREPARE_ON_START) this.prompts.delete(this.prompts.keys().next().value as string);
  }

  private send(worker: WorkerProcess, items: PendingItem[]): void {
    if (this.options.preparesVoices) for (const item of items) if (item.prompt) this.remember(item.prompt);
    const needed = this.options.preparesVoices
      ? [...new Map(items.filter((i) => i.prompt && !worker.voices.has(`${i.prompt.id}@${i.prompt.version}`)).map((i) => [i.prompt?.id, i.prompt as VoicePrompt])).values()]
      : [];
    const go = () => {
      const wired = items.map((item) => {
        let first = true;
        const sink: SegmentSink = {
          chunk: (samples) => {
            if (first) {
              first = false;
              this.emit('segment-audio', { worker: worker.id, pid: worker.pid } satisfies SegmentEvent);
            }
            item.sink.chunk(samples);
          },
          done: (r) => item.sink.done(r),
          error: (e) => item.sink.error(e),
        };
        return { request: item.request, sink };
      });
      const ids = wired.length === 1 ? [worker.synth((wired[0] as (typeof wired)[number]).request, (wired[0] as (typeof wired)[number]).sink)] : worker.synthBatch(wired);
      items.forEach((item, i) => {
        const id = ids[i] as number;
        if (item.signal?.aborted) worker.cancel(id);
        else item.signal?.addEventListener('abort', () => worker.cancel(id), { once: true });
      });
      this.emit('dispatch', { worker: worker.id, pid: worker.pid } satisfies SegmentEvent);
    };
    if (needed.length === 0) return go();
    worker.reserved++;
    void Promise.all(needed.map(async (prompt) => worker.prepareVoice(toWireVoice(prompt), await prompt.loadAudio())))
      .finally(() => worker.reserved--)
      .then(go, (err: unknown) => {
        for (const item of items) item.sink.error(new AppError('engine_failed', 'The worker could not prepare a voice.', { cause: err }));
      });
  }

  /** The ready worker with the most room (least busy first; ties go to the lower slot). */
  private pick(): WorkerProcess | null {
    let best: WorkerProcess | null = null;
    for (const slot of this.slots) {
      const w = slot.current;
      if (!w || w.state !== 'ready' || w.calls >= w.concurrency) continue;
      if (!best || w.calls / w.concurrency < best.calls / best.concurrency) best = w;
    }
    return best;
  }
}

export function toWireVoice(prompt: VoicePrompt): WireVoice {
  return {
    id: prompt.id,
    version: prompt.version,
    transcript: prompt.transcript,
    language: prompt.language,
    sampleRate: prompt.sampleRate,
    ...(prompt.pitchHz !== undefined ? { pitchHz: prompt.pitchHz } : {}),
    ...(prompt.gender !== undefined ? { gender: prompt.gender } : {}),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
