// Audio work off the event loop: decoding uploads, validating voice prompts, resampling and
// encoding responses run in a small pool of worker threads (AUDIO_THREADS), so one request's
// MP3 never holds up another's /healthz. The event loop only moves bytes: samples go to a
// thread, encoded bytes come back, both transferred rather than copied where they can be.
//
// Threads start on demand, up to the bound: a task goes to the least loaded thread, and a new
// one starts only while every running thread is busy. A response's codec session stays on the
// thread that opened it (its encoder state lives there). A thread that dies fails what it had
// in hand (a clear error, never a hang) and the next task starts a fresh one.
// AUDIO_THREADS=0 runs the same task functions inline, for debugging and tiny machines.
import { threadId as mainThreadId, type Worker } from 'node:worker_threads';
import { spawnModuleWorker } from '../util/module-worker.js';
import type { NormalizedPrompt, PromptLimits } from '../voices/prompt-audio.js';
import { inlineEncoder, isHeavy, openCodecSession, type CodecSession, type CodecSpec } from './codec-session.js';
import type { DecodeOptions, DecodeResult } from './decoders.js';
import { copyInto, fromWire, owned, reply, type AudioOp, type AudioResults, type AudioTask, type OpenedSession, type TaskReply } from './tasks.js';
import type { AsyncAudioEncoder } from './types.js';

export interface AudioWork {
  /** Decodes an audio file (AudioDecodeError for what it cannot read). */
  decode(bytes: Uint8Array, options?: DecodeOptions): Promise<DecodeResult>;
  /** Validates and normalizes a voice prompt upload (AppError audio_* for what a cloning engine cannot use). */
  normalizePrompt(bytes: Uint8Array, limits?: PromptLimits): Promise<NormalizedPrompt>;
  resample(samples: Float32Array, from: number, to: number): Promise<Float32Array>;
  /** A response's resampler + encoder; close() it when the response ends early. */
  openEncoder(spec: CodecSpec): Promise<AsyncAudioEncoder>;
  stats(): AudioPoolStats;
  /** Ends every thread; pending work fails. Idempotent. */
  close(): Promise<void>;
}

export interface AudioPoolStats {
  /** Most threads (AUDIO_THREADS); 0 = inline. */
  maxThreads: number;
  threads: number;
  openSessions: number;
  /** Tasks sent to a thread and not answered yet: 0 when no thread is busy. */
  pendingTasks: number;
  /** Tasks finished, by op and where they ran. */
  tasks: Partial<Record<`${AudioOp}:${'thread' | 'inline'}`, number>>;
  threadExits: number;
  /** Thread ids that ran the last few tasks (the main thread's id when inline). */
  lastThreadId: number | null;
}

export interface AudioPoolOptions {
  threads: number;
  /** A thread ended without being asked to (its pending work has failed). */
  onThreadExit?: (detail: { code: number; error?: Error }) => void;
  /** A task finished (metrics). */
  onTask?: (op: AudioOp, where: 'thread' | 'inline') => void;
}

export function createAudioWork(options: AudioPoolOptions): AudioWork {
  return new AudioPool(options);
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  op: AudioOp;
}

interface Thread {
  worker: Worker;
  /** Open sessions + tasks in flight: what picks the least loaded thread. */
  load: number;
  pending: Map<number, Pending>;
  gone: Error | null;
}

class AudioPool implements AudioWork {
  private readonly threads: Thread[] = [];
  private readonly max: number;
  private nextId = 1;
  private closed = false;
  private readonly counts: AudioPoolStats['tasks'] = {};
  private exits = 0;
  private sessions = 0;
  private lastThreadId: number | null = null;
  /** Inline mode's sessions (the task functions want a map, as in a worker). */
  private readonly inlineSessions = new Map<number, CodecSession>();

  constructor(private readonly options: AudioPoolOptions) {
    this.max = options.threads;
  }

