// The synthesis pipeline, independent of HTTP: validate and plan a request (everything that can
// be refused is refused here, before any byte is sent), then render it as a stream of encoded
// bytes: segments synthesized ahead of playback (SEGMENT_LOOKAHEAD) and read in order -> engine
// PCM chunks -> joined (a pause that follows the punctuation, or a crossfade) -> resample ->
// encode. Streaming and non-streaming responses consume the same generator.
import { AppError } from '../errors/app-error.js';
import type { Config } from '../config/config.js';
import type { Engine, Instruction, SynthesisMode, SynthesisWarning, VoicePrompt } from '../engines/engine.js';
import type { AsyncAudioEncoder, AudioFormat } from '../audio/types.js';
import type { PcmChunk } from '../audio/pcm.js';
import { MP3_SAMPLE_RATES } from '../audio/mp3.js';
import type { AudioWork } from '../audio/pool.js';
import { inlineEncoder, openCodecSession } from '../audio/codec-session.js';
import { segmentSpans } from '../text/segment.js';
import { joinAfter, joinPauseMs, type SegmentJoin } from '../text/joins.js';
import { SegmentJoiner, type Join, type JoinedAudio } from '../audio/segment-joiner.js';
import { pipelined } from './segment-pipeline.js';
import { detectLanguage } from '../text/language.js';
import { validateAnnotations } from '../text/annotations.js';
import { hasSpeakableContent } from '../text/speakable.js';
import { applyUnreadablePolicy, nothingReadable, type UnreadablePolicy } from '../text/unreadable.js';
import { isSsml } from '../text/ssml.js';
import { displayText, layoutSegments, readSsml, ssmlAnnotationIssue } from './ssml-plan.js';

export interface TtsInput {
  text: string;
  mode?: SynthesisMode;
  voice?: string;
  language?: string;
  speed?: number;
  seed?: number;
  format?: AudioFormat;
  sample_rate?: number;
  stream?: boolean;
  /** Instruction (mode instruct): a trained key such as `dialect:sichuan`, or free text. */
  instruct?: string;
  /** false: do not apply the pronunciation lexicon to this request. */
  lexicon?: boolean;
  /** Text the engine cannot read (emoji, scripts): skip it, or speak emoji names; default UNREADABLE_TEXT. */
  unreadable?: UnreadablePolicy;
  /** Keep the response's audio as a stored output (the routes do; planning ignores it). */
  store?: boolean;
}

export interface SynthesisPlan {
  readonly requestId: string;
  readonly engine: Engine;
  /** The text after the lexicon and the unreadable-text policy: what was segmented. */
  readonly text: string;
  readonly segments: readonly string[];
  /** Speed of each segment when they differ (SSML <prosody rate>); absent: `speed` for every one. */
  readonly speeds?: readonly number[];
  /**
   * Silence (ms) at each fencepost of the segments, segments.length + 1 of them: [0] before the
   * first, [i] between segment i-1 and i, the last after the last. Present when SSML <break>s
   * set them (the other fenceposts follow `joins`); absent: pauses by `joins` between segments
   * and nothing at the edges.
   */
  readonly pauses?: readonly number[];
  /**
   * What separates segment i and i+1 (segments.length - 1 of them): a paragraph, sentence or
   * clause end, a cut inside a sentence ('word': crossfaded), an SSML <break>. Absent: read from
   * each segment's last punctuation (no paragraph ends).
   */
  readonly joins?: readonly SegmentJoin[];
  /** Segments synthesized ahead of playback, the one being played included (SEGMENT_LOOKAHEAD); absent: 1. */
  readonly lookahead?: number;
  /** For SSML input: the offset in the client's SSML of a position in the converted text (before the lexicon). */
  readonly ssmlOffset?: (position: number) => number;
  readonly mode: SynthesisMode;
  readonly voice: string;
  /** The cloned voice's prompt when `voice` came from the library. */
  readonly prompt: VoicePrompt | undefined;
  readonly instruction: Instruction | undefined;
  readonly language: string;
  readonly languageDetected: boolean;
  readonly speed: number;
  readonly seed: number | undefined;
  readonly format: AudioFormat;
  readonly stream: boolean;
  /** Rate of the PCM fed to the encoder. */
  readonly pcmRate: number;
  /** Resamples the engine's audio to pcmRate and encodes it (in an audio thread where that is real work). */
  readonly encoder: AsyncAudioEncoder;
  /** Pause at a sentence end between segments (SEGMENT_GAP_MS); other joins scale from it (src/text/joins.ts). */
  readonly gapMs: number;
  readonly warnings: readonly SynthesisWarning[];
  /** The scheduler's job for this request (PlanServices.admit); renderAudio settles it. */
  readonly job?: PlanJob;
}

