// Cheap language guess for routing a request to a voice/engine when the client gives none.
// Scripts decide first (Hangul, kana, Han, Cyrillic); Latin text is scored on function words
// and diacritics. It is a heuristic for short inputs, not a classifier: anything ambiguous falls
// back to English.
import { scanAnnotations } from './annotations.js';

export type LanguageCode = 'en' | 'cmn' | 'yue' | 'ja' | 'ko' | 'de' | 'es' | 'fr' | 'it' | 'ru';

export interface LanguageInfo {
  code: LanguageCode;
  name: string;
}

export const LANGUAGES: readonly LanguageInfo[] = [
  { code: 'en', name: 'English' },
  { code: 'cmn', name: 'Mandarin Chinese' },
  { code: 'yue', name: 'Cantonese' },
  { code: 'ja', name: 'Japanese' },
  { code: 'ko', name: 'Korean' },
  { code: 'de', name: 'German' },
  { code: 'es', name: 'Spanish' },
  { code: 'fr', name: 'French' },
  { code: 'it', name: 'Italian' },
  { code: 'ru', name: 'Russian' },
];

export const LANGUAGE_CODES: readonly LanguageCode[] = LANGUAGES.map((l) => l.code);

const CODES: ReadonlySet<string> = new Set(LANGUAGE_CODES);

export function isLanguageCode(value: string): value is LanguageCode {
  return CODES.has(value);
}

// Written Cantonese characters that standard Mandarin text practically never uses.
const CANTONESE_STRONG: ReadonlySet<string> = new Set(Array.from('嘅咗唔冇佢哋啲嚟噉嘢喺乜睇揾搵畀咩嗰啱㗎嘞喎囉冚啩攞諗谂嬲嘥噃'));
// Also common in Mandarin (關係 "relation", 这么/那么 spelled 咁 in some texts, 俾 in 俾使), so
// they only count half, and 係 not at all right after a character that makes it Mandarin 关系.
const CANTONESE_WEAK: ReadonlySet<string> = new Set(['係', '咁', '俾']);
const MANDARIN_XI_PREFIX: ReadonlySet<string> = new Set(Array.from('关關联聯维維干幹体體派'));

const HAN = /\p{Script=Han}/u;
const KANA = /[\p{Script=Hiragana}\p{Script=Katakana}\u30FC]/u;
const HANGUL = /\p{Script=Hangul}/u;
const CYRILLIC = /\p{Script=Cyrillic}/u;
const LATIN = /\p{Script=Latin}/u;
// Average letters per syllable in the Latin/Cyrillic languages here; a CJK character is one
// syllable, so this puts "我今天买了iPhone" (7 syllables vs 2) and "I love 寿司" on the same scale.
const LETTERS_PER_SYLLABLE = 3;

interface ScriptCounts {
  han: number;
  kana: number;
  hangul: number;
  cyrillic: number;
  latin: number;
}

function countScripts(chars: readonly string[]): ScriptCounts {
  const c: ScriptCounts = { han: 0, kana: 0, hangul: 0, cyrillic: 0, latin: 0 };
  for (const ch of chars) {
    if (HAN.test(ch)) c.han++;
    else if (KANA.test(ch)) c.kana++;
    else if (HANGUL.test(ch)) c.hangul++;
    else if (CYRILLIC.test(ch)) c.cyrillic++;
    else if (LATIN.test(ch)) c.latin++;
  }
  return c;
}

function cantoneseScore(chars: readonly string[]): number {
  let score = 0;
  chars.forEach((ch, i) => {
    if (CANTONESE_STRONG.has(ch)) score += 1;
    else if (CANTONESE_WEAK.has(ch) && !(ch === '係' && MANDARIN_XI_PREFIX.has(chars[i - 1] ?? ''))) score += 0.5;
  });
  return score;
}

function detectCjk(c: ScriptCounts, chars: readonly string[]): LanguageCode {
  if (c.hangul > 0 && c.hangul >= c.kana && c.hangul * 2 >= c.han) return 'ko';
  // One stray の in Chinese ("我の朋友") should not flip it; real Japanese has plenty of kana.
  if (c.kana > 0 && (c.kana >= 2 || c.han < 4)) return 'ja';
  if (c.han > 0) return cantoneseScore(chars) >= 1 ? 'yue' : 'cmn';
  return c.hangul > 0 ? 'ko' : 'ja';
}

type LatinLanguage = 'en' | 'de' | 'es' | 'fr' | 'it';