  async decode(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodeResult> {
    return this.run(this.pick(), { op: 'decode', bytes: copyInto(bytes), options });
  }

  async normalizePrompt(bytes: Uint8Array, limits?: PromptLimits): Promise<NormalizedPrompt> {
    return this.run(this.pick(), { op: 'prompt', bytes: copyInto(bytes), limits });
  }

  async resample(samples: Float32Array, from: number, to: number): Promise<Float32Array> {
    return this.run(this.pick(), { op: 'resample', samples: copyInto(samples), from, to });
  }

  async openEncoder(spec: CodecSpec): Promise<AsyncAudioEncoder> {
    // Quantizing float to 16-bit is moving bytes: it stays here, without a round trip.
    if (!isHeavy(spec)) return inlineEncoder(await openCodecSession(spec));
    const thread = this.pick();
    const session = this.nextId++;
    const opened = await this.run(thread, { op: 'open', session, spec }, true);
    return this.remoteEncoder(thread, session, opened);
  }

  stats(): AudioPoolStats {
    return {
      maxThreads: this.max,
      threads: this.threads.length,
      openSessions: this.sessions,
      pendingTasks: this.threads.reduce((n, t) => n + t.pending.size, 0),
      tasks: { ...this.counts },
      threadExits: this.exits,
      lastThreadId: this.lastThreadId,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.inlineSessions.values()) s.close();
    this.inlineSessions.clear();
    await Promise.all(this.threads.splice(0).map((t) => this.retire(t, new Error('the audio pool is closed'))));
  }

  /** The session's calls as tasks, on its thread (or inline: the same task functions, counted alike). */
  private remoteEncoder(thread: Thread | null, session: number, opened: OpenedSession): AsyncAudioEncoder {
    let open = true;
    this.sessions += 1;
    const finish = () => {
      if (!open) return false;
      open = false;
      this.sessions -= 1;
      if (thread) {
        thread.load -= 1;
        this.refIfBusy(thread);
      }
      return true;
    };
    return {
      contentType: opened.contentType,
      outputSampleRate: opened.outputSampleRate,
      write: async (samples) => {
        if (!open) throw new Error('audio encoder already ended');
        try {
          return nonEmpty(await this.run(thread, { op: 'write', session, samples: copyInto(samples) }));
        } catch (err) {
          finish(); // the thread closed the session when the write failed
          throw err;
        }
      },
      end: async () => {
        if (!open) throw new Error('audio encoder already ended');
        try {
          return nonEmpty(await this.run(thread, { op: 'end', session }));
        } finally {
          finish();
        }
      },
      close: async () => {
        if (!finish() || thread?.gone) return;
        // Fire and forget: the caller is abandoning the stream; the thread frees the codec.
        this.run(thread, { op: 'close', session }).catch(() => {});
      },
    };
  }

  /** The least loaded thread; a new one while all are busy and the bound allows. null = inline. */
  private pick(): Thread | null {
    if (this.closed) throw new Error('the audio pool is closed');
    if (this.max === 0) return null;
    let best: Thread | null = null;
    for (const t of this.threads) if (!best || t.load < best.load) best = t;
    if ((!best || best.load > 0) && this.threads.length < this.max) best = this.spawn();
    return best;
  }

  /** `holds`: the task opens a session, whose load stays on the thread until it ends. */
  private run<K extends AudioOp>(thread: Thread | null, task: AudioTask & { op: K }, holds = false): Promise<AudioResults[K]> {
    if (!thread) return this.runInline(task) as Promise<AudioResults[K]>;
    if (thread.gone) return Promise.reject(thread.gone);
    const id = this.nextId++;
    thread.load += 1;
    return new Promise<AudioResults[K]>((resolve, reject) => {
      const settle = (failed: boolean) => {
        thread.pending.delete(id);
        if (!holds || failed) thread.load -= 1;
        this.refIfBusy(thread);
      };
      thread.pending.set(id, {
        op: task.op,
        resolve: (v) => {
          settle(false);
          resolve(v as AudioResults[K]);
        },
        reject: (e) => {
          settle(true);
          reject(e);
        },
      });
      this.refIfBusy(thread);
      thread.worker.postMessage({ id, task }, transferables(task));
    });
  }

  private async runInline(task: AudioTask): Promise<unknown> {
    const { reply: answer } = await reply(0, task, this.inlineSessions);
    this.count(task.op, 'inline', mainThreadId);
    if (!answer.ok) throw fromWire(answer.error);
    return answer.value;
  }

  private spawn(): Thread {
    const worker = spawnModuleWorker(import.meta.url, './pool-worker', null);
    const thread: Thread = { worker, load: 0, pending: new Map(), gone: null };
    worker.on('message', (msg: TaskReply) => {
      const p = thread.pending.get(msg.id);
      if (!p) return;
      this.count(p.op, 'thread', msg.threadId);
      if (msg.ok) p.resolve(revive(p.op, msg.value));
      else p.reject(fromWire(msg.error));
    });
    let error: Error | undefined;
    worker.on('error', (err) => {
      error = err;
    });
    worker.on('exit', (code) => {
      if (thread.gone) return; // retired on purpose
      this.exits += 1;
      const i = this.threads.indexOf(thread);
      if (i >= 0) this.threads.splice(i, 1);
      this.fail(thread, new Error(`an audio worker thread stopped (exit code ${code}${error ? `: ${error.message}` : ''})`));
      this.options.onThreadExit?.({ code, ...(error ? { error } : {}) });
    });
    worker.unref();
    this.threads.push(thread);
    return thread;
  }

  private fail(thread: Thread, err: Error): void {
    thread.gone = err;
    for (const p of [...thread.pending.values()]) p.reject(err);
    thread.pending.clear();
  }

  private async retire(thread: Thread, err: Error): Promise<void> {
    this.fail(thread, err);
    await thread.worker.terminate();
  }

  /** A thread with work keeps the process alive until the work is done; an idle one does not. */
  private refIfBusy(thread: Thread): void {
    if (thread.gone) return;
    if (thread.pending.size > 0) thread.worker.ref();
    else thread.worker.unref();
  }

  private count(op: AudioOp, where: 'thread' | 'inline', id: number): void {
    const key = `${op}:${where}` as const;
    this.counts[key] = (this.counts[key] ?? 0) + 1;
    this.lastThreadId = id;
    this.options.onTask?.(op, where);
  }
}

/** Buffers arrive as Uint8Array over a transferred ArrayBuffer; the callers want Buffers. */
function revive(op: AudioOp, value: unknown): unknown {
  if (op === 'write' || op === 'end') return toBuffer(value as Uint8Array);
  if (op === 'prompt') {
    const p = value as NormalizedPrompt;
    return { ...p, wav: toBuffer(p.wav) };
  }
  return value;
}

const toBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
const nonEmpty = (b: Buffer): Buffer[] => (b.length > 0 ? [b] : []);


function transferables(task: AudioTask): ArrayBuffer[] {
  switch (task.op) {
    case 'decode':
    case 'prompt':
      return [owned(task.bytes).buffer as ArrayBuffer];
    case 'resample':
    case 'write':
      return [owned(task.samples).buffer as ArrayBuffer];
    default:
      return [];
  }
}