/** A job the scheduler admitted (src/scheduler): `engine` is the job's view of the engine. */
export interface PlanJob {
  readonly id: string;
  readonly engine: Engine;
  /** Ends the job: null for success, else the error that ended it. Idempotent. */
  settle(error: unknown): void;
}

/** Per-request admission inputs the route knows (the plan gives the rest). */
export interface AdmissionOptions {
  /** Whose request this is (the caller's tenant); jobs are shared fairly between owners. */
  readonly owner?: string;
  /** Longest the request may wait in the queue before synthesis starts (X-Deadline-Ms). */
  readonly deadlineMs?: number;
}

export interface RenderReport {
  segments: number;
  audioSeconds: number;
  wallMs: number;
  firstAudioMs: number | null;
  /** Wall time / audio time. */
  rtf: number;
}

export type PipelineConfig = Pick<Config, 'maxTextChars' | 'maxSegmentChars' | 'segmentGapMs'> & Partial<Pick<Config, 'unreadableText' | 'segmentLookahead'>>;

/**
 * What other services contribute to planning, injected by buildApp (no module singletons).
 * Each hook is optional so the pipeline runs with just an engine.
 */
export interface PlanServices {
  /** Resolves a voice id that is not one of the engine's presets (the voice library); null if unknown. */
  readonly resolveVoice?: (id: string) => Promise<VoicePrompt | null>;
  /**
   * Rewrites request text before segmentation (the lexicon). `maxChars` is the request limit
   * (MAX_TEXT_CHARS), which the rewritten text must keep too: a rewriter should refuse a longer
   * result itself (`text_too_long`) before building it; planning refuses it regardless.
   */
  readonly rewriteText?: (text: string, context: { language: string | undefined; input: TtsInput; maxChars: number }) => Promise<string>;
  /** Turns a request's `instruct` value into what the engine receives, plus warnings. */
  readonly resolveInstruction?: (value: string) => { instruction: Instruction; warnings: SynthesisWarning[] };
  /** Admits the planned request to the scheduler, or throws 429 (queue_full, overloaded) before any byte. */
  readonly admit?: (plan: TextPlan, options: AdmissionOptions) => PlanJob;
  /** Where resampling and encoding run (the audio thread pool); absent: on the event loop. */
  readonly audio?: Pick<AudioWork, 'openEncoder'>;
}

/** A plan without its encoder: everything planSynthesis decides, for callers that never render audio. */
export type TextPlan = Omit<SynthesisPlan, 'encoder' | 'job'>;

export async function planSynthesis(
  engine: Engine,
  config: PipelineConfig,
  input: TtsInput,
  requestId: string,
  services: PlanServices = {},
  admission: AdmissionOptions = {},
): Promise<SynthesisPlan> {
  return admitPlan(engine, await planText(engine, config, input, requestId, services), services, admission);
}

/**
 * The second half of planSynthesis: admission to the scheduler and the encoder, for a plan whose
 * text is settled (a route that first looks the plan up in the result cache calls the halves).
 */
export async function admitPlan(engine: Engine, plan: TextPlan, services: PlanServices = {}, admission: AdmissionOptions = {}): Promise<SynthesisPlan> {
  // Admission comes last, so a request refused for its content never takes a place in the queue.
  const job = services.admit?.(plan, admission);
  try {
    const spec = { format: plan.format, inputRate: engine.capabilities.sampleRate, pcmRate: plan.pcmRate, streaming: plan.stream };
    const encoder = services.audio ? await services.audio.openEncoder(spec) : inlineEncoder(await openCodecSession(spec));
    return job ? { ...plan, engine: job.engine, job, encoder } : { ...plan, encoder };
  } catch (err) {
    job?.settle(err);
    throw err;
  }
}

