// The engine-adapter interface, version 2 (v2 added voice prompts, prepareVoice and
// instructions; a v1 engine is a v2 engine without prepareVoice that warns about both; the
// optional capabilities.rtf and capabilities.readable came later within v2: an engine without
// them is unchanged). Every synthesis backend (embedded espeak, the
// CosyVoice3 GPU worker, remote servers) implements exactly this, and must pass the
// conformance suite in `conformance.ts`. Keep it small: the service handles segmentation,
// resampling, encoding and transport; an engine turns one segment of text into PCM.
import type { PcmChunk } from '../audio/pcm.js';

export const ENGINE_API_VERSION = 2 as const;

export const SYNTHESIS_MODES = ['preset', 'clone', 'cross_lingual', 'instruct'] as const;
export type SynthesisMode = (typeof SYNTHESIS_MODES)[number];

/** Inline annotation kinds an engine may honour (see src/text/annotations.ts). */
export type AnnotationKind = 'cmu' | 'pinyin' | 'paralinguistic' | 'control' | 'markup';

export interface EngineCapabilities {
  readonly apiVersion: typeof ENGINE_API_VERSION;
  /** Registry name, as in COSYFLEET_ENGINE. */
  readonly name: string;
  readonly description: string;
  readonly modes: readonly SynthesisMode[];
  /** Language codes the engine speaks (src/text/language.ts). */
  readonly languages: readonly string[];
  /** true when audio of one segment is yielded in several chunks as it is made. */
  readonly streaming: boolean;
  /** Longest segment (characters) the engine should receive in one call. */
  readonly maxSegmentChars: number;
  /** Sample rate of the PCM the engine yields. */
  readonly sampleRate: number;
  readonly batching: { readonly supported: boolean; readonly maxBatch: number };
  /** How many segments the engine can synthesize at the same time. */
  readonly concurrency: number;
  readonly speed: { readonly min: number; readonly max: number };
  /**
   * Optional, declared speed: the engine wall time of one call per second of audio it makes
   * (its real-time factor), as the scheduler times a call on a warm engine. Admission estimates
   * start from it before any call has been measured and then follow the measured calls;
   * engines that cannot know it (a remote server, a GPU of unknown type) leave it out and the
   * scheduler starts from a pessimistic 0.5.
   */
  readonly rtf?: number;
  /** Annotation kinds honoured; others come back as warnings. */
  readonly annotations: readonly AnnotationKind[];
  /**
   * Optional, declared: what the engine can read aloud. The service removes the rest before
   * segmentation (or names emoji, on request) with an `unreadable_skipped` warning
   * (src/text/unreadable.ts); an engine without it receives the text as written.
   */
  readonly readable?: ReadableText;
  /** Licence of the engine's code/data that a deployer must know about. */
  readonly license?: string;
}

/** What an engine reads aloud: see EngineCapabilities.readable. */
export interface ReadableText {
  /**
   * Per language code (of `languages`): the Unicode scripts, as Script_Extensions names (`Latin`,
   * `Han`, `Hiragana`, ...), whose letters the engine pronounces in text of that language.
   * Characters of the Common and Inherited scripts (digits, punctuation, `$`, combining marks)
   * are always readable; a language without an entry reads every script.
   */
  readonly scripts: Readonly<Record<string, readonly string[]>>;
  /**
   * Whether emoji and pictographs (Extended_Pictographic but © ® ™, flags, keycaps, skin tones)
   * reach the engine. false for every engine today: none voices them consistently, so the
   * service skips them, or speaks their CLDR names when the request asks.
   */
  readonly emoji: boolean;
}

export type VoiceKind = 'preset' | 'cloned';

export const VOICE_GENDERS = ['female', 'male', 'neutral'] as const;
export type VoiceGender = (typeof VOICE_GENDERS)[number];

export interface Voice {
  readonly id: string;
  readonly name: string;
  /** `preset`: built into the engine; `cloned`: from the voice library (a prompt recording). */
  readonly kind: VoiceKind;
  readonly engine: string;
  readonly gender?: VoiceGender;
  /** Languages the voice can speak; an empty list means every language of the engine. */
  readonly languages: readonly string[];
  readonly description?: string;
}

