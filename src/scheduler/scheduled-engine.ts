// The engine the service uses: an Engine decorator that sends every synthesis through the
// scheduler. planSynthesis admits a job (PlanServices.admit) and renders with that job's view of
// the engine, so each segment call is queued, prioritized and counted against the job; a direct
// synthesize() call (tests, tools) becomes a one-segment job that is never refused.
import { AppError } from '../errors/app-error.js';
import type { PcmChunk } from '../audio/pcm.js';
import type {
  Engine,
  EngineCapabilities,
  EngineHealth,
  SynthesisRequest,
  SynthesisWarning,
  SynthesizeOptions,
  Voice,
  VoicePrompt,
} from '../engines/engine.js';
import { Scheduler, type Job, type JobSpec, type SchedulerOptions } from './scheduler.js';
import type { AdmitOptions } from './job.js';

/** An engine that can replace its own workers without stopping (the process supervisor). */
export interface RestartableEngine extends Engine {
  restart(reason: string): Promise<void>;
}

export function isRestartable(engine: Engine): engine is RestartableEngine {
  return typeof (engine as Partial<RestartableEngine>).restart === 'function';
}

export interface ScheduledEngineOptions extends SchedulerOptions {
  /**
   * Builds a fresh engine of the same kind, for restart() of engines that cannot restart
   * themselves (the thread pool): the new one starts, takes new segments, and the old one closes
   * once its running segments are done.
   */
  readonly factory?: () => Engine;
}

/** An admitted job as planSynthesis sees it: the engine to render with, and how to end it. */
export interface AdmittedJob {
  readonly id: string;
  readonly engine: Engine;
  settle(error: unknown): void;
}

export class ScheduledEngine implements Engine {
  readonly scheduler: Scheduler;
  /** Present when the wrapped engine caches voices; re-run on a replacement engine. */
  readonly prepareVoice?: (voice: VoicePrompt) => Promise<void>;
  private readonly prompts = new Map<string, VoicePrompt>();
  private closing: Promise<void> | null = null;
  private restarting: Promise<void> | null = null;

  constructor(
    inner: Engine,
    private readonly options: ScheduledEngineOptions,
  ) {
    this.scheduler = new Scheduler(inner, options);
    if (inner.prepareVoice) {
      this.prepareVoice = async (voice) => {
        this.prompts.set(voice.id, voice);
        await this.inner.prepareVoice?.(voice);
      };
    }
  }

  get inner(): Engine {
    return this.scheduler.current;
  }

  get capabilities(): EngineCapabilities {
    return this.inner.capabilities;
  }

  async start(): Promise<void> {
    this.scheduler.start();
    await this.inner.start();
  }

  health(): EngineHealth {
    if (this.closing) return { ready: false, detail: 'closed' };
    return this.inner.health();
  }

  listVoices(): Promise<readonly Voice[]> {
    return this.inner.listVoices();
  }

  check(request: SynthesisRequest): SynthesisWarning[] {
    return this.inner.check(request);
  }

  synthesize(request: SynthesisRequest, options: SynthesizeOptions = {}): AsyncIterable<PcmChunk> {
    return this.scheduler.submit(this.scheduler.implicitJob(request), request, options.signal);
  }

  /** Admits a planned request (throws 429 at once when it cannot be served in time). */
  admit(spec: JobSpec, options: AdmitOptions = {}): AdmittedJob {
    const job = this.scheduler.admit(spec, options);
    return { id: job.id, engine: new JobEngine(this, job), settle: (error) => this.scheduler.settle(job, error) };
  }

  /** Graceful restart: the engine's own (rolling worker replacement) or a swap for a new instance. */
  restart(reason: string): Promise<void> {
    const inner = this.inner;
    if (this.closing) return Promise.reject(new AppError('shutting_down'));
    if (isRestartable(inner)) return inner.restart(reason);
    const factory = this.options.factory;
    if (!factory) return Promise.reject(new AppError('engine_not_restartable', `The ${inner.capabilities.name} engine was supplied by the embedding program and cannot be rebuilt.`));
    // Concurrent restarts share one swap.
    this.restarting ??= (async () => {
      const next = factory();
      try {
        await next.start();
        for (const prompt of this.prompts.values()) await next.prepareVoice?.(prompt);
      } catch (err) {
        await next.close();
        throw err;
      }
      if (this.closing) {
        await next.close();
        return;
      }
      const previous = await this.scheduler.swap(next);
      await previous.close();
    })().finally(() => {
      this.restarting = null;
    });
    return this.restarting;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.restarting?.catch(() => {});
      await this.scheduler.close();
      await this.inner.close();
    })();
    return this.closing;
  }
}

/**
 * One job's view of the engine: each synthesize() queues the job's next segment (calls are
 * segments in order; several may be in flight, the later ones as look-ahead).
 */
class JobEngine implements Engine {
  constructor(
    private readonly owner: ScheduledEngine,
    private readonly job: Job,
  ) {}

  get capabilities(): EngineCapabilities {
    return this.owner.capabilities;
  }
  start(): Promise<void> {
    return Promise.resolve();
  }
  health(): EngineHealth {
    return this.owner.health();
  }
  listVoices(): Promise<readonly Voice[]> {
    return this.owner.listVoices();
  }
  check(request: SynthesisRequest): SynthesisWarning[] {
    return this.owner.check(request);
  }
  synthesize(request: SynthesisRequest, options: SynthesizeOptions = {}): AsyncIterable<PcmChunk> {
    return this.owner.scheduler.submit(this.job, request, options.signal);
  }
  /** The job's view never closes the engine. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
