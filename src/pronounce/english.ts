// English pronunciations from the CMU Pronouncing Dictionary (cmu-pronouncing-dictionary, ISC),
// as CosyVoice3 CMU tokens. The dictionary is ~135k entries (a few MB of JS), so it is loaded on
// first use rather than at startup.
import { CMU_TOKENS } from '../text/tokens.js';

export interface CmuReading {
  /** `[M][AY0][N][UW1][T]` */
  tokens: string;
  /** The dictionary's own notation: `M AY0 N UW1 T`. */
  raw: string;
}

let dictionary: Promise<Readonly<Record<string, string>>> | undefined;

function loadDictionary(): Promise<Readonly<Record<string, string>>> {
  dictionary ??= import('cmu-pronouncing-dictionary').then((m) => m.dictionary);
  return dictionary;
}

/**
 * `M AY0 N UW1 T` → `[M][AY0][N][UW1][T]`; null if any phoneme is not a CosyVoice3 token.
 * A few entries carry a trailing comment (`# place, danish`), which is not part of the pronunciation.
 */
export function arpabetToTokens(arpabet: string): string | null {
  const phones = (arpabet.split('#')[0] ?? '').trim().split(/\s+/).filter(Boolean);
  if (phones.length === 0) return null;
  const tokens = phones.map((p) => `[${p}]`);
  return tokens.every((t) => CMU_TOKENS.has(t)) ? tokens.join('') : null;
}

/**
 * Every pronunciation the dictionary lists for `word` (the main entry, then `word(2)`,
 * `word(3)`, ...), or null when the word is not in it. Lookup ignores case; curly apostrophes
 * count as straight ones.
 */
export async function cmuReadings(word: string): Promise<CmuReading[] | null> {
  const dict = await loadDictionary();
  const key = word.toLowerCase().replace(/\u2019/g, "'");
  const first = Object.hasOwn(dict, key) ? dict[key] : undefined;
  if (first === undefined) return null;
  const readings: CmuReading[] = [];
  const add = (raw: string | undefined): void => {
    if (raw === undefined) return;
    const tokens = arpabetToTokens(raw);
    if (tokens && !readings.some((r) => r.tokens === tokens)) readings.push({ tokens, raw: (raw.split('#')[0] ?? '').trim() });
  };
  add(first);
  // Alternates are numbered from (2); (1) does not occur, but costs nothing to accept.
  for (let n = 1; n <= 9; n++) add(dict[`${key}(${n})`]);
  return readings;
}