/**
 * planSynthesis without creating the encoder (Opus/MP3/FLAC set up WASM codecs, wasted on a
 * preview): the same validation, lexicon, language detection, segmentation and engine checks.
 */
export async function planText(
  engine: Engine,
  config: PipelineConfig,
  input: TtsInput,
  requestId: string,
  services: PlanServices = {},
): Promise<TextPlan> {
  const original = input.text;
  if (original.trim().length === 0) throw new AppError('empty_text', 'text must contain something to say.', { param: 'text' });
  const chars = [...original].length;
  if (chars > config.maxTextChars) {
    throw new AppError('text_too_long', `text has ${chars} characters; this server accepts at most ${config.maxTextChars} per request.`, {
      param: 'text',
    });
  }
  // SSML becomes CosyVoice3 text (parts between breaks and rate changes) before anything reads the text.
  const ssml = isSsml(original) ? readSsml(original, engine.capabilities, config.maxTextChars) : undefined;
  const source = ssml?.text ?? original;
  // Validate what the client wrote (positions refer to its text, SSML included); lexicon output is valid by construction.
  const issue = ssml ? ssmlAnnotationIssue(ssml) : validateAnnotations(original)[0];
  if (issue) {
    const hint = issue.suggestion ? ` Did you mean ${issue.suggestion}?` : '';
    throw new AppError('invalid_token', `Invalid token ${issue.token} at position ${issue.position}: ${issue.message}.${hint}`, { param: 'text' });
  }
  const text =
    input.lexicon !== false && services.rewriteText
      ? await services.rewriteText(source, { language: input.language, input, maxChars: config.maxTextChars })
      : source;
  if (text !== source) {
    const rewritten = [...text].length;
    if (rewritten > config.maxTextChars) {
      throw new AppError(
        'text_too_long',
        `text is ${rewritten} characters after the lexicon; this server accepts at most ${config.maxTextChars} per request (MAX_TEXT_CHARS), lexicon output included. Shorten the text, or send "lexicon": false.`,
        { param: 'text' },
      );
    }
  }

  const caps = engine.capabilities;
  const languageDetected = input.language === undefined && ssml?.language === undefined;
  const language = input.language ?? ssml?.language ?? detectLanguage(text);
  // Emoji and letters the engine cannot read in this language are skipped (or emoji named) before segmentation.
  const readable = applyUnreadablePolicy(text, { policy: input.unreadable ?? config.unreadableText ?? 'skip', language, readable: caps.readable, engine: caps.name });
  const spoken = readable.text;
  if (readable.named > 0 && [...spoken].length > config.maxTextChars) {
    throw new AppError('text_too_long', `text is ${[...spoken].length} characters with emoji names; this server accepts at most ${config.maxTextChars} per request (MAX_TEXT_CHARS). Shorten the text, or send "unreadable": "skip".`, { param: 'text' });
  }
  if (!hasSpeakableContent(spoken, caps.annotations)) {
    throw readable.skippedCount > 0 ? nothingReadable(readable, caps.name, language) : nothingToSpeak(caps.name, caps.annotations.includes('paralinguistic'));
  }
  const presets = await engine.listVoices();
  const voice = input.voice ?? presets[0]?.id;
  if (!voice) throw new AppError('engine_unavailable', `The ${caps.name} engine has no voices.`);
  let prompt: VoicePrompt | undefined;
  if (!presets.some((v) => v.id === voice) && services.resolveVoice) {
    prompt = (await services.resolveVoice(voice)) ?? undefined;
    if (!prompt) {
      const shown = presets.slice(0, 20).map((v) => v.id);
      const more = presets.length > shown.length ? ` and ${presets.length - shown.length} more` : '';
      throw new AppError('unknown_voice', `No voice "${voice}": not a preset of the ${caps.name} engine (${shown.join(', ')}${more}) and not in the voice library (GET /v1/voices lists both).`, { param: 'voice' });
    }
  }
  const preWarnings: SynthesisWarning[] = [...(ssml?.warnings ?? []), ...readable.warnings];
  let instruction: Instruction | undefined;
  if (input.instruct !== undefined) {
    if (!services.resolveInstruction) throw new AppError('invalid_value', 'This server does not accept instructions.', { param: 'instruct' });
    const resolved = services.resolveInstruction(input.instruct);
    instruction = resolved.instruction;
    preWarnings.push(...resolved.warnings);
  }
  // The natural default: an instruction means instruct mode, a cloned voice means cloning
  // where the engine can clone (an engine that cannot approximates it and says so).
  const mode: SynthesisMode =
    input.mode ?? (instruction ? 'instruct' : prompt && caps.modes.includes('clone') ? 'clone' : 'preset');
  // An engine without instruct mode refuses the mode itself (422 naming one that has it) in check().
  if (mode === 'instruct' && !instruction && caps.modes.includes('instruct')) {
    throw new AppError('missing_field', 'mode "instruct" needs an instruction in "instruct".', { param: 'instruct' });
  }
  const speed = input.speed ?? 1;
  if (speed < caps.speed.min || speed > caps.speed.max) {
    throw new AppError('invalid_value', `speed must be between ${caps.speed.min} and ${caps.speed.max} for the ${caps.name} engine.`, { param: 'speed' });
  }

  const format = input.format ?? 'wav';
  const pcmRate = input.sample_rate ?? caps.sampleRate;
  if (format === 'mp3' && !(MP3_SAMPLE_RATES as readonly number[]).includes(pcmRate)) {
    throw new AppError('unsupported_sample_rate', `mp3 cannot carry ${pcmRate} Hz; use one of ${MP3_SAMPLE_RATES.join(', ')}.`, {
      param: 'sample_rate',
    });
  }

  const maxChars = config.maxSegmentChars > 0 ? Math.min(config.maxSegmentChars, caps.maxSegmentChars) : caps.maxSegmentChars;
  const layout = ssml ? layoutSegments(spoken, ssml, { maxChars, language }, { speed, caps, gapMs: config.segmentGapMs }) : plainLayout(spoken, { maxChars, language });
  const { segments, speeds, pauses, joins } = layout;
  preWarnings.push(...layout.warnings);
  const warnings: SynthesisWarning[] = [];
  const seen = new Set<string>();
  for (const w of preWarnings) {
    if (!seen.has(w.code)) warnings.push(w);
    seen.add(w.code);
  }
  for (const [i, segment] of segments.entries()) {
    for (const w of engine.check({ text: segment, mode, voice, language, speed: speeds?.[i] ?? speed, seed: input.seed, prompt, instruction, requestId })) {
      if (!seen.has(w.code)) warnings.push(w);
      seen.add(w.code);
    }
  }
  const stream = input.stream ?? false;
  const lookahead = config.segmentLookahead ?? 1;
  return { requestId, engine, text: ssml ? displayText(spoken) : spoken, segments, speeds, pauses, joins, lookahead, ssmlOffset: ssml?.sourceOffset, mode, voice, prompt, instruction, language, languageDetected, speed, seed: input.seed, format, stream, pcmRate, gapMs: config.segmentGapMs, warnings };
}

