// What the remote engines know about the model behind the official servers (Fun-CosyVoice3-0.5B;
// ../shared/reference/cosyvoice3.md and the official example.py): its languages and the system
// prompt that version 3 expects in front of prompt transcripts and cross-lingual text.
import { LANGUAGE_CODES } from '../../text/language.js';
import { INSTRUCTION_PREFIX, INSTRUCTION_SUFFIX } from '../../text/instructions.js';
import { AppError } from '../../errors/app-error.js';
import { ENGINE_API_VERSION, type EngineCapabilities, type ReadableText, type SynthesisRequest } from '../engine.js';

/** Every language cosyfleet detects is one CosyVoice3 speaks (9 languages, Cantonese among the dialects). */
export const COSYVOICE3_LANGUAGES: readonly string[] = LANGUAGE_CODES;

/**
 * What Fun-CosyVoice3 reads: the scripts of its 9 languages (Chinese with Cantonese, English,
 * Japanese with kanji, Korean, German, Spanish, French, Italian, Russian) in text of any of them,
 * since it reads mixed-language text; its tokenizer takes every other script too, but the model
 * was not trained to voice them. Emoji it reads as nothing meaningful: they are skipped or named.
 */
export const COSYVOICE3_READABLE: ReadableText = Object.freeze({
  scripts: Object.freeze(Object.fromEntries(COSYVOICE3_LANGUAGES.map((l) => [l, Object.freeze(['Latin', 'Han', 'Hiragana', 'Katakana', 'Hangul', 'Cyrillic'])]))),
  emoji: false,
});

/**
 * Segment length for every CosyVoice3 engine: about 25 s of Mandarin at 4-5 characters a second.
 * The Triton model generates at most 750 speech tokens (30 s) per request, and cosyfleet's
 * segmentation (not the package's own 60-80-token splitting) decides where a text is cut.
 */
export const COSYVOICE3_MAX_SEGMENT_CHARS = 120;

/** What differs between the engines that run Fun-CosyVoice3 (local workers, remote servers). */
export type CosyVoice3EngineFacts = Pick<EngineCapabilities, 'name' | 'description' | 'modes' | 'streaming' | 'sampleRate' | 'concurrency' | 'speed' | 'license'>;

/** Capabilities of an engine running Fun-CosyVoice3: the model's languages and tokens, no batched call. */
export function cosyVoice3Capabilities(facts: CosyVoice3EngineFacts): EngineCapabilities {
  return Object.freeze({
    apiVersion: ENGINE_API_VERSION,
    ...facts,
    languages: COSYVOICE3_LANGUAGES,
    maxSegmentChars: COSYVOICE3_MAX_SEGMENT_CHARS,
    batching: { supported: false, maxBatch: 1 },
    annotations: ['cmu', 'pinyin', 'paralinguistic', 'control', 'markup'],
    readable: COSYVOICE3_READABLE,
  } satisfies EngineCapabilities);
}

/** The refusals every Fun-CosyVoice3 engine makes: a mode it does not offer, a language the model does not speak. */
export function refuseUnsupported(capabilities: EngineCapabilities, request: SynthesisRequest): void {
  const { name, modes, languages } = capabilities;
  if (!modes.includes(request.mode)) {
    throw new AppError('unsupported_mode', `The ${name} engine does not offer mode "${request.mode}"; it offers ${modes.join(', ')}.`, { param: 'mode' });
  }
  if (!languages.includes(request.language)) {
    throw new AppError('unsupported_language', `The ${name} engine does not speak "${request.language}"; it speaks ${languages.join(', ')}.`, { param: 'language' });
  }
}

export const END_OF_PROMPT = '<|endofprompt|>';
/** CosyVoice3's prefix for prompt text (zero-shot) and for cross-lingual text; without it the model reads the prompt aloud. */
export const COSYVOICE3_PROMPT_PREFIX = `You are a helpful assistant.${END_OF_PROMPT}`;

/** The text with CosyVoice3's prompt prefix, unless the caller already wrote an `<|endofprompt|>`. */
export function withPromptPrefix(text: string): string {
  return text.includes(END_OF_PROMPT) ? text : `${COSYVOICE3_PROMPT_PREFIX}${text}`;
}

/**
 * An instruction in plain words, for APIs that take `instructions` (OpenAI's): the service hands
 * engines instructions already wrapped in the model's format (src/text/instructions.ts).
 */
export function plainInstruction(wrapped: string): string {
  let text = wrapped;
  if (text.startsWith(INSTRUCTION_PREFIX)) text = text.slice(INSTRUCTION_PREFIX.length);
  if (text.endsWith(INSTRUCTION_SUFFIX)) text = text.slice(0, -INSTRUCTION_SUFFIX.length);
  return text.trim();
}
