// The embedded CPU engine: espeak-ng compiled to WASM (GPL-3.0, from npm, not vendored),
// run in a pool of worker threads. It exists so the whole platform runs and is testable on
// any machine; it only speaks preset voices (a cloned voice is approximated by a preset, with a warning).
import { AppError } from '../../errors/app-error.js';
import { int16ToFloat32, type PcmChunk } from '../../audio/pcm.js';
import { AsyncQueue } from '../../util/async-queue.js';
import {
  ENGINE_API_VERSION,
  type Engine,
  type EngineCapabilities,
  type EngineHealth,
  type SynthesisRequest,
  type SynthesisWarning,
  type SynthesizeOptions,
  type Voice,
} from '../engine.js';
import { EspeakPool } from './pool.js';
import { ESPEAK_SAMPLE_RATE } from './protocol.js';
import { DEFAULT_ESPEAK_VOICE, ESPEAK_LANGUAGE_VOICES, ESPEAK_PRESETS, espeakVoiceId, type EspeakPreset } from './voices.js';
import { toEspeakInput } from './input.js';
import { ESPEAK_READABLE } from './readable.js';

export interface EspeakEngineOptions {
  workers: number;
  onWorkerError?: (err: Error) => void;
}

/** espeak's natural rate in words per minute, i.e. speed 1.0. */
const BASE_WPM = 175;
/** Median F0 above which a cloned voice is approximated by a female preset (typical voices: ~120 Hz male, ~210 Hz female). */
const FEMALE_PITCH_HZ = 165;
const APPROXIMATE_FEMALE = 'mei';
const APPROXIMATE_MALE = 'sam';

export class EspeakEngine implements Engine {
  readonly capabilities: EngineCapabilities;
  readonly pool: EspeakPool;
  private started: Promise<void> | null = null;
  private closed = false;

  constructor(options: EspeakEngineOptions) {
    this.pool = new EspeakPool(options.workers, options.onWorkerError);
    this.capabilities = Object.freeze({
      apiVersion: ENGINE_API_VERSION,
      name: 'espeak',
      description: 'Embedded espeak-ng (WASM) in worker threads: CPU-only, preset voices, for development and testing.',
      modes: ['preset'],
      languages: Object.keys(ESPEAK_LANGUAGE_VOICES),
      streaming: true,
      maxSegmentChars: 400,
      sampleRate: ESPEAK_SAMPLE_RATE,
      batching: { supported: false, maxBatch: 1 },
      concurrency: options.workers,
      speed: { min: 0.5, max: 2.0 },
      // bench:embedded measures 0.005-0.012 on the reference machine; a slower CPU gets slack.
      rtf: 0.02,
      annotations: ['cmu'],
      readable: ESPEAK_READABLE,
      license: 'GPL-3.0 (espeak-ng via @echogarden/espeak-ng-emscripten)',
    } satisfies EngineCapabilities);
  }

  start(): Promise<void> {
    this.started ??= this.pool.start().then(() => {
      const missing = Object.values(ESPEAK_LANGUAGE_VOICES).filter((v) => !this.pool.availableVoices.has(v));
      if (missing.length > 0) throw new Error(`espeak-ng build lacks voices: ${missing.join(', ')}`);
    });
    return this.started;
  }

  health(): EngineHealth {
    if (this.closed) return { ready: false, detail: 'closed' };
    if (!this.pool.ready) return { ready: false, detail: 'espeak workers are starting' };
    return { ready: true };
  }

  async listVoices(): Promise<readonly Voice[]> {
    return ESPEAK_PRESETS.map(({ variant: _variant, ...voice }) => voice);
  }

