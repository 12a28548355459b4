// A synthetic engine whose service time follows a measured profile: a batch of segments with
// total audio A takes rtf(batchSize) x A (x timeScale) of wall time, audio streamed in chunks as
// the time passes. It stands in for a GPU model (CosyVoice3 cannot run here) in the scheduler
// benchmark and in tests of the supervisor; the audio is a quiet tone, not speech.
import { AppError } from '../errors/app-error.js';
import type { PcmChunk } from '../audio/pcm.js';
import { AsyncQueue } from '../util/async-queue.js';
import {
  ENGINE_API_VERSION,
  type BatchSynthesizeOptions,
  type Engine,
  type EngineCapabilities,
  type EngineHealth,
  type SynthesisRequest,
  type SynthesisWarning,
  type SynthesizeOptions,
  type Voice,
} from '../engines/engine.js';

export interface SyntheticProfile {
  /** RTF by batch size; sizes in between are interpolated. */
  readonly rtf: Readonly<Record<string, number>>;
  readonly maxBatch: number;
  /** Multiplies every service time (0.1 = ten times faster than the profile). */
  readonly timeScale: number;
  readonly sampleRate: number;
  /** Audio seconds per character at speed 1. */
  readonly secondsPerChar: number;
  /** Batches (or single calls) that may run at once. */
  readonly concurrency: number;
  /** Each engine call slows the next ones by this fraction (a model that degrades, as VRAM creeps). */
  readonly degradePerCall?: number;
}

/**
 * CosyVoice3 on one L20, Triton + TensorRT-LLM, offline (published figures, FunAudioLLM/CosyVoice
 * runtime/triton_trtllm/README.Cosyvoice3.md): RTF 0.109 at LLM batch 1 down to 0.050 at 16.
 */
export const L20_COSYVOICE3_PROFILE: SyntheticProfile = Object.freeze({
  rtf: Object.freeze({ 1: 0.109, 2: 0.082, 4: 0.063, 8: 0.056, 16: 0.05 }),
  maxBatch: 16,
  timeScale: 1,
  sampleRate: 24000,
  secondsPerChar: 0.065,
  concurrency: 1,
});

export function profileRtf(profile: SyntheticProfile, batch: number): number {
  const points = Object.entries(profile.rtf)
    .map(([b, r]) => [Number(b), r] as const)
    .sort((a, b) => a[0] - b[0]);
  const first = points[0] as readonly [number, number];
  if (batch <= first[0]) return first[1];
  for (let i = 1; i < points.length; i++) {
    const [b1, r1] = points[i] as readonly [number, number];
    const [b0, r0] = points[i - 1] as readonly [number, number];
    if (batch <= b1) return r0 + ((r1 - r0) * (batch - b0)) / (b1 - b0);
  }
  return (points[points.length - 1] as readonly [number, number])[1];
}

const CHUNKS_PER_SEGMENT = 8;

export class SyntheticEngine implements Engine {
  readonly capabilities: EngineCapabilities;
  private state: 'new' | 'started' | 'closed' = 'new';
  /** Engine calls made, by batch size (for tests and the benchmark). */
  readonly batchSizes: number[] = [];

  constructor(readonly profile: SyntheticProfile) {
    this.capabilities = Object.freeze({
      apiVersion: ENGINE_API_VERSION,
      name: 'synthetic',
      description: 'Synthetic engine with a published service-time profile (benchmarks and tests; a tone, not speech).',
      modes: ['preset'],
      languages: ['en', 'cmn'],
      streaming: true,
      maxSegmentChars: 400,
      sampleRate: profile.sampleRate,
      batching: { supported: profile.maxBatch > 1, maxBatch: profile.maxBatch },
      concurrency: profile.concurrency,
      speed: { min: 0.5, max: 2 },
      annotations: [],
    } satisfies EngineCapabilities);
  }

  async start(): Promise<void> {
    if (this.state === 'closed') throw new Error('engine closed');
    this.state = 'started';
  }