/** Plain text's segments and what separates each from the next (a line break between them is a paragraph end). */
function plainLayout(text: string, options: { maxChars: number; language: string }): { segments: string[]; joins: SegmentJoin[]; speeds?: undefined; pauses?: undefined; warnings: SynthesisWarning[] } {
  const spans = segmentSpans(text, options);
  const joins = spans.slice(1).map((span, i) => {
    const before = spans[i] as (typeof spans)[number];
    return joinAfter(before.text, text.slice(before.end, span.start));
  });
  return { segments: spans.map((s) => s.text), joins, warnings: [] };
}

function nothingToSpeak(engine: string, voicesEvents: boolean): AppError {
  const what = voicesEvents ? 'only control tokens, markup tags and punctuation' : 'only sound events it cannot voice ([breath], [laughter]), control tokens, markup tags and punctuation';
  return new AppError('nothing_to_speak', `The text holds nothing the ${engine} engine can speak: ${what}. Add the words to say.`, { param: 'text' });
}

/** Samples of owed silence encoded at a time. */
const SILENCE_BLOCK = 16_384;

/** True when every sample rounds to 0 in 16-bit PCM. */
function isSilent(samples: Float32Array): boolean {
  for (let i = 0; i < samples.length; i++) if (Math.abs(samples[i] as number) >= 0.5 / 32768) return false;
  return true;
}