  check(request: SynthesisRequest): SynthesisWarning[] {
    if (request.mode !== 'preset') {
      throw new AppError(
        'unsupported_mode',
        `The espeak engine only speaks preset voices; mode "${request.mode}" needs the CosyVoice3 engine (COSYFLEET_ENGINE=cosyvoice).`,
        { param: 'mode' },
      );
    }
    const voice = this.voiceFor(request);
    if (!ESPEAK_LANGUAGE_VOICES[request.language]) {
      throw new AppError(
        'unsupported_language',
        `The espeak engine does not speak "${request.language}"; it speaks ${this.capabilities.languages.join(', ')}.`,
        { param: 'language' },
      );
    }
    const warnings: SynthesisWarning[] = [];
    if (request.prompt) {
      const { gender, pitchHz } = request.prompt;
      const pitch = pitchHz === undefined ? 'pitch unknown' : `median pitch ${Math.round(pitchHz)} Hz`;
      const basis = gender === 'female' || gender === 'male' ? `declared ${gender}, ${pitch}` : pitch;
      warnings.push({
        code: 'voice_approximated',
        message: `espeak cannot clone voices; spoke cloned voice ${request.prompt.id} (${basis}) with preset ${voice.id}; the CosyVoice3 engine clones it.`,
        param: 'voice',
      });
    }
    if (request.seed !== undefined) {
      warnings.push({ code: 'seed_ignored', message: 'espeak is deterministic; seed has no effect.', param: 'seed' });
    }
    warnings.push(...toEspeakInput(request.text, request.language).warnings);
    return warnings;
  }

  synthesize(request: SynthesisRequest, options: SynthesizeOptions = {}): AsyncIterable<PcmChunk> {
    const preset = this.voiceFor(request);
    const { pieces } = toEspeakInput(request.text, request.language);
    const abort = new AbortController();
    const forward = () => abort.abort();
    options.signal?.addEventListener('abort', forward, { once: true });
    // A signal aborted before the call never fires 'abort'.
    if (options.signal?.aborted) abort.abort();
    const queue = new AsyncQueue<PcmChunk>(() => abort.abort());
    const rate = Math.round(BASE_WPM * request.speed);
    const run = async (): Promise<boolean> => {
      // Pieces in other languages (a CMU word inside Mandarin text) are separate jobs in order.
      for (const piece of pieces) {
        const { aborted } = await this.pool.run(
          {
            text: piece.input,
            voice: espeakVoiceId(piece.language, preset),
            rate,
            onChunk: (samples) => queue.push({ samples: int16ToFloat32(samples), sampleRate: ESPEAK_SAMPLE_RATE }),
          },
          abort.signal,
        );
        if (aborted) return false;
      }
      return true;
    };
    run()
      .then(
        (completed) => (completed ? queue.end() : queue.fail(new AppError('cancelled'))),
        (err: unknown) => queue.fail(new AppError('engine_failed', `espeak failed: ${(err as Error).message}`, { cause: err })),
      )
      .finally(() => options.signal?.removeEventListener('abort', forward));
    return queue;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pool.close();
  }

  /**
   * The preset that speaks a request: the named one, or for a cloned voice (espeak cannot
   * clone) the female or male preset of its declared gender, or else the one its pitch suggests
   * (a declared "neutral" says nothing about which of the two is closer).
   */
  private voiceFor(request: SynthesisRequest): EspeakPreset {
    if (!request.prompt) return this.preset(request.voice);
    if (request.prompt.gender === 'female') return this.preset(APPROXIMATE_FEMALE);
    if (request.prompt.gender === 'male') return this.preset(APPROXIMATE_MALE);
    const pitch = request.prompt.pitchHz;
    if (pitch === undefined) return this.preset(DEFAULT_ESPEAK_VOICE);
    return this.preset(pitch > FEMALE_PITCH_HZ ? APPROXIMATE_FEMALE : APPROXIMATE_MALE);
  }

  private preset(id: string): EspeakPreset {
    const preset = ESPEAK_PRESETS.find((p) => p.id === id);
    if (!preset) {
      throw new AppError('unknown_voice', `The espeak engine has no voice "${id}"; it has ${ESPEAK_PRESETS.map((p) => p.id).join(', ')}.`, {
        param: 'voice',
      });
    }
    return preset;
  }
}
