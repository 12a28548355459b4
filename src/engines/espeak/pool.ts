// A fixed pool of espeak worker threads (one WASM instance each, sized to the CPU count by
// default). Jobs wait in one FIFO; a job streams its chunks back through a callback.
// A worker that dies fails its job (the service maps that to engine_failed) and is replaced.
import type { Worker } from 'node:worker_threads';
import type { SynthJob, WorkerInit, WorkerToMain } from './protocol.js';
import { spawnModuleWorker } from '../../util/module-worker.js';

export interface PoolJob {
  text: string;
  voice: string;
  rate: number;
  onChunk(samples: Int16Array): void;
}

export interface PoolStats {
  size: number;
  busy: number;
  queued: number;
  jobsStarted: number;
  jobsCompleted: number;
  jobsAborted: number;
  jobsFailed: number;
  workerRestarts: number;
  /** Summed synthesis time inside workers (ms), for RTF reporting. */
  busyMs: number;
}

interface Pending {
  id: number;
  job: PoolJob;
  resolve(r: { aborted: boolean; ms: number }): void;
  reject(e: Error): void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

interface Slot {
  worker: Worker;
  abort: Int32Array;
  ready: boolean;
  current: Pending | null;
}

export class EspeakPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  private languageVoices: Set<string> = new Set();
  readonly stats: PoolStats;

  constructor(readonly size: number, private readonly onWorkerError: (err: Error) => void = () => {}) {
    this.stats = { size, busy: 0, queued: 0, jobsStarted: 0, jobsCompleted: 0, jobsAborted: 0, jobsFailed: 0, workerRestarts: 0, busyMs: 0 };
  }

  /** Spawns every worker and resolves when all have loaded espeak. */
  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.size }, () => this.spawn()));
  }

  get ready(): boolean {
    return !this.closed && this.slots.some((s) => s.ready);
  }

  /** espeak voice identifiers the WASM build has (from the first worker's list). */
  get availableVoices(): ReadonlySet<string> {
    return this.languageVoices;
  }

  run(job: PoolJob, signal?: AbortSignal): Promise<{ aborted: boolean; ms: number }> {
    if (this.closed) return Promise.reject(new Error('espeak pool is closed'));
    if (signal?.aborted) {
      this.stats.jobsAborted++;
      return Promise.resolve({ aborted: true, ms: 0 });
    }
    return new Promise((resolve, reject) => {
      const pending: Pending = {
        id: this.nextId++,
        job,
        resolve,
        reject,
        signal,
        onAbort: () => this.abort(pending),
      };
      signal?.addEventListener('abort', pending.onAbort, { once: true });
      this.queue.push(pending);
      this.stats.queued = this.queue.length;
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.queue.splice(0)) this.settle(p, null, new Error('espeak pool closed'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }

  private abort(p: Pending): void {
    const queuedAt = this.queue.indexOf(p);
    if (queuedAt >= 0) {
      this.queue.splice(queuedAt, 1);
      this.stats.queued = this.queue.length;
      this.stats.jobsAborted++;
      this.settle(p, { aborted: true, ms: 0 });
      return;
    }
    const slot = this.slots.find((s) => s.current === p);
    // The worker checks this slot from inside espeak's synthesis callback.
    if (slot) Atomics.store(slot.abort, 0, p.id);
  }

  private spawn(): Promise<void> {
    const abortFlag = new SharedArrayBuffer(4);
    const init: WorkerInit = { abortFlag };
    const worker = spawnModuleWorker(import.meta.url, './worker', init);
    const slot: Slot = { worker, abort: new Int32Array(abortFlag), ready: false, current: null };
    this.slots.push(slot);
    return new Promise((resolve, reject) => {
      worker.on('message', (msg: WorkerToMain) => {
        if (msg.type === 'ready') {
          slot.ready = true;
          if (this.languageVoices.size === 0) this.languageVoices = new Set(msg.voices.map(voiceKey));
          resolve();
          this.dispatch();
          return;
        }
        const p = slot.current;
        if (!p || p.id !== msg.jobId) return;
        if (msg.type === 'chunk') {
          p.job.onChunk(msg.samples);
          return;
        }
        slot.current = null;
        this.stats.busy--;
        if (msg.type === 'done') {
          this.stats.busyMs += msg.ms;
          if (msg.aborted) this.stats.jobsAborted++;
          else this.stats.jobsCompleted++;
          this.settle(p, { aborted: msg.aborted, ms: msg.ms });
        } else {
          this.stats.jobsFailed++;
          this.settle(p, null, new Error(msg.message));
        }
        this.dispatch();
      });
      worker.on('error', (err) => {
        this.onWorkerError(err);
        if (!slot.ready) reject(err);
      });
      worker.on('exit', (code) => this.onExit(slot, code));
    });
  }

  private onExit(slot: Slot, code: number): void {
    const idx = this.slots.indexOf(slot);
    if (idx >= 0) this.slots.splice(idx, 1);
    if (slot.current) {
      this.stats.busy--;
      this.stats.jobsFailed++;
      this.settle(slot.current, null, new Error(`espeak worker exited (code ${code}) during synthesis`));
      slot.current = null;
    }
    if (this.closed) return;
    this.stats.workerRestarts++;
    this.spawn().catch((err: unknown) => this.onWorkerError(err instanceof Error ? err : new Error(String(err))));
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) break;
      if (!slot.ready || slot.current) continue;
      const p = this.queue.shift() as Pending;
      this.stats.queued = this.queue.length;
      slot.current = p;
      this.stats.busy++;
      this.stats.jobsStarted++;
      const msg: SynthJob = { type: 'synth', jobId: p.id, text: p.job.text, voice: p.job.voice, rate: p.job.rate };
      slot.worker.postMessage(msg);
    }
  }

  private settle(p: Pending, result: { aborted: boolean; ms: number } | null, error?: Error): void {
    p.signal?.removeEventListener('abort', p.onAbort);
    if (error) p.reject(error);
    else p.resolve(result as { aborted: boolean; ms: number });
  }

  /** Test hook: kills one busy (or any) worker, as a crash would. */
  killOneWorker(): boolean {
    const slot = this.slots.find((s) => s.current) ?? this.slots[0];
    if (!slot) return false;
    void slot.worker.terminate();
    return true;
  }
}

/** 'gmw/en-US' -> 'en-us': the form set_voice accepts. */
function voiceKey(identifier: string): string {
  return (identifier.split('/').pop() ?? identifier).toLowerCase();
}
