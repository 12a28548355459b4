// One worker process as the supervisor sees it: spawn, hello/ready handshake, heartbeats with
// memory stats, the segments in flight on it (with a no-progress watchdog), and its end. Every way a worker can end (exit,
// kill -9, a hang caught by heartbeats, a protocol error) fails its in-flight segments with a
// WorkerLostError exactly once, so the scheduler can retry them elsewhere.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { AppError } from '../errors/app-error.js';
import { workerFault, workerLost } from './errors.js';
import { FrameDecoder, PROTOCOL_VERSION, encodeAudio, encodeJson, type SupervisorMessage, type WireGpuMemory, type WireRequest, type WireVoice, type WorkerCapabilities } from './protocol.js';

export interface WorkerSpec {
  readonly command: string;
  readonly args: readonly string[];
  /** Complete environment of the child. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export type WorkerState = 'starting' | 'ready' | 'draining' | 'stopping' | 'exited';

export interface WorkerTimings {
  readonly startTimeoutMs: number;
  readonly heartbeatMs: number;
  /** Missed heartbeats before the worker counts as hung. */
  readonly heartbeatMisses: number;
  /**
   * A segment with no audio and no `progress` message for this long (plus two heartbeats, so a
   * worker that watches its own segments answers first) fails as retryable `stalled`, and the
   * worker is reported (`stalled` event) for replacement. 0 or absent = off.
   */
  readonly segmentStallMs?: number;
}

export interface SegmentSink {
  chunk(samples: Float32Array): void;
  done(result: { ms: number; samples: number }): void;
  error(error: AppError): void;
}

interface InFlight {
  readonly sink: SegmentSink;
  readonly kind: 'synth' | 'prepare';
  /** Engine call it belongs to: a batch's segments share one. */
  readonly call: number;
  /** When it was sent, or last brought audio or a progress message. */
  lastProgressAt: number;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Why it ended: `stopped` when the supervisor stopped it, else what went wrong. */
  readonly reason: string;
  readonly wasReady: boolean;
  readonly jobsDone: number;
}

/** Children of this process, killed if it exits while they run (a forced shutdown). */
const live = new Set<ChildProcess>();
let exitHook = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

export class WorkerProcess extends EventEmitter {
  state: WorkerState = 'starting';
  pid: number | null = null;
  readonly spawnedAt = Date.now();
  readyAt: number | null = null;
  capabilities: WorkerCapabilities | null = null;
  device: { cudaVisibleDevices: string | null; fp16: boolean } | null = null;
  jobsDone = 0;
  jobsFailed = 0;
  /** Segments the worker failed, by the code it gave (`bad_audio`, `out_of_memory`, ...). */
  readonly failuresByCode: Record<string, number> = {};
  rssBytes: number | null = null;
  gpuMemoryBytes: number | null = null;
  /** Per-call state the worker's model holds (its last stats): 0 when idle; growth is a leak. */
  sessions: number | null = null;
  /** nvidia-smi reports this worker's pid: its figure is kept rather than the heartbeat's. */
  gpuSeenByDriver = false;
  /** GPU memory the worker reported with its last finished segment. */
  gpuLastJob: WireGpuMemory | null = null;
  /** What the worker asked operators to know (`fp16_unsafe`...), newest last. */
  readonly warnings: { code: string; message: string; at: string }[] = [];
  /** What the worker said in its `fatal` message before it ended (a model that cannot load says why). */
  fatal: string | null = null;
  /** Set when the supervisor decided to replace this worker, and why. */
  retireReason: string | null = null;
  exit: ExitInfo | null = null;
  /** Prepared voices, as `id@version`. */
  readonly voices = new Set<string>();
  private readonly inflight = new Map<number, InFlight>();
  /** Ids the supervisor asked to cancel; any other `cancelled` means the worker gave up on it. */
  private readonly cancelled = new Set<number>();
  private child: ChildProcess | null = null;
  private nextId = 1;
  private heartbeatSeq = 0;
  /** The newest heartbeat the worker answered (its `stats` carry the heartbeat's `seq`). */
  private answeredSeq = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private startTimer: NodeJS.Timeout | null = null;
  /** Why we killed it, if we did (overrides the exit's own description). */
  private killReason: string | null = null;
  private readonly exited: Promise<ExitInfo>;
  private resolveExit: (info: ExitInfo) => void = () => {};

