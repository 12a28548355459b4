// Applies lexicon entries to request text: each occurrence of a term becomes its pronunciation
// tokens. Only plain text is searched (never the inside of an annotation token, a token run or
// markup the client wrote), overlapping matches resolve to the longest and then the earliest,
// and everything outside the replaced ranges is kept byte for byte.
//
// Entries compile into a trie over case-folded code points, so matching costs
// O(text length × longest term) however many entries there are. A caller's limit on the
// rewritten text's length is checked before that text is built: a short term with a long
// pronunciation could otherwise turn a request into megabytes.
import { AppError } from '../errors/app-error.js';
import { scanAnnotations } from '../text/annotations.js';
import type { LexiconEntry } from './entry.js';

/** The fields of an entry the matcher needs. */
export type LexiconRule = Pick<LexiconEntry, 'id' | 'term' | 'pronunciation' | 'language' | 'caseSensitive' | 'wholeWord' | 'updatedAt'>;

export interface AppliedEntry {
  id: string;
  term: string;
  pronunciation: string;
  /** 0-based UTF-16 offset of the replaced text in the original text. */
  position: number;
  /** The text that was replaced, as written (it differs from `term` in case when case-insensitive). */
  matched: string;
}

export interface LexiconRewrite {
  text: string;
  applied: AppliedEntry[];
}

/**
 * Folds one code point for case-insensitive matching. A lowercase form that is not a single
 * code point (`İ` → `i̇`) would shift offsets, so such characters match only themselves.
 */
function foldChar(ch: string): string {
  const lower = ch.toLowerCase();
  return lower.length === ch.length || [...lower].length === 1 ? lower : ch;
}

/** The case-insensitive key of a term: what two entries are compared by for conflicts. */
export function foldTerm(term: string): string {
  let out = '';
  for (const ch of term.normalize('NFC')) out += foldChar(ch);
  return out;
}

// Scripts written without spaces between words: "whole word" cannot mean a space-delimited
// word there, so a term in them matches wherever it occurs (Korean is spaced, but particles
// attach to the noun: 서울 must match in 서울에서).
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
const WORD = /[\p{L}\p{N}\p{M}_]/u;

/** A character that continues a spaced-script word, so a whole-word match must not stop next to it. */
function isWordChar(ch: string | undefined): boolean {
  return ch !== undefined && WORD.test(ch) && !UNSPACED.test(ch);
}

// A replacement glued to a bracket would fuse with it: `[1]` before `[M][AY0]` reads as a typo
// inside the phoneme run, `foo[M]` as one longer run.
const BRACKET = /[[\]]/;

function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff || i === 0 || s.charCodeAt(i - 1) < 0xd800 || s.charCodeAt(i - 1) > 0xdbff) n++;
  }
  return n;
}

function expansionTooLong(chars: number, maxChars: number, replacements: number): AppError {
  return new AppError(
    'text_too_long',
    `text is ${chars} characters after the lexicon replaced ${replacements} term${replacements === 1 ? '' : 's'}; this server accepts at most ${maxChars} per request (MAX_TEXT_CHARS), lexicon output included. Shorten the text, send "lexicon": false, or shorten the entries' pronunciations.`,
    { param: 'text' },
  );
}

function codePointBefore(text: string, index: number): string | undefined {
  if (index <= 0) return undefined;
  const low = text.charCodeAt(index - 1);
  if (low >= 0xdc00 && low <= 0xdfff && index >= 2) return String.fromCodePoint(text.codePointAt(index - 2) ?? low);
  return text[index - 1];
}

function codePointAt(text: string, index: number): string | undefined {
  const cp = text.codePointAt(index);
  return cp === undefined ? undefined : String.fromCodePoint(cp);
}

interface TrieNode {
  next: Map<string, TrieNode>;
  rules: CompiledRule[];
}

interface CompiledRule extends LexiconRule {
  /** NFC term, compared exactly when case-sensitive. */
  exact: string;
  /** Code points of the pronunciation. */
  pronunciationChars: number;
  first: string;
  last: string;
}

interface Candidate {
  rule: CompiledRule;
  start: number;
  end: number;
}

export class LexiconMatcher {
  private readonly root: TrieNode = { next: new Map(), rules: [] };
  readonly size: number;

