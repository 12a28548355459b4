// Mandarin readings from pinyin-pro (MIT), as CosyVoice3 pinyin tokens: the initial (y and w
// count as initials) then the rest of the syllable as written, tone mark included: 予 yǔ →
// `[y][ǔ]`, 行 xíng → `[x][íng]`, 学 xué → `[x][ué]`, 绿 lǜ → `[l][ǜ]`. The token list spells
// the lüe/nüe final `[vè]`, so ü becomes v where only that spelling exists. A reading the
// inventory cannot spell (the syllabic nasals ḿ ńg, ê, a few neutral-tone finals) is reported,
// never approximated.
import { PINYIN_TOKENS } from '../text/tokens.js';

// Two-letter initials first, so zh is not read as z + h.
const INITIALS = ['zh', 'ch', 'sh', 'b', 'p', 'm', 'f', 'd', 't', 'n', 'l', 'g', 'k', 'h', 'j', 'q', 'x', 'r', 'z', 'c', 's', 'y', 'w'];

export interface HanReadings {
  /** Readings as tone-marked pinyin; the one pinyin-pro picks in this context comes first. */
  pinyin: string[];
}

type PinyinPro = typeof import('pinyin-pro');
let library: Promise<PinyinPro> | undefined;

function loadPinyin(): Promise<PinyinPro> {
  library ??= import('pinyin-pro');
  return library;
}

/** `xíng` → `[x][íng]`; null when a part is not in CosyVoice3's pinyin inventory. */
export function pinyinToTokens(syllable: string): string | null {
  const s = syllable.normalize('NFC');
  const initial = INITIALS.find((i) => s.startsWith(i) && s.length > i.length) ?? '';
  const final = s.slice(initial.length);
  const candidates = [`[${final}]`, `[${final.replace(/ü/g, 'v')}]`];
  const finalToken = candidates.find((t) => PINYIN_TOKENS.has(t));
  if (!finalToken) return null;
  if (initial === '') return finalToken;
  const initialToken = `[${initial}]`;
  return PINYIN_TOKENS.has(initialToken) ? initialToken + finalToken : null;
}

/**
 * One entry per code point of `run` (a run of Han characters): every reading pinyin-pro knows,
 * the reading it picks for this context first (so 银行 puts háng first for 行). Empty for a
 * character pinyin-pro does not know.
 */
export async function hanReadings(run: string): Promise<HanReadings[]> {
  const { pinyin } = await loadPinyin();
  const chars = Array.from(run);
  const data = pinyin(run, { type: 'all' });
  // pinyin-pro answers one item per character, but only trust it when the counts agree.
  const aligned = data.length === chars.length && data.every((d, i) => d.origin === chars[i]);
  return chars.map((ch, i) => {
    const d = aligned ? data[i] : pinyin(ch, { type: 'all' })[0];
    if (!d || !d.isZh || d.pinyin === '') return { pinyin: [] };
    return { pinyin: [...new Set([d.pinyin, ...d.polyphonic].filter((p) => p !== ''))] };
  });
}