  constructor(
    readonly id: string,
    readonly slot: number,
    private readonly spec: WorkerSpec,
    private readonly timings: WorkerTimings,
    private readonly log: (level: 'info' | 'warn' | 'error' | 'debug', fields: object, msg: string) => void,
  ) {
    super();
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  /** Segments in flight. */
  get active(): number {
    let n = 0;
    for (const f of this.inflight.values()) if (f.kind === 'synth') n++;
    return n;
  }

  /** Engine calls in flight (a batch is one), plus calls reserved while voices are prepared: what concurrency limits. */
  get calls(): number {
    const calls = new Set<number>();
    for (const f of this.inflight.values()) if (f.kind === 'synth') calls.add(f.call);
    return calls.size + this.reserved;
  }

  /** Calls promised to this worker that are not sent yet. */
  reserved = 0;

  get concurrency(): number {
    return this.capabilities?.concurrency ?? 1;
  }

  /** Spawns the process; resolves when it is ready, rejects if it ends or times out first. */
  start(): Promise<void> {
    const child = spawn(this.spec.command, [...this.spec.args], { env: this.spec.env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.pid = child.pid ?? null;
    track(child);
    const decoder = new FrameDecoder();
    const ready = new Promise<void>((resolve, reject) => {
      this.once('ready', resolve);
      this.once('exited', (info: ExitInfo) => reject(new Error(`worker ${this.id} ended before it was ready (${info.reason})`)));
    });
    ready.catch(() => {});
    this.startTimer = setTimeout(() => this.kill('start_timeout'), this.timings.startTimeoutMs);
    child.stdout?.on('data', (data: Buffer) => {
      try {
        for (const frame of decoder.push(data)) {
          if (frame.kind === 'audio') {
            const f = this.inflight.get(frame.id);
            if (f) {
              f.lastProgressAt = Date.now();
              f.sink.chunk(frame.samples);
            }
          } else this.onMessage(frame.message);
        }
      } catch (err) {
        this.log('error', { worker: this.id, err }, 'worker broke the protocol; killing it');
        this.kill('protocol_error');
      }
    });
    let stderr = '';
    child.stderr?.on('data', (data: Buffer) => {
      stderr += data.toString('utf8');
      const lines = stderr.split('\n');
      stderr = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) this.log('info', { worker: this.id, pid: this.pid }, `worker: ${line.slice(0, 2000)}`);
    });
    // Writing to a worker that just died fails with EPIPE; its exit event does the cleanup.
    child.stdin?.on('error', () => {});
    child.on('error', (err) => {
      this.log('error', { worker: this.id, err }, 'could not run the worker command');
      this.onExit(null, null, 'spawn_failed');
    });
    child.on('exit', (code, signal) => this.onExit(code, signal, null));
    return ready;
  }

  /** Sends one segment; its audio and end arrive through `sink`. Returns the job id. */
  synth(request: WireRequest, sink: SegmentSink): number {
    const id = this.nextId++;
    this.inflight.set(id, { sink, kind: 'synth', call: id, lastProgressAt: Date.now() });
    this.send({ type: 'synth', id, request });
    return id;
  }

  /** Several segments as one engine call (a batch); ids in request order. */
  synthBatch(items: { request: WireRequest; sink: SegmentSink }[]): number[] {
    const call = this.nextId;
    const wire = items.map((item) => {
      const id = this.nextId++;
      this.inflight.set(id, { sink: item.sink, kind: 'synth', call, lastProgressAt: Date.now() });
      return { id, request: item.request };
    });
    this.send({ type: 'synth_batch', items: wire });
    return wire.map((w) => w.id);
  }

  cancel(id: number): void {
    if (!this.inflight.has(id)) return;
    this.cancelled.add(id);
    this.send({ type: 'cancel', id });
  }

  prepareVoice(voice: WireVoice, samples: Float32Array): Promise<void> {
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.inflight.set(id, { kind: 'prepare', call: id, lastProgressAt: Date.now(), sink: { chunk: () => {}, done: () => resolve(), error: reject } });
      this.send({ type: 'prepare_voice', id, voice });
      this.write(encodeAudio(id, samples));
    }).then(() => {
      this.voices.add(`${voice.id}@${voice.version}`);
    });
  }

