// An Engine whose synthesis runs in supervised worker processes (COSYFLEET_WORKERS=process).
// What needs no model — capabilities, voices, check() — comes from a local, never-started
// instance of the same engine (`describe`); segments go over the worker protocol. It passes
// the same conformance suite as the in-process engine.
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { AppError } from '../errors/app-error.js';
import type { PcmChunk } from '../audio/pcm.js';
import { AsyncQueue } from '../util/async-queue.js';
import type {
  BatchSynthesizeOptions,
  Engine,
  EngineCapabilities,
  EngineHealth,
  SynthesisRequest,
  SynthesisWarning,
  SynthesizeOptions,
  Voice,
  VoicePrompt,
} from '../engines/engine.js';
import type { WireRequest } from './protocol.js';
import { Supervisor, toWireVoice, type RecyclePolicy, type SegmentJob, type SupervisorLog } from './supervisor.js';
import type { WorkerSpec, WorkerTimings } from './worker-process.js';
import { GpuMemoryProbe } from './gpu-memory.js';

export interface ProcessEngineOptions {
  /** The same engine, never started: capabilities, voices and request checks. */
  readonly describe: Engine;
  readonly workers: number;
  /** Segments each worker runs at once (reported back by the worker in `ready`). */
  readonly concurrencyPerWorker: number;
  readonly spec: (slot: number) => WorkerSpec;
  readonly timings: WorkerTimings;
  readonly drainTimeoutMs: number;
  readonly recycle: RecyclePolicy;
  readonly backoff: { readonly baseMs: number; readonly maxMs: number };
  readonly crashLoopAfter?: number;
  readonly log?: SupervisorLog;
  readonly gpu?: GpuMemoryProbe;
}

export class ProcessEngine implements Engine {
  readonly capabilities: EngineCapabilities;
  readonly supervisor: Supervisor;
  readonly prepareVoice?: (voice: VoicePrompt) => Promise<void>;
  /** Present when the workers' engine batches: the batch goes to one worker as one `synth_batch`. */
  readonly synthesizeBatch?: (requests: readonly SynthesisRequest[], options?: BatchSynthesizeOptions) => AsyncIterable<PcmChunk>[];
  private state: 'new' | 'started' | 'closed' = 'new';

  constructor(private readonly options: ProcessEngineOptions) {
    const caps = options.describe.capabilities;
    this.capabilities = Object.freeze({
      ...caps,
      description: `${caps.description} Runs in ${options.workers} worker process(es).`,
      concurrency: options.workers * options.concurrencyPerWorker,
    });
    this.supervisor = new Supervisor({
      name: caps.name,
      size: options.workers,
      spec: options.spec,
      timings: options.timings,
      drainTimeoutMs: options.drainTimeoutMs,
      recycle: options.recycle,
      backoff: options.backoff,
      crashLoopAfter: options.crashLoopAfter ?? 3,
      expect: { name: caps.name, sampleRate: caps.sampleRate },
      preparesVoices: typeof options.describe.prepareVoice === 'function',
      log: options.log ?? (() => {}),
      ...(options.gpu ? { gpu: options.gpu } : {}),
    });
    if (options.describe.prepareVoice) this.prepareVoice = (voice) => this.supervisor.prepareVoice(voice);
    if (caps.batching.supported) this.synthesizeBatch = (requests, o = {}) => this.run(requests, o.signals ?? []);
  }

  async start(): Promise<void> {
    if (this.state === 'closed') throw new Error('engine closed');
    this.state = 'started';
    await this.supervisor.start();
  }

  health(): EngineHealth {
    if (this.state === 'new') return { ready: false, detail: 'not started' };
    return this.supervisor.health();
  }

  listVoices(): Promise<readonly Voice[]> {
    return this.options.describe.listVoices();
  }

  check(request: SynthesisRequest): SynthesisWarning[] {
    return this.options.describe.check(request);
  }

  synthesize(request: SynthesisRequest, options: SynthesizeOptions = {}): AsyncIterable<PcmChunk> {
    return this.run([request], [options.signal])[0] as AsyncIterable<PcmChunk>;
  }

  private run(requests: readonly SynthesisRequest[], signals: readonly (AbortSignal | undefined)[]): AsyncIterable<PcmChunk>[] {
    const rate = this.capabilities.sampleRate;
    const jobs: SegmentJob[] = [];
    const streams = requests.map((request, i) => {
      const abort = new AbortController();
      const outer = signals[i];
      const forward = () => abort.abort();
      outer?.addEventListener('abort', forward, { once: true });
      if (outer?.aborted) abort.abort();
      const queue = new AsyncQueue<PcmChunk>(() => abort.abort());
      if (this.state !== 'started') {
        queue.fail(new AppError('engine_unavailable', `The ${this.capabilities.name} engine is ${this.state === 'closed' ? 'closed' : 'not started'}.`));
        return queue;
      }
      jobs.push({
        request: toWireRequest(request),
        sink: {
          chunk: (samples) => queue.push({ samples, sampleRate: rate }),
          done: () => {
            outer?.removeEventListener('abort', forward);
            queue.end();
          },
          error: (error) => {
            outer?.removeEventListener('abort', forward);
            queue.fail(abort.signal.aborted ? new AppError('cancelled') : error);
          },
        },
        signal: abort.signal,
        ...(request.prompt ? { prompt: request.prompt } : {}),
      });
      return cancellable(queue, abort.signal);
    });
    if (jobs.length > 0) this.supervisor.runBatch(jobs);
    return streams;
  }

  /** Graceful rolling replacement of every worker. */
  restart(reason: string): Promise<void> {
    return this.supervisor.restartAll(reason);
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    await this.supervisor.close();
  }
}

/** Chunks already received stop at once when the caller aborts (the worker stops a moment later). */
async function* cancellable(source: AsyncIterable<PcmChunk>, signal: AbortSignal): AsyncGenerator<PcmChunk> {
  for await (const chunk of source) {
    if (signal.aborted) throw new AppError('cancelled');
    yield chunk;
  }
  if (signal.aborted) throw new AppError('cancelled');
}

function toWireRequest(r: SynthesisRequest): WireRequest {
  return {
    text: r.text,
    mode: r.mode,
    voice: r.voice,
    language: r.language,
    speed: r.speed,
    ...(r.seed !== undefined ? { seed: r.seed } : {}),
    ...(r.requestId !== undefined ? { requestId: r.requestId } : {}),
    ...(r.instruction ? { instruction: { ...(r.instruction.key !== undefined ? { key: r.instruction.key } : {}), text: r.instruction.text } } : {}),
    ...(r.prompt ? { prompt: toWireVoice(r.prompt) } : {}),
  };
}

const fromSource = import.meta.url.endsWith('.ts');

/**
 * How to start this package's own worker process (src/workers/worker-main): from source through
 * tsx (tests, `npm run dev`), or the built JavaScript.
 */
export function builtinWorkerCommand(): { command: string; args: string[] } {
  const main = fileURLToPath(new URL(`./worker-main${fromSource ? '.ts' : '.js'}`, import.meta.url));
  return { command: process.execPath, args: fromSource ? ['--import', import.meta.resolve('tsx'), main] : [main] };
}

/** Adapts a pino logger to the supervisor's log function. */
export function supervisorLog(log: Logger): SupervisorLog {
  return (level, fields, msg) => log[level](fields, msg);
}