const UNSETTLED = Symbol('unsettled');

/** Where two segments meet, the quiet each engine call adds at its ends is cut down to this. */
const JOIN_MARGIN_MS = 40;
/** Each side of a pause between segments is faded over this (no click where quiet was cut). */
const JOIN_FADE_MS = 10;
/** A join with no pause (a cut inside a sentence) overlaps the segments by this much. */
const JOIN_CROSSFADE_MS = 15;
/** Below this peak a sample counts as the engine's quiet (-45 dBFS). */
const JOIN_QUIET = 10 ** (-45 / 20);

/** What separates segment i-1 and segment i (0 < i < segments.length). */
export function segmentJoin(plan: Pick<TextPlan, 'joins' | 'segments'>, i: number): SegmentJoin {
  return plan.joins?.[i - 1] ?? joinAfter(plan.segments[i - 1] ?? '');
}

/**
 * Milliseconds of silence before segment `i` (i = segments.length: after the last): an SSML
 * <break>'s (plan.pauses), else the pause its join calls for (src/text/joins.ts) and nothing at
 * the edges.
 */
export function pauseMs(plan: Pick<TextPlan, 'pauses' | 'segments' | 'gapMs' | 'joins'>, i: number): number {
  if (plan.pauses) return plan.pauses[i] ?? 0;
  return i > 0 && i < plan.segments.length ? joinPauseMs(segmentJoin(plan, i), plan.gapMs) : 0;
}

function pauseSamples(plan: SynthesisPlan, i: number, rate: number): number {
  return Math.round((rate * pauseMs(plan, i)) / 1000);
}

/** How segment i meets the audio before it: its pause, or a crossfade where a sentence was cut. */
function joinBefore(plan: SynthesisPlan, i: number, rate: number): Join {
  const pause = pauseSamples(plan, i, rate);
  return { pause, crossfade: pause === 0 && segmentJoin(plan, i) === 'word' };
}

/** A plan that will not be rendered (the route failed after planning): frees its codec and ends its job. */
export function abandonPlan(plan: SynthesisPlan, error: unknown): void {
  void plan.encoder.close();
  plan.job?.settle(error);
}

/**
 * Where segment i's audio comes from when it is not the engine: a long-form job assembles its
 * result from the segments it stored (src/jobs/runner.ts), joined exactly as one request would be.
 */
export type SegmentSource = (index: number, signal: AbortSignal) => AsyncIterable<PcmChunk>;

/**
 * Renders a plan as encoded bytes. Up to plan.lookahead segments are synthesized at once, ahead
 * of playback (src/services/segment-pipeline.ts), and read strictly in order; nothing starts
 * before the consumer asks for the first bytes, a segment beyond the bound starts only when the
 * consumer has read the one before the window, and stopping the iteration (or `signal`) aborts
 * every segment in flight.
 */