/**
 * A cloned voice as an engine sees it: the library's normalized prompt (16 kHz mono) and its
 * transcript. `id` is stable, so an engine may cache features computed from it (CosyVoice3's
 * add_zero_shot_spk) and `version` changes whenever the prompt does.
 */
export interface VoicePrompt {
  readonly id: string;
  readonly version: number;
  readonly transcript: string;
  readonly language: string;
  readonly sampleRate: number;
  /** Median F0 of the prompt, when the library could estimate it (engines that cannot clone pick a preset by it). */
  readonly pitchHz?: number;
  /** As the uploader declared it; engines that cannot clone pick a preset by it before the pitch. */
  readonly gender?: VoiceGender;
  /** Loads the prompt samples (float32 mono at sampleRate). */
  loadAudio(): Promise<Float32Array>;
}

/** A natural-language instruction: a trained key (`dialect:sichuan`) or free text. */
export interface Instruction {
  /** Key from the trained list (src/text/instructions.ts), when the request used one. */
  readonly key?: string;
  /** The instruction text the model receives, already in the model's wrapper format. */
  readonly text: string;
}

/** One segment of text to synthesize, already validated and segmented by the service. */
export interface SynthesisRequest {
  readonly text: string;
  readonly mode: SynthesisMode;
  readonly voice: string;
  readonly language: string;
  /** 1.0 = natural speed; within capabilities.speed. */
  readonly speed: number;
  readonly seed?: number;
  /** Present when `voice` is a cloned voice from the library (modes clone, cross_lingual, instruct). */
  readonly prompt?: VoicePrompt;
  /** Present in mode `instruct`. */
  readonly instruction?: Instruction;
  /** Request id, for the engine's own logs. */
  readonly requestId?: string;
}

/** An option the engine accepted but cannot honour (vercel/ai's rule: warn, never drop silently). */
export interface SynthesisWarning {
  readonly code: string;
  readonly message: string;
  readonly param?: string;
}

export interface SynthesizeOptions {
  /** Aborting stops the engine's work for this call as soon as it can. */
  readonly signal?: AbortSignal;
}

export interface BatchSynthesizeOptions {
  /** One signal per request, in the same order: aborting one stops that item only. */
  readonly signals?: readonly (AbortSignal | undefined)[];
}

export interface EngineHealth {
  readonly ready: boolean;
  readonly detail?: string;
}

export interface Engine {
  readonly capabilities: EngineCapabilities;
  /** Load models / spawn workers. Called once before the first synthesize. */
  start(): Promise<void>;
  health(): EngineHealth;
  listVoices(): Promise<readonly Voice[]>;
  /**
   * Optional: compute and cache whatever the engine derives from a cloned voice's prompt, once
   * per voice (and version) per worker, so requests then pass only the id. Engines without
   * such a cache omit it. Called when a voice is added and before first use after a restart.
   */
  prepareVoice?(voice: VoicePrompt): Promise<void>;
  /**
   * Checks a request before any audio is made: throws AppError (unsupported_mode,
   * unsupported_language, unknown_voice, ...) for what the engine cannot do at all, and
   * returns warnings for options it will ignore.
   */
  check(request: SynthesisRequest): SynthesisWarning[];
  /** Yields mono PCM chunks at capabilities.sampleRate. */
  synthesize(request: SynthesisRequest, options?: SynthesizeOptions): AsyncIterable<PcmChunk>;
  /**
   * Optional, for engines whose `capabilities.batching.supported`: several segments (at most
   * `batching.maxBatch`) in one engine call, as a GPU model runs a batch. Returns one stream per
   * request, in order, each behaving like synthesize()'s. The scheduler forms the batches
   * (src/scheduler): up to maxBatch waiting segments, or fewer after BATCH_MAX_QUEUE_DELAY_MS.
   */
  synthesizeBatch?(requests: readonly SynthesisRequest[], options?: BatchSynthesizeOptions): AsyncIterable<PcmChunk>[];
  /** Stop taking work, finish or abort what runs, release resources. Idempotent. */
  close(): Promise<void>;
}
