// Where text may be cut, by strength: paragraph, sentence, clause, whitespace, any character.
// Every finder returns sorted cut positions (a cut at i ends a piece before text[i]); the
// segmenter decides which of them it may use.

// Sentence enders in Chinese and Japanese need no following space: "你好。我是" is two sentences.
const CJK_TERMINATORS = new Set(['。', '！', '？', '；', '…', '｡', '‼', '⁇', '⁈', '⁉']);
const LATIN_TERMINATORS = new Set(['.', '!', '?']);
// Quotes and brackets that close a sentence belong to it: 他说：“好！”|然后, He said "no."| Then.
const CLOSERS = new Set(['"', "'", '”', '’', '」', '』', '）', ')', '】', '》', '〉', '»', '›', '〕']);
const CLAUSE_MARKS = new Set(['，', '、', '；', '：', ',', ';', ':', '—', '―', '–', '︰', '﹐', '﹑', '﹔', '﹕']);
const ASCII_CLAUSE = new Set([',', ';', ':']);
const CJK_CHAR = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303F\uFF00-\uFFEF]/u;
const WS = /\s/;
const DIGIT = /[0-9]/;
const LOWER = /\p{Ll}/u;
const LETTER_OR_DOT = /[\p{L}.]/u;

// Abbreviations whose period never ends a sentence (lowercase, no trailing dot). Dotted forms
// like "e.g", "U.S", "z.B" are recognised by shape instead of being listed.
const ABBREVIATIONS: Record<string, readonly string[]> = {
  en: ['mr', 'mrs', 'ms', 'dr', 'prof', 'sr', 'jr', 'st', 'vs', 'etc', 'inc', 'ltd', 'co', 'corp', 'jan', 'feb',
    'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec', 'mt', 'ave', 'approx', 'dept', 'est',
    'gen', 'gov', 'lt', 'col', 'sgt', 'capt', 'rev', 'hon', 'cf', 'ca', 'al'],
  de: ['bzw', 'usw', 'vgl', 'ca', 'dr', 'prof', 'hr', 'fr', 'str', 'bspw', 'ggf', 'evtl', 'inkl', 'zzgl', 'sog', 'dt'],
  fr: ['m', 'mme', 'mlle', 'mm', 'dr', 'pr', 'st', 'ste', 'etc', 'cf', 'env'],
  es: ['sr', 'sra', 'srta', 'dr', 'dra', 'ud', 'uds', 'etc', 'pág', 'aprox', 'av', 'avda'],
  it: ['sig', 'sigg', 'dott', 'prof', 'avv', 'ing', 'ecc', 'pag', 'geom'],
};
// These only abbreviate before a number ("No. 5", "p. 12"); "I said no." still ends a sentence.
const NUMERIC_ABBREVIATIONS = new Set(['no', 'nos', 'nr', 'vol', 'fig', 'p', 'pp', 'art', 'ch', 'sec', 'n', 'núm']);

// The sets are built once: every synthesis request segments its text.
const ABBREVIATION_SETS = new Map<string, ReadonlySet<string>>(Object.entries(ABBREVIATIONS).map(([key, list]) => [key, new Set(list)]));
const ALL_ABBREVIATIONS: ReadonlySet<string> = new Set(Object.values(ABBREVIATIONS).flat());

/** Abbreviations for a language hint ("en", "en-US", "de"); all of them when unknown or absent. */
export function abbreviationsFor(language?: string): ReadonlySet<string> {
  const key = language?.toLowerCase().split(/[-_]/)[0];
  return (key === undefined ? undefined : ABBREVIATION_SETS.get(key)) ?? ALL_ABBREVIATIONS;
}

export function paragraphCuts(text: string): number[] {
  const cuts: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\n' || ch === '\r' || ch === '\u2028' || ch === '\u2029') cuts.push(i + 1);
  }
  return cuts;
}

function skipClosers(text: string, i: number): number {
  let j = i;
  while (j < text.length && CLOSERS.has(text[j] ?? '')) j++;
  return j;
}

function wordBefore(text: string, i: number): string {
  let j = i;
  while (j > 0 && LETTER_OR_DOT.test(text[j - 1] ?? '')) j--;
  return text.slice(j, i);
}

function nextNonSpace(text: string, i: number): string | undefined {
  let j = i;
  while (j < text.length && WS.test(text[j] ?? '')) j++;
  return text[j];
}