export async function* renderAudio(plan: SynthesisPlan, signal: AbortSignal, report?: (r: RenderReport) => void, source?: SegmentSource): AsyncGenerator<Buffer> {
  const { engine, encoder } = plan;
  const engineRate = engine.capabilities.sampleRate;
  const started = performance.now();
  let firstAudioMs: number | null = null;
  // Samples handed to the encoder at the engine's rate (pauses included): the response's length.
  let samplesOut = 0;
  // Until the engine's first non-silent sample, how many silent samples (its own and pauses) are owed.
  let audible = false;
  let silentLead = 0;
  // What ends the scheduler's job; still UNSETTLED if the consumer stopped reading early, which
  // is a cancellation. The AppError for that is made only then: building one up front would
  // capture a stack trace on every request.
  let outcome: unknown = UNSETTLED;
  const ms = (n: number) => Math.round((engineRate * n) / 1000);
  const joiner = new SegmentJoiner({ quiet: JOIN_QUIET, margin: ms(JOIN_MARGIN_MS), fade: ms(JOIN_FADE_MS), crossfade: ms(JOIN_CROSSFADE_MS) });
  try {
    const emit = async function* (samples: Float32Array): AsyncGenerator<Buffer> {
      samplesOut += samples.length;
      for (const b of await encoder.write(samples)) if (b.length > 0) yield b;
    };
    const silence = async function* (samples: number): AsyncGenerator<Buffer> {
      for (let left = samples; left > 0; left -= SILENCE_BLOCK) yield* emit(new Float32Array(Math.min(left, SILENCE_BLOCK)));
    };
    const send = async function* (joined: readonly JoinedAudio[]): AsyncGenerator<Buffer> {
      for (const part of joined) {
        if (typeof part === 'number') {
          if (audible) yield* silence(part);
          else silentLead += part;
          continue;
        }
        if (!audible) {
          // Silence before the first sound is counted, not encoded yet: see the check below.
          if (isSilent(part)) {
            silentLead += part.length;
            continue;
          }
          audible = true;
          yield* silence(silentLead);
        }
        yield* emit(part);
      }
    };
    const synthesize = (i: number, segmentSignal: AbortSignal) =>
      source?.(i, segmentSignal) ??
      engine.synthesize(
        {
          text: plan.segments[i] as string,
          mode: plan.mode,
          voice: plan.voice,
          language: plan.language,
          speed: plan.speeds?.[i] ?? plan.speed,
          seed: plan.seed,
          prompt: plan.prompt,
          instruction: plan.instruction,
          requestId: plan.requestId,
        },
        { signal: segmentSignal },
      );
    // The segment whose audio was last seen; a segment that yields nothing adds no second pause.
    let current = -1;
    for await (const { index, item: chunk } of pipelined(plan.segments.length, plan.lookahead ?? 1, synthesize, signal)) {
      if (signal.aborted) throw new AppError('cancelled');
      if (chunk.sampleRate !== engineRate) {
        throw new AppError('engine_failed', `engine yielded ${chunk.sampleRate} Hz, declared ${engineRate} Hz`);
      }
      if (chunk.samples.length === 0) continue;
      // First engine audio, not first encoded byte: a non-streamed WAV holds every byte until
      // the end, but the engine's latency is what capacity planning needs.
      firstAudioMs ??= performance.now() - started;
      if (index !== current) {
        // The pause before the first segment (an SSML <break>) goes before the first audio.
        if (current < 0) silentLead += pauseSamples(plan, 0, engineRate);
        yield* send(joiner.begin(joinBefore(plan, index, engineRate)));
        current = index;
      }
      yield* send(joiner.push(chunk.samples));
    }
    // An engine may end a stream quietly when aborted: the response would look complete.
    if (signal.aborted) throw new AppError('cancelled');
    yield* send(joiner.finish());
    // Text the plan let through (a lone `♪`, say) can still make the engine say nothing, or
    // only silence; an empty or silent file with status 200 would pass for success. Nothing has
    // been encoded yet, so the client gets the refusal as a JSON error, streamed or not.
    if (!audible) {
      throw new AppError('nothing_to_speak', `The ${engine.capabilities.name} engine made no sound from this text: it holds nothing the engine can speak. Add the words to say.`, { param: 'text' });
    }
    yield* silence(pauseSamples(plan, plan.segments.length, engineRate));
    for (const b of await encoder.end()) if (b.length > 0) yield b;
    const wallMs = performance.now() - started;
    const audioSeconds = samplesOut / engineRate;
    outcome = null;
    report?.({ segments: plan.segments.length, audioSeconds, wallMs, firstAudioMs, rtf: audioSeconds > 0 ? wallMs / 1000 / audioSeconds : 0 });
  } catch (err) {
    outcome = err;
    throw err;
  } finally {
    // After end() a no-op; otherwise the codec (in its thread) is abandoned and freed now.
    await encoder.close();
    plan.job?.settle(outcome === UNSETTLED ? new AppError('cancelled') : outcome);
  }
}
