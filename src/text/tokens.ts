// The CosyVoice3 token inventory, loaded once from the vendored data file so every consumer
// (scanner, validator, espeak CMU bridge) agrees on exactly one list.
import data from './cosyvoice3-tokens.json' with { type: 'json' };

/** Where the token lists come from (kept next to the data so it travels with it). */
export const TOKENS_SOURCE: string = data.source;

/** `[AA0]` ... `[ZH]`, including the stressless vowel forms (`[AA]`) the tokenizer also lists. */
export const CMU_TOKENS: ReadonlySet<string> = new Set(data.cmu_phoneme_tokens);
/** Pinyin initials and tone-marked finals, e.g. `[zh]`, `[ōng]` (NFC). */
export const PINYIN_TOKENS: ReadonlySet<string> = new Set(data.pinyin_tokens);
/** `<|endofprompt|>` and friends. */
export const CONTROL_TOKENS: ReadonlySet<string> = new Set(data.control_tokens);
/** Bracketed sound events such as `[breath]`; the `<strong>`-style tags live in MARKUP_TAGS. */
export const PARALINGUISTIC_TOKENS: ReadonlySet<string> = new Set(
  data.paralinguistic_tags.filter((t) => t.startsWith('[')),
);
/** Paired tags that wrap text: `<strong>...</strong>`, `<laughter>...</laughter>`. */
export const MARKUP_TAGS: ReadonlySet<string> = new Set(data.paralinguistic_tags.filter((t) => t.startsWith('<')));
/** Instruction texts the model was trained on (anything else may be ignored or read aloud). */
export const SUPPORTED_INSTRUCTIONS: readonly string[] = data.supported_instructions;

/** CMU base phonemes (no stress digit), derived from the token list: `AA`, `B`, `CH`, ... */
export const CMU_BASE_PHONEMES: readonly string[] = [
  ...new Set(data.cmu_phoneme_tokens.map((t) => t.slice(1, -1).replace(/[0-9]$/, ''))),
];

/**
 * The pinyin tokens that are initials (`[zh]`, `[j]`; `y` and `w` count): an initial is no
 * syllable alone, so it must stay glued to the final after it.
 */
export const PINYIN_INITIALS: ReadonlySet<string> = new Set(
  ['b', 'p', 'm', 'f', 'd', 't', 'n', 'l', 'g', 'k', 'h', 'j', 'q', 'x', 'zh', 'ch', 'sh', 'r', 'z', 'c', 's', 'y', 'w'].map((i) => `[${i}]`),
);
