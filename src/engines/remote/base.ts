// What every remote engine shares: voices (names the remote knows, reference recordings from
// REMOTE_VOICES_DIR, cloned voices from the library), the checks every CosyVoice3 remote makes
// (language, mode, seed), health through a HealthMonitor, and the synthesis loop: retry a segment
// that failed before any of its audio was yielded, never one that already played part of itself;
// abort on the caller's signal; map every failure to the error catalog.
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import { AppError, isAbortError } from '../../errors/app-error.js';
import type { PcmChunk } from '../../audio/pcm.js';
import type {
  Engine,
  EngineCapabilities,
  EngineHealth,
  SynthesisMode,
  SynthesisRequest,
  SynthesisWarning,
  SynthesizeOptions,
  Voice,
  VoicePrompt,
} from '../engine.js';
import { refuseUnsupported } from './cosyvoice3.js';
import { RemoteFailure, toAppError } from './failure.js';
import { backoffDelay, HealthMonitor, sleep } from './health.js';
import type { HttpTimeouts } from './http.js';
import { encodeWav } from './pcm.js';
import { resampleAll } from '../../audio/resample.js';
import { loadReferenceVoices, type ReferenceVoice } from './reference-voices.js';

export interface RemoteSettings {
  readonly concurrency: number;
  readonly timeouts: HttpTimeouts;
  readonly retries: number;
  readonly backoffMs: number;
  readonly healthIntervalMs: number;
  readonly voicesDir: string;
  readonly log?: Logger;
}

export function remoteSettings(config: Config, log?: Logger): RemoteSettings {
  return {
    concurrency: config.remoteConcurrency,
    timeouts: { connectMs: config.remoteConnectTimeoutMs, firstByteMs: config.remoteTimeoutMs, idleMs: config.remoteIdleTimeoutMs },
    retries: config.remoteRetries,
    backoffMs: config.remoteRetryBackoffMs,
    healthIntervalMs: config.remoteHealthIntervalMs,
    voicesDir: config.remoteVoicesDir,
    ...(log ? { log } : {}),
  };
}

/** Who speaks a request: a voice the remote knows by name, or prompt audio cosyfleet sends. */
export type Speaker = { readonly kind: 'named'; readonly id: string } | { readonly kind: 'prompt'; readonly prompt: VoicePrompt };

/** A checked request: its warnings, and how to fetch its audio (called again on a retry). */
export interface RemoteJob {
  readonly warnings: SynthesisWarning[];
  open(signal: AbortSignal): AsyncIterable<Float32Array>;
}

interface PromptAudio {
  readonly samples: Float32Array;
  readonly wav: Buffer;
}

const PROMPT_CACHE_ENTRIES = 64;
const PROMPT_RATE = 16000;

export abstract class RemoteEngine implements Engine {
  abstract readonly capabilities: EngineCapabilities;
  protected readonly monitor: HealthMonitor;
  private readonly presets = new Map<string, Speaker>();
  private readonly promptCache = new Map<string, Promise<PromptAudio>>();
  private started: Promise<void> | null = null;
  private closed = false;

  constructor(
    protected readonly settings: RemoteSettings,
    /** Voice ids the remote itself knows (speaker ids, voice names), from configuration. */
    namedVoices: readonly string[],
    /** Where the server is, for health details and logs (never credentials). */
    protected readonly describe: string,
  ) {
    for (const id of namedVoices) this.presets.set(id, { kind: 'named', id });
    this.monitor = new HealthMonitor((signal) => this.probe(signal), {
      retries: settings.retries,
      backoffMs: settings.backoffMs,
      intervalMs: settings.healthIntervalMs,
      describe,
    });
  }

  /** Resolves when the remote can take work; throws RemoteFailure when it cannot. */
  protected abstract probe(signal: AbortSignal): Promise<void>;
  /** Checks a request (throwing AppErrors) and says how to fetch it. */
  protected abstract prepare(request: SynthesisRequest, speaker: Speaker): RemoteJob;
  /** Releases connections. */
  protected abstract closeTransport(): void;
  /** Called once at start with the REMOTE_VOICES_DIR voices; throwing (an Error naming the files) stops start. */
  protected referenceVoicesLoaded(_voices: readonly ReferenceVoice[]): void {}

  start(): Promise<void> {
    this.started ??= (async () => {
      const references = await loadReferenceVoices(this.settings.voicesDir);
      for (const v of references) {
        if (this.presets.has(v.name)) throw new Error(`REMOTE_VOICES_DIR: voice "${v.name}" is also configured as a remote voice name`);
        this.presets.set(v.name, { kind: 'prompt', prompt: v.prompt });
      }
      this.referenceVoicesLoaded(references);
      await this.monitor.start();
      const health = this.monitor.health();
      if (!health.ready) this.settings.log?.warn({ engine: this.capabilities.name, detail: health.detail }, 'remote engine server is not ready');
    })();
    return this.started;
  }

  health(): EngineHealth {
    if (this.closed) return { ready: false, detail: 'closed' };
    if (!this.started) return { ready: false, detail: 'not started' };
    return this.monitor.health();
  }