  /** Stops the worker: asks it to finish within `graceMs`, then kills it. */
  async stop(graceMs: number, reason = 'stopped'): Promise<ExitInfo> {
    if (this.state === 'exited') return this.exit as ExitInfo;
    this.state = 'stopping';
    this.killReason ??= reason;
    this.send({ type: 'shutdown', graceMs });
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs + 1000);
    const info = await this.exited;
    clearTimeout(timer);
    return info;
  }

  /** Kills the worker at once (a hang, a failed start, a protocol error, or a test's kill -9). */
  kill(reason: string): void {
    if (this.state === 'exited') return;
    this.killReason ??= reason;
    this.child?.kill('SIGKILL');
  }

  /** Resolves when the worker has ended. */
  whenExited(): Promise<ExitInfo> {
    return this.exited;
  }

  private send(message: SupervisorMessage): void {
    this.write(encodeJson(message));
  }

  private write(frame: Buffer): void {
    const stdin = this.child?.stdin;
    if (stdin && !stdin.destroyed && this.state !== 'exited') stdin.write(frame);
  }

  private onMessage(m: Record<string, unknown> & { type: string }): void {
    switch (m.type) {
      case 'hello':
        if (m.protocol !== PROTOCOL_VERSION) {
          this.log('error', { worker: this.id, protocol: m.protocol }, `worker speaks protocol ${String(m.protocol)}, not ${PROTOCOL_VERSION}`);
          this.kill('protocol_error');
          return;
        }
        if (typeof m.pid === 'number') this.pid = m.pid;
        this.device = (m.device as WorkerProcess['device']) ?? null;
        return;
      case 'ready': {
        if (this.state !== 'starting') return;
        this.capabilities = m.capabilities as WorkerCapabilities;
        this.state = 'ready';
        this.readyAt = Date.now();
        if (this.startTimer) clearTimeout(this.startTimer);
        this.heartbeat = setInterval(() => this.beat(), this.timings.heartbeatMs);
        this.heartbeat.unref();
        this.emit('ready');
        return;
      }
      case 'stats':
        this.answeredSeq = typeof m.seq === 'number' ? Math.max(this.answeredSeq, m.seq) : this.heartbeatSeq;
        this.rssBytes = typeof m.rssBytes === 'number' ? m.rssBytes : null;
        if (typeof m.gpuMemoryBytes === 'number' && !this.gpuSeenByDriver) this.gpuMemoryBytes = m.gpuMemoryBytes;
        this.sessions = typeof m.sessions === 'number' ? m.sessions : null;
        this.emit('stats');
        return;
      case 'progress': {
        const f = this.inflight.get(m.id as number);
        if (f) f.lastProgressAt = Date.now();
        return;
      }
      case 'done': {
        const f = this.inflight.get(m.id as number);
        if (!f) return;
        this.inflight.delete(m.id as number);
        this.cancelled.delete(m.id as number);
        this.jobsDone++;
        if (isGpuMemory(m.gpu)) this.gpuLastJob = m.gpu;
        f.sink.done({ ms: Number(m.ms), samples: Number(m.samples) });
        this.emit('job', { ms: Number(m.ms), samples: Number(m.samples) });
        this.emit('free');
        this.idleCheck();
        return;
      }
      case 'voice_prepared': {
        const f = this.inflight.get(m.id as number);
        this.inflight.delete(m.id as number);
        f?.sink.done({ ms: 0, samples: 0 });
        return;
      }
      case 'error': {
        const f = this.inflight.get(m.id as number);
        if (!f) return;
        this.inflight.delete(m.id as number);
        const asked = this.cancelled.delete(m.id as number);
        // A worker that is shutting down (drain timeout, a stop) abandons segments nobody
        // cancelled: for the scheduler they are lost like a crash's, and may run elsewhere.
        if ((m.code === 'cancelled' && !asked) || m.code === 'shutting_down') f.sink.error(workerLost(this.id, 'stopped before the segment finished'));
        else {
          if (m.code !== 'cancelled') {
            this.jobsFailed++;
            const code = String(m.code);
            this.failuresByCode[code] = (this.failuresByCode[code] ?? 0) + 1;
            this.emit('segment-failed', code);
          }
          f.sink.error(m.retryable === true && m.code !== 'cancelled' ? workerFault(this.id, String(m.code), String(m.message)) : toAppError(String(m.code), String(m.message)));
        }
        this.emit('free');
        this.idleCheck();
        return;
      }
      case 'fatal':
        this.fatal = String(m.message).slice(0, 1000);
        this.log('error', { worker: this.id, message: m.message }, 'worker reported a fatal error');
        return;
      case 'recycle':
        this.log('warn', { worker: this.id, pid: this.pid, reason: m.reason }, 'worker asks to be replaced');
        this.emit('recycle', { reason: typeof m.reason === 'string' && m.reason ? m.reason : 'worker_request', stopFirst: m.stopFirst === true });
        return;
      case 'warning': {
        const warning = { code: String(m.code), message: String(m.message), at: new Date().toISOString() };
        this.warnings.push(warning);
        if (this.warnings.length > 20) this.warnings.shift();
        this.log('warn', { worker: this.id, pid: this.pid, code: warning.code }, `worker warning: ${warning.message}`);
        this.emit('warning', warning);
        return;
      }
      default:
        this.log('warn', { worker: this.id, type: m.type }, 'worker sent an unknown message');
    }
  }

  /**
   * Misses are heartbeats sent and not answered, never time since the last answer: when this
   * process's own event loop stalls (a GC pause, a busy machine), this timer runs before the
   * answers waiting in the pipe are read, and a clock-based check would kill every healthy
   * worker at once. No heartbeat is sent during such a stall, so none can be missed.
   */
  private beat(): void {
    if (this.heartbeatSeq - this.answeredSeq >= this.timings.heartbeatMisses) {
      this.log('warn', { worker: this.id, pid: this.pid }, 'worker missed its heartbeats; killing it');
      this.kill('unresponsive');
      return;
    }
    // Judged only when every heartbeat answer has been read: the worker writes its audio and
    // progress before its answer, so they have been read too. After a stall of this service's
    // own event loop, unread frames would otherwise look like a worker that made no progress.
    const upToDate = this.answeredSeq === this.heartbeatSeq;
    this.send({ type: 'heartbeat', seq: ++this.heartbeatSeq });
    if (upToDate) this.checkStalls();
  }

  /**
   * Heartbeats prove the process lives, not that its model makes progress: a segment stuck in
   * the model (a hung thread, a wedged GPU) would hold its slot and its client forever. Such a
   * segment fails as retryable, so the scheduler runs it elsewhere when none of its audio went
   * out; the worker's late answer for it is ignored.
   */
  private checkStalls(): void {
    const limit = this.timings.segmentStallMs ?? 0;
    if (limit <= 0 || this.state === 'exited') return;
    const now = Date.now();
    const grace = limit + 2 * this.timings.heartbeatMs;
    const stalled: [number, InFlight][] = [];
    for (const [id, f] of this.inflight) if (f.kind === 'synth' && now - f.lastProgressAt > grace) stalled.push([id, f]);
    if (stalled.length === 0) return;
    this.log('warn', { worker: this.id, pid: this.pid, segments: stalled.length, stallMs: limit }, 'segments made no progress; failing them and replacing the worker');
    // First: the supervisor must stop routing here before the retries are placed.
    this.emit('stalled');
    for (const [id, f] of stalled) {
      this.inflight.delete(id);
      this.cancelled.delete(id);
      this.send({ type: 'cancel', id });
      this.jobsFailed++;
      this.failuresByCode.stalled = (this.failuresByCode.stalled ?? 0) + 1;
      this.emit('segment-failed', 'stalled');
      f.sink.error(workerFault(this.id, 'stalled', `no audio and no progress for ${Math.round((now - f.lastProgressAt) / 1000)} s (WORKER_SEGMENT_STALL_MS=${limit})`));
    }
    this.emit('free');
    this.idleCheck();
  }

  private idleCheck(): void {
    if (this.active === 0) this.emit('idle');
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, fallback: string | null): void {
    if (this.state === 'exited') return;
    const wasReady = this.readyAt !== null;
    const stoppedByUs = this.state === 'stopping';
    this.state = 'exited';
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.startTimer) clearTimeout(this.startTimer);
    const reason = this.killReason ?? fallback ?? (stoppedByUs ? 'stopped' : wasReady ? 'crash' : 'start_failed');
    this.exit = { code, signal, reason, wasReady, jobsDone: this.jobsDone };
    const lost = [...this.inflight.values()];
    this.inflight.clear();
    for (const f of lost) f.sink.error(workerLost(this.id, signal ? `${reason}, ${signal}` : `${reason}, exit code ${code}`));
    this.emit('exited', this.exit);
    this.resolveExit(this.exit);
  }
}

function isGpuMemory(value: unknown): value is WireGpuMemory {
  const v = value as Partial<WireGpuMemory> | null;
  return typeof v === 'object' && v !== null && typeof v.allocatedBytes === 'number' && typeof v.reservedBytes === 'number' && typeof v.peakBytes === 'number';
}

function toAppError(code: string, message: string): AppError {
  switch (code) {
    case 'cancelled':
      return new AppError('cancelled');
    case 'unsupported_mode':
    case 'unsupported_language':
    case 'unknown_voice':
    case 'invalid_value':
    case 'engine_unavailable':
    case 'shutting_down':
      return new AppError(code, message);
    default:
      return new AppError('engine_failed', `The synthesis worker failed: ${message}`);
  }
}