  health(): EngineHealth {
    return this.state === 'started' ? { ready: true } : { ready: false, detail: this.state };
  }

  async listVoices(): Promise<readonly Voice[]> {
    return [{ id: 'tone', name: 'Tone', kind: 'preset', engine: 'synthetic', languages: [] }];
  }

  check(request: SynthesisRequest): SynthesisWarning[] {
    if (request.mode !== 'preset') throw new AppError('unsupported_mode', 'The synthetic engine speaks preset voices only.', { param: 'mode' });
    if (request.voice !== 'tone' && !request.prompt) throw new AppError('unknown_voice', 'The synthetic engine has one voice, "tone".', { param: 'voice' });
    if (!this.capabilities.languages.includes(request.language)) throw new AppError('unsupported_language', 'The synthetic engine speaks en and cmn.', { param: 'language' });
    return request.prompt ? [{ code: 'voice_approximated', message: 'The synthetic engine plays a tone for every voice.', param: 'voice' }] : [];
  }

  synthesize(request: SynthesisRequest, options: SynthesizeOptions = {}): AsyncIterable<PcmChunk> {
    return this.run([request], [options.signal])[0] as AsyncIterable<PcmChunk>;
  }

  synthesizeBatch(requests: readonly SynthesisRequest[], options: BatchSynthesizeOptions = {}): AsyncIterable<PcmChunk>[] {
    return this.run(requests, options.signals ?? []);
  }

  async close(): Promise<void> {
    this.state = 'closed';
  }

  /** The audio one request gets: its length follows the text and the speed. */
  audioSeconds(request: SynthesisRequest): number {
    return Math.max(0.2, ([...request.text].length * this.profile.secondsPerChar) / request.speed);
  }

  private run(requests: readonly SynthesisRequest[], signals: readonly (AbortSignal | undefined)[]): AsyncQueue<PcmChunk>[] {
    this.batchSizes.push(requests.length);
    const queues = requests.map((_, i) => new AsyncQueue<PcmChunk>(() => aborts[i]?.abort()));
    const aborts = requests.map((_, i) => {
      const c = new AbortController();
      const s = signals[i];
      if (s?.aborted) c.abort();
      else s?.addEventListener('abort', () => c.abort(), { once: true });
      return c;
    });
    if (this.state !== 'started') {
      for (const q of queues) q.fail(new AppError('engine_unavailable', 'The synthetic engine is not started.'));
      return queues;
    }
    const seconds = requests.map((r) => this.audioSeconds(r));
    const slowdown = 1 + (this.profile.degradePerCall ?? 0) * (this.batchSizes.length - 1);
    const totalMs = profileRtf(this.profile, requests.length) * slowdown * seconds.reduce((a, b) => a + b, 0) * 1000 * this.profile.timeScale;
    const rate = this.profile.sampleRate;
    // Every item of a batch progresses together and is done when the batch is.
    let step = 0;
    const tick = () => {
      step++;
      requests.forEach((_, i) => {
        const q = queues[i] as AsyncQueue<PcmChunk>;
        if (q.finished) return;
        if (aborts[i]?.signal.aborted) return q.fail(new AppError('cancelled'));
        const n = Math.round((seconds[i] as number) * rate / CHUNKS_PER_SEGMENT);
        const samples = new Float32Array(n);
        for (let k = 0; k < n; k++) samples[k] = 0.1 * Math.sin((2 * Math.PI * 220 * ((step - 1) * n + k)) / rate);
        q.push({ samples, sampleRate: rate });
        if (step === CHUNKS_PER_SEGMENT) q.end();
      });
      if (step < CHUNKS_PER_SEGMENT && queues.some((q) => !q.finished)) setTimeout(tick, totalMs / CHUNKS_PER_SEGMENT);
    };
    setTimeout(tick, totalMs / CHUNKS_PER_SEGMENT);
    return queues;
  }
}