  /** `rules` must already be the ones that apply (see compileLexicon for language scoping). */
  constructor(rules: readonly LexiconRule[]) {
    for (const rule of rules) {
      const exact = rule.term.normalize('NFC');
      const chars = [...exact];
      if (chars.length === 0) continue;
      let node = this.root;
      for (const ch of chars) {
        const key = foldChar(ch);
        let child = node.next.get(key);
        if (!child) {
          child = { next: new Map(), rules: [] };
          node.next.set(key, child);
        }
        node = child;
      }
      node.rules.push({ ...rule, exact, pronunciationChars: codePoints(rule.pronunciation), first: chars[0] as string, last: chars[chars.length - 1] as string });
    }
    this.size = rules.length;
  }

  /**
   * Rewrites `text`. With `maxChars`, a result longer than that many code points is refused
   * (400 `text_too_long`, naming MAX_TEXT_CHARS, the request limit callers pass) before it is built.
   */
  apply(text: string, maxChars = Infinity): LexiconRewrite {
    if (this.size === 0) return { text, applied: [] };
    const candidates: Candidate[] = [];
    for (const span of scanAnnotations(text).spans) {
      if (span.type === 'text') this.collect(text, span.start, span.end, candidates);
    }
    if (candidates.length === 0) return { text, applied: [] };

    // Longest first, then earliest; equal spans prefer the more specific entry.
    candidates.sort(
      (a, b) =>
        b.end - b.start - (a.end - a.start) ||
        a.start - b.start ||
        Number(b.rule.language !== null) - Number(a.rule.language !== null) ||
        Number(b.rule.caseSensitive) - Number(a.rule.caseSensitive) ||
        (a.rule.updatedAt < b.rule.updatedAt ? 1 : a.rule.updatedAt > b.rule.updatedAt ? -1 : 0) ||
        (a.rule.id < b.rule.id ? -1 : a.rule.id > b.rule.id ? 1 : 0),
    );
    const taken = new Uint8Array(text.length);
    const chosen: Candidate[] = [];
    for (const c of candidates) {
      if (taken.subarray(c.start, c.end).includes(1)) continue;
      taken.fill(1, c.start, c.end);
      chosen.push(c);
    }
    chosen.sort((a, b) => a.start - b.start);
    if (Number.isFinite(maxChars)) {
      let chars = codePoints(text);
      for (const c of chosen) chars += c.rule.pronunciationChars - codePoints(text.slice(c.start, c.end));
      if (chars > maxChars) throw expansionTooLong(chars, maxChars, chosen.length);
    }

    let out = '';
    let pos = 0;
    const applied: AppliedEntry[] = [];
    for (const c of chosen) {
      out += text.slice(pos, c.start) + c.rule.pronunciation;
      pos = c.end;
      applied.push({ id: c.rule.id, term: c.rule.term, pronunciation: c.rule.pronunciation, position: c.start, matched: text.slice(c.start, c.end) });
    }
    return { text: out + text.slice(pos), applied };
  }

  /** Every acceptable match that starts inside [from, to) and ends by `to`. */
  private collect(text: string, from: number, to: number, out: Candidate[]): void {
    for (let start = from; start < to; ) {
      const startChar = codePointAt(text, start) as string;
      let node: TrieNode | undefined = this.root;
      for (let i = start; i < to && node; ) {
        const ch = codePointAt(text, i) as string;
        node = node.next.get(foldChar(ch));
        i += ch.length;
        if (node && node.rules.length > 0) {
          for (const rule of node.rules) if (this.accepts(rule, text, start, i)) out.push({ rule, start, end: i });
        }
      }
      start += startChar.length;
    }
  }

  private accepts(rule: CompiledRule, text: string, start: number, end: number): boolean {
    if (rule.caseSensitive && text.slice(start, end) !== rule.exact) return false;
    const before = codePointBefore(text, start);
    const after = codePointAt(text, end);
    if ((before !== undefined && BRACKET.test(before)) || (after !== undefined && BRACKET.test(after))) return false;
    if (!rule.wholeWord) return true;
    // \b-like: a side needs a boundary only where the term itself has a spaced-script word character.
    if (isWordChar(rule.first) && isWordChar(before)) return false;
    if (isWordChar(rule.last) && isWordChar(after)) return false;
    return true;
  }
}

/** The entries that apply to `language` (their own language or none), compiled. */
export function compileLexicon(entries: readonly LexiconRule[], language: string | undefined): LexiconMatcher {
  return new LexiconMatcher(entries.filter((e) => e.language === null || e.language === language));
}

/** One-shot form of compileLexicon(...).apply(text); services keep the compiled matcher instead. */
export function applyLexicon(text: string, entries: readonly LexiconRule[], language: string | undefined): LexiconRewrite {
  return compileLexicon(entries, language).apply(text);
}