// Frequent function words; a word listed under several languages scores for each.
const STOPWORDS: Record<LatinLanguage, ReadonlySet<string>> = {
  en: new Set(('the and is are was were of to in that it you for with on this have has be not what i my we they he she ' +
    'at by from or but do does will would can an hello thank thanks your our their there here how why who').split(' ')),
  de: new Set(('der die das und ist nicht ich du sie es ein eine einen mit auf für den dem zu von sich auch wir ihr ' +
    'sind war haben hat wie aber oder noch nur bei nach aus wenn dass kann sehr guten danke bitte ja nein heute').split(' ')),
  es: new Set(('el la los las de que y en un una es por para con no se del al lo como más pero su sus ya este esta ' +
    'muy hola gracias está estoy yo tú qué cómo buenos días usted').split(' ')),
  fr: new Set(('le la les de des du et est un une que qui dans pour pas ne sur au aux avec ce cette il elle je tu ' +
    'nous vous ils sont mais ou où bonjour merci très être avoir suis').split(' ')),
  it: new Set(('il lo la gli le di che e è un una uno per con non sono del della dei delle nel nella al alla ma ' +
    'come anche più questo questa ciao grazie molto io noi voi sei ho hai buongiorno').split(' ')),
};

// Per-occurrence weights of letters that are (nearly) unique to one language in this set.
const DIACRITICS: ReadonlyArray<[RegExp, Partial<Record<LatinLanguage, number>>]> = [
  [/ß/g, { de: 3 }],
  [/[äö]/g, { de: 2 }],
  [/ü/g, { de: 1 }],
  [/[ñ¿¡]/g, { es: 3 }],
  [/[áíóú]/g, { es: 1.5 }],
  [/[çœ]/g, { fr: 3 }],
  [/[êâîôûëï]/g, { fr: 1.5 }],
  [/é/g, { fr: 0.5, es: 0.5 }],
  [/[èà]/g, { fr: 1, it: 1 }],
  [/[òìù]/g, { it: 2 }],
];
// French elision (l'homme, qu'il, c'est) with either apostrophe.
const FRENCH_ELISION = /(?:^|[^\p{L}])(?:l|d|qu|j|c|n|m|s)['’][aeiouhéèêàâîôûy]/giu;

function detectLatin(text: string): LatinLanguage {
  const lower = text.normalize('NFC').toLowerCase();
  const score: Record<LatinLanguage, number> = { en: 0, de: 0, es: 0, fr: 0, it: 0 };
  for (const word of lower.split(/[^\p{L}]+/u)) {
    if (word === '') continue;
    for (const lang of Object.keys(score) as LatinLanguage[]) if (STOPWORDS[lang].has(word)) score[lang] += 1;
  }
  for (const [re, weights] of DIACRITICS) {
    const hits = lower.match(re)?.length ?? 0;
    for (const [lang, w] of Object.entries(weights) as Array<[LatinLanguage, number]>) score[lang] += hits * w;
  }
  score.fr += 2 * (lower.match(FRENCH_ELISION)?.length ?? 0);
  let best: LatinLanguage = 'en';
  for (const lang of Object.keys(score) as LatinLanguage[]) if (score[lang] > score[best]) best = lang;
  return best;
}

/** Text with annotation tokens blanked out: `[M][AY0]` is uppercase Latin but says nothing. */
function withoutTokens(text: string): { plain: string; pinyin: boolean; cmu: boolean } {
  const scan = scanAnnotations(text);
  const plain = scan.spans.map((s) => (s.type === 'text' ? s.text : ' ')).join('');
  return {
    plain,
    pinyin: scan.tokens.some((t) => t.kind === 'pinyin'),
    cmu: scan.tokens.some((t) => t.kind === 'cmu'),
  };
}

export function detectLanguage(text: string): LanguageCode {
  const { plain, pinyin, cmu } = withoutTokens(text);
  const chars = Array.from(plain);
  const c = countScripts(chars);
  const cjk = c.han + c.kana + c.hangul;
  const latinSyllables = c.latin / LETTERS_PER_SYLLABLE;
  const cyrillicSyllables = c.cyrillic / LETTERS_PER_SYLLABLE;
  // Ties go to CJK: a Chinese sentence naming an English product is still Chinese.
  if (cjk > 0 && cjk >= latinSyllables && cjk >= cyrillicSyllables) return detectCjk(c, chars);
  if (c.cyrillic > c.latin) return 'ru';
  if (c.latin > 0) return detectLatin(plain);
  // Nothing but annotations (or digits/punctuation): the tokens themselves say which language.
  if (pinyin && !cmu) return 'cmn';
  return 'en';
}