/** Is the period at `dot` part of an abbreviation or initial rather than a sentence end? */
function isAbbreviation(text: string, dot: number, abbreviations: ReadonlySet<string>): boolean {
  const word = wordBefore(text, dot);
  if (word === '') return false;
  if (/^(?:\p{L}\.)+\p{L}$/u.test(word)) return true; // e.g, U.S, z.B, a.m
  if (/^\p{Lu}$/u.test(word)) return true; // initials: J. K. Rowling
  const lower = word.toLowerCase();
  if (abbreviations.has(lower)) return true;
  return NUMERIC_ABBREVIATIONS.has(lower) && DIGIT.test(nextNonSpace(text, dot + 1) ?? '');
}

/**
 * Sentence ends. A Latin `.`, `!` or `?` ends a sentence only when followed by whitespace, the
 * end, a CJK character or a token (`groupStarts`); a period also needs the next word not to
 * start lowercase and the word before not to be an abbreviation, so "e.g. this", "Mr. Smith",
 * "U.S. law" and "3.14" stay whole. When unsure it does not cut: a long sentence still gets
 * split later at clauses or spaces, but a wrong cut cannot be undone.
 */
export function sentenceCuts(text: string, abbreviations: ReadonlySet<string>, groupStarts: ReadonlySet<number>): number[] {
  const cuts: number[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] ?? '';
    const cjk = CJK_TERMINATORS.has(ch);
    if (!cjk && !LATIN_TERMINATORS.has(ch)) {
      i++;
      continue;
    }
    let end = i + 1;
    while (end < text.length && (CJK_TERMINATORS.has(text[end] ?? '') || LATIN_TERMINATORS.has(text[end] ?? ''))) end++;
    const cluster = text.slice(i, end);
    end = skipClosers(text, end);
    const next = text[end];
    const spaced = next === undefined || WS.test(next);
    const glued = next !== undefined && (CJK_CHAR.test(next) || groupStarts.has(end));
    let boundary: boolean;
    if (cjk && !spaced) boundary = true;
    else if (!spaced && !glued) boundary = false;
    else if (/^[.…]+$/.test(cluster)) {
      const after = nextNonSpace(text, end);
      const lowerNext = after !== undefined && LOWER.test(after);
      boundary = !lowerNext && !(cluster === '.' && isAbbreviation(text, i, abbreviations));
    } else boundary = true;
    if (boundary && end < text.length) cuts.push(end);
    i = end;
  }
  return cuts;
}

/** Clause marks; an ASCII `,;:` between digits (1,000 / 3:30) is part of a number, not a clause. */
export function clauseCuts(text: string): number[] {
  const cuts: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] ?? '';
    if (!CLAUSE_MARKS.has(ch)) continue;
    if (ASCII_CLAUSE.has(ch) && DIGIT.test(text[i - 1] ?? '') && DIGIT.test(text[i + 1] ?? '')) continue;
    const end = skipClosers(text, i + 1);
    if (end < text.length) cuts.push(end);
  }
  return cuts;
}

/**
 * How `text` ends, trailing whitespace and closing quotes or brackets aside: with a sentence end
 * (`.`, `!`, `?`, `。`, `…`, ...), a clause mark (`,`, `;`, `:`, `，`, dashes, ...), or neither.
 */
export function endingMark(text: string): 'sentence' | 'clause' | null {
  let i = text.length;
  while (i > 0 && (WS.test(text[i - 1] ?? '') || CLOSERS.has(text[i - 1] ?? ''))) i--;
  const ch = text[i - 1] ?? '';
  if (CJK_TERMINATORS.has(ch) || LATIN_TERMINATORS.has(ch)) return 'sentence';
  if (CLAUSE_MARKS.has(ch)) return 'clause';
  return null;
}

export function whitespaceCuts(text: string): number[] {
  const cuts: number[] = [];
  for (let i = 1; i < text.length; i++) if (WS.test(text[i] ?? '')) cuts.push(i);
  return cuts;
}

const CLOSING_PUNCTUATION = /[\p{Po}\p{Pe}\p{Pf}]/u;

/**
 * Every position except inside a surrogate pair or before a combining mark. With `soft`, also
 * not before closing punctuation, so a hard cut gives "Hell|o." rather than "Hello|." and no
 * segment is a lone period; the segmenter falls back to all positions only if that fails.
 */
export function characterCuts(text: string, soft = false): number[] {
  const cuts: number[] = [];
  for (let i = 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const prev = text.charCodeAt(i - 1);
    if (code >= 0xdc00 && code <= 0xdfff && prev >= 0xd800 && prev <= 0xdbff) continue;
    const ch = text[i] ?? '';
    if (/\p{M}/u.test(ch) || (soft && CLOSING_PUNCTUATION.test(ch))) continue;
    cuts.push(i);
  }
  return cuts;
}