  async listVoices(): Promise<readonly Voice[]> {
    return [...this.presets.entries()].map(([id, speaker]) => ({
      id,
      name: id,
      kind: 'preset' as const,
      engine: this.capabilities.name,
      languages: [],
      description:
        speaker.kind === 'named'
          ? `A voice the remote server knows by name (${this.describe}).`
          : `Reference recording from REMOTE_VOICES_DIR, spoken by cloning (${speaker.prompt.transcript.length} characters of transcript).`,
    }));
  }

  check(request: SynthesisRequest): SynthesisWarning[] {
    return this.prepare(request, this.speaker(request)).warnings;
  }

  synthesize(request: SynthesisRequest, options: SynthesizeOptions = {}): AsyncIterable<PcmChunk> {
    return this.run(request, options.signal);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.monitor.close();
    this.closeTransport();
  }

  /** Refusals every CosyVoice3 remote shares, plus the seed warning (no official server takes a seed). */
  protected commonChecks(request: SynthesisRequest): SynthesisWarning[] {
    const name = this.capabilities.name;
    refuseUnsupported(this.capabilities, request);
    const warnings: SynthesisWarning[] = [];
    if (request.seed !== undefined) {
      warnings.push({ code: 'seed_ignored', message: `The ${name} engine's server takes no seed; seed has no effect.`, param: 'seed' });
    }
    return warnings;
  }

  /** The refusal for a mode that needs prompt audio but got a voice the remote knows only by name. */
  protected needsPrompt(mode: SynthesisMode, voice: string): AppError {
    return new AppError(
      'invalid_value',
      `Mode "${mode}" on the ${this.capabilities.name} engine needs a cloned voice (from the voice library or REMOTE_VOICES_DIR); "${voice}" is a voice the server knows only by name.`,
      { param: 'voice' },
    );
  }

  /** The prompt's 16 kHz samples and WAV file, loaded once per voice version (a few kept). */
  protected promptAudio(prompt: VoicePrompt): Promise<PromptAudio> {
    const key = `${prompt.id}@${prompt.version}`;
    let entry = this.promptCache.get(key);
    if (!entry) {
      entry = prompt.loadAudio().then(async (loaded) => {
        // Every official runtime reads prompts at 16 kHz (the library already stores them so).
        const samples = prompt.sampleRate === PROMPT_RATE ? loaded : await resampleAll(loaded, prompt.sampleRate, PROMPT_RATE);
        return { samples, wav: encodeWav(samples, PROMPT_RATE) };
      });
      entry.catch(() => this.promptCache.delete(key));
      this.promptCache.set(key, entry);
      if (this.promptCache.size > PROMPT_CACHE_ENTRIES) this.promptCache.delete(this.promptCache.keys().next().value as string);
    }
    return entry;
  }

  private speaker(request: SynthesisRequest): Speaker {
    if (request.prompt) return { kind: 'prompt', prompt: request.prompt };
    const preset = this.presets.get(request.voice);
    if (preset) return preset;
    const ids = [...this.presets.keys()];
    throw new AppError(
      'unknown_voice',
      `The ${this.capabilities.name} engine has no voice "${request.voice}"; ${ids.length > 0 ? `it has ${ids.join(', ')}` : 'it has no preset voices (configure them, or use a cloned voice from the library)'}.`,
      { param: 'voice' },
    );
  }

  private async *run(request: SynthesisRequest, signal: AbortSignal | undefined): AsyncGenerator<PcmChunk> {
    if (this.closed) throw new AppError('engine_unavailable', `The ${this.capabilities.name} engine is closed.`);
    const job = this.prepare(request, this.speaker(request));
    const rate = this.capabilities.sampleRate;
    for (let attempt = 0; ; attempt++) {
      let yielded = false;
      const controller = new AbortController();
      const forward = () => controller.abort(signal?.reason);
      signal?.addEventListener('abort', forward, { once: true });
      if (signal?.aborted) controller.abort(signal.reason);
      try {
        for await (const samples of job.open(controller.signal)) {
          if (samples.length === 0) continue;
          yielded = true;
          yield { samples, sampleRate: rate };
        }
        if (!yielded) throw new RemoteFailure('protocol', 'the server sent no audio', true);
        return;
      } catch (err) {
        if (signal?.aborted || isAbortError(err)) throw new AppError('cancelled');
        if (err instanceof AppError) throw err;
        const failure = err instanceof RemoteFailure ? err : new RemoteFailure('protocol', (err as Error)?.message ?? String(err), false, { cause: err });
        if (failure.kind === 'unreachable') void this.monitor.poke();
        if (!yielded && failure.retryable && attempt < this.settings.retries && !this.closed) {
          const delay = backoffDelay(this.settings, attempt + 1);
          this.settings.log?.warn({ engine: this.capabilities.name, requestId: request.requestId, attempt: attempt + 1, delayMs: delay, reason: failure.message }, 'remote synthesis failed before any audio; retrying');
          try {
            await sleep(delay, signal);
          } catch {
            throw new AppError('cancelled');
          }
          continue;
        }
        throw toAppError(this.capabilities.name, failure, yielded);
      } finally {
        signal?.removeEventListener('abort', forward);
        controller.abort();
      }
    }
  }
}
