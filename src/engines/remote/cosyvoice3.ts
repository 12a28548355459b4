// What the remote engines know about the model behind the official servers (Fun-CosyVoice3-0.5B;
// ../shared/reference/cosyvoice3.md and the official example.py): its languages and the system
// prompt that version 3 expects in front of prompt transcripts and cross-lingual text.
import { LANGUAGE_CODES } from '../../text/language.js';
import { INSTRUCTION_PREFIX, INSTRUCTION_SUFFIX } from '../../text/instructions.js';

/** Every language cosyfleet detects is one CosyVoice3 speaks (9 languages, Cantonese among the dialects). */
export const COSYVOICE3_LANGUAGES: readonly string[] = LANGUAGE_CODES;

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
