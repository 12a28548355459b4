// Inline annotation tokens in request text: CMU phonemes `[M][AY0]`, pinyin `[j][ǐ]`,
// paralinguistic events `[breath]`, control tokens `<|endofprompt|>` and paired markup
// `<strong>...</strong>`. The scanner is deliberately conservative about what counts as a token:
// ordinary prose uses brackets too ("[1]", "[sic]", "[citation needed]"), and calling those
// unknown tokens would make validation useless, so an unrecognised `[...]` only becomes a token
// when it clearly tries to be one (a stress digit, a tone mark, a near-miss of a known tag) or
// sits glued to a real token inside a run.
import { editDistance, nearest } from './edit-distance.js';
import {
  CMU_TOKENS,
  CONTROL_TOKENS,
  MARKUP_TAGS,
  PARALINGUISTIC_TOKENS,
  PINYIN_TOKENS,
} from './tokens.js';

export type TokenKind = 'cmu' | 'pinyin' | 'paralinguistic' | 'control' | 'markup';

export interface AnnotationToken {
  /** For an unknown token, the kind it most likely meant to be. */
  kind: TokenKind;
  text: string;
  /** UTF-16 offsets into the scanned text; `end` is exclusive. */
  start: number;
  end: number;
  /** False when the token is not in CosyVoice3's inventory (see validateAnnotations). */
  known: boolean;
}

export interface TextSpan {
  type: 'text';
  text: string;
  start: number;
  end: number;
}

export interface TokenSpan {
  type: 'token';
  token: AnnotationToken;
  start: number;
  end: number;
}

export type Span = TextSpan | TokenSpan;

/** Adjacent bracket tokens of one kind: a CMU run spells one word, a pinyin run one or more syllables. */
export interface TokenRun {
  kind: 'cmu' | 'pinyin';
  tokens: AnnotationToken[];
  start: number;
  end: number;
}

/** A matched `<strong>...</strong>` (or laughter) pair; offsets cover both tags. */
export interface MarkupPair {
  tag: string;
  open: AnnotationToken;
  close: AnnotationToken;
  start: number;
  end: number;
}

export interface Range {
  start: number;
  end: number;
}

export interface ScanResult {
  /** Plain-text and token spans in order; together they cover the whole text. */
  spans: Span[];
  tokens: AnnotationToken[];
  runs: TokenRun[];
  /**
   * Units that must not be cut: each token, with adjacent bracket tokens merged (`[M][AY0]`,
   * `[breath][n][ǐ]`). Cutting the text strictly inside one breaks an annotation.
   */
  groups: Range[];
  pairs: MarkupPair[];
  /** Markup tags without a partner, in text order. */
  unpaired: AnnotationToken[];
}

export interface AnnotationIssue {
  token: string;
  /** 0-based UTF-16 offset of the token's first character (`[` or `<`). */
  position: number;
  kind: TokenKind;
  message: string;
  /** Nearest known token of the likely kind, when one is close enough to be a plausible typo. */
  suggestion?: string;
}

// Brackets in prose often hold a sentence; tokens never contain spaces and are short.
const MAX_BRACKET_CONTENT = 32;
const MAX_CONTROL_CONTENT = 40;
const TONE_MARK = /[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]|\p{M}/u;
const CMU_LIKE = /^[A-Za-z]{1,3}[0-9]$|^[A-Z]{1,3}$/;
const PINYIN_LIKE = /^(?:[a-zü]|\p{M}|[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]){1,6}$/u;
// Language tags may lead cross-lingual text (cosyvoice3.md); the data file omits them, so only
// the five the CosyVoice frontends emit are accepted, not any `<|xx|>` lookalike.
const LANGUAGE_TAGS: ReadonlySet<string> = new Set(['<|zh|>', '<|en|>', '<|jp|>', '<|yue|>', '<|ko|>']);

interface BracketCandidate {
  start: number;
  end: number;
  text: string;
  kind: TokenKind;
  known: boolean;
  /** Unknown, but unmistakably meant as a token even when standing alone. */
  strong: boolean;
}

function classifyBracket(text: string, start: number, end: number): BracketCandidate {
  const content = text.slice(start + 1, end - 1);
  const base = { start, end, text: text.slice(start, end) };
  if (CMU_TOKENS.has(base.text)) return { ...base, kind: 'cmu', known: true, strong: true };
  if (PINYIN_TOKENS.has(base.text)) return { ...base, kind: 'pinyin', known: true, strong: true };
  if (PARALINGUISTIC_TOKENS.has(base.text)) return { ...base, kind: 'paralinguistic', known: true, strong: true };
  if (CMU_LIKE.test(content)) return { ...base, kind: 'cmu', known: false, strong: /[0-9]$/.test(content) };
  if (PINYIN_LIKE.test(content)) {
    // A near-miss of a sound event (`[sigh]` typed `[sihg]`) is likelier than a pinyin typo.
    if (!TONE_MARK.test(content) && nearParalinguistic(content)) {
      return { ...base, kind: 'paralinguistic', known: false, strong: true };
    }
    return { ...base, kind: 'pinyin', known: false, strong: TONE_MARK.test(content) };
  }
  if (/^[a-z][a-z_-]+$/.test(content)) {
    return { ...base, kind: 'paralinguistic', known: false, strong: nearParalinguistic(content) };
  }
  return { ...base, kind: guessKind(content), known: false, strong: false };
}

function nearParalinguistic(content: string): boolean {
  const limit = content.length <= 4 ? 1 : 2;
  for (const tag of PARALINGUISTIC_TOKENS) {
    if (editDistance(content, tag.slice(1, -1)) <= limit) return true;
  }
  return false;
}

function guessKind(content: string): TokenKind {
  if (/[A-Z]/.test(content) && !/[a-z]/.test(content)) return 'cmu';
  return 'pinyin';
}

/** Position of the `]` closing a bracket opened at `start`, if the content can be a token. */
function bracketEnd(text: string, start: number): number | undefined {
  for (let i = start + 1; i < text.length && i <= start + MAX_BRACKET_CONTENT + 1; i++) {
    const ch = text[i] ?? '';
    if (ch === ']') return i > start + 1 ? i + 1 : undefined;
    if (ch === '[' || ch === '<' || ch === '>' || /\s/.test(ch)) return undefined;
  }
  return undefined;
}

function controlEnd(text: string, start: number): number | undefined {
  const close = text.indexOf('|>', start + 2);
  if (close < 0 || close - start - 2 > MAX_CONTROL_CONTENT || close === start + 2) return undefined;
  const content = text.slice(start + 2, close);
  return /^[^\s|<>[\]]+$/.test(content) ? close + 2 : undefined;
}

function markupAt(text: string, start: number): BracketCandidate | undefined {
  for (const tag of MARKUP_TAGS) {
    if (text.startsWith(tag, start)) {
      return { start, end: start + tag.length, text: tag, kind: 'markup', known: true, strong: true };
    }
  }
  // `<strng>`: only flag near-misses of the real tags, never arbitrary HTML-looking text.
  const m = /^<\/?[a-z_]{2,20}>/.exec(text.slice(start, start + 24));
  if (m && nearest(m[0], MARKUP_TAGS, 2) !== undefined) {
    return { start, end: start + m[0].length, text: m[0], kind: 'markup', known: false, strong: true };
  }
  return undefined;
}

function findCandidates(text: string): BracketCandidate[] {
  const out: BracketCandidate[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    let cand: BracketCandidate | undefined;
    if (ch === '[') {
      const end = bracketEnd(text, i);
      if (end !== undefined) cand = classifyBracket(text, i, end);
    } else if (ch === '<' && text[i + 1] === '|') {
      const end = controlEnd(text, i);
      if (end !== undefined) {
        const tok = text.slice(i, end);
        const known = CONTROL_TOKENS.has(tok) || LANGUAGE_TAGS.has(tok);
        cand = { start: i, end, text: tok, kind: 'control', known, strong: true };
      }
    } else if (ch === '<') {
      cand = markupAt(text, i);
    }
    if (cand) {
      out.push(cand);
      i = cand.end;
    } else {
      i++;
    }
  }
  return out;
}

/**
 * Keeps the candidates that are tokens: every known or strong one, plus weak brackets glued to
 * a bracket chain that holds a real token (`[M][AX][T]` is a CMU word with a typo; `[1]` alone,
 * or next to `<strong>`, is prose).
 */
function selectTokens(cands: BracketCandidate[]): AnnotationToken[] {
  const out: AnnotationToken[] = [];
  const isBracket = (c: BracketCandidate | undefined): boolean => c?.text.startsWith('[') === true;
  let i = 0;
  while (i < cands.length) {
    const first = cands[i];
    if (!first) break;
    if (!isBracket(first)) {
      out.push({ kind: first.kind, text: first.text, start: first.start, end: first.end, known: first.known });
      i++;
      continue;
    }
    let j = i + 1;
    while (j < cands.length && isBracket(cands[j]) && cands[j]?.start === cands[j - 1]?.end) j++;
    const chain = cands.slice(i, j);
    const anchors = chain.filter((c) => c.known || c.strong);
    const runAnchor = anchors.find((c) => c.kind === 'cmu' || c.kind === 'pinyin');
    for (const c of chain) {
      if (anchors.length === 0) continue;
      // A weak guess inside a phoneme run (`[M][1][T]`) is a typo in that run, so it takes the run's kind.
      const kind = !c.known && !c.strong && runAnchor ? runAnchor.kind : c.kind;
      out.push({ kind, text: c.text, start: c.start, end: c.end, known: c.known });
    }
    i = j;
  }
  return out;
}

function buildSpans(text: string, tokens: AnnotationToken[]): Span[] {
  const spans: Span[] = [];
  let pos = 0;
  for (const token of tokens) {
    if (token.start > pos) spans.push({ type: 'text', text: text.slice(pos, token.start), start: pos, end: token.start });
    spans.push({ type: 'token', token, start: token.start, end: token.end });
    pos = token.end;
  }
  if (pos < text.length) spans.push({ type: 'text', text: text.slice(pos), start: pos, end: text.length });
  return spans;
}

// Bracket tokens glued together read as one unit (a phoneme word, a syllable, a sound event
// right before it); control and markup tags are separable from their neighbours, which lets
// `</strong><strong>` be cut between two pairs.
function buildGroups(tokens: AnnotationToken[]): Range[] {
  const groups: Range[] = [];
  let lastWasBracket = false;
  for (const t of tokens) {
    const bracket = t.text.startsWith('[');
    const last = groups[groups.length - 1];
    if (last && bracket && lastWasBracket && last.end === t.start) last.end = t.end;
    else groups.push({ start: t.start, end: t.end });
    lastWasBracket = bracket;
  }
  return groups;
}

function buildRuns(tokens: AnnotationToken[]): TokenRun[] {
  const runs: TokenRun[] = [];
  for (const t of tokens) {
    if (t.kind !== 'cmu' && t.kind !== 'pinyin') continue;
    const last = runs[runs.length - 1];
    if (last && last.kind === t.kind && last.end === t.start) {
      last.tokens.push(t);
      last.end = t.end;
    } else {
      runs.push({ kind: t.kind, tokens: [t], start: t.start, end: t.end });
    }
  }
  return runs;
}

function tagName(tag: string): string {
  return tag.replace(/[</>]/g, '');
}

function pairMarkup(tokens: AnnotationToken[]): { pairs: MarkupPair[]; unpaired: AnnotationToken[] } {
  const pairs: MarkupPair[] = [];
  const unpaired: AnnotationToken[] = [];
  // One stack per tag: `<strong>` and `<laughter>` may overlap without either being unbalanced.
  const open = new Map<string, AnnotationToken[]>();
  for (const t of tokens) {
    if (t.kind !== 'markup' || !t.known) continue;
    const name = tagName(t.text);
    const stack = open.get(name) ?? [];
    open.set(name, stack);
    if (!t.text.startsWith('</')) {
      stack.push(t);
      continue;
    }
    const opener = stack.pop();
    if (opener) pairs.push({ tag: name, open: opener, close: t, start: opener.start, end: t.end });
    else unpaired.push(t);
  }
  for (const stack of open.values()) unpaired.push(...stack);
  unpaired.sort((a, b) => a.start - b.start);
  pairs.sort((a, b) => a.start - b.start);
  return { pairs, unpaired };
}

export function scanAnnotations(text: string): ScanResult {
  const tokens = selectTokens(findCandidates(text));
  return {
    spans: buildSpans(text, tokens),
    tokens,
    runs: buildRuns(tokens),
    groups: buildGroups(tokens),
    ...pairMarkup(tokens),
  };
}

/**
 * True when cutting `text` at `index` (between index-1 and index) would split a token or a run
 * of adjacent tokens. Pass a ScanResult of the same text to avoid rescanning in loops.
 */
export function isInsideToken(text: string, index: number, scan: ScanResult = scanAnnotations(text)): boolean {
  return isInsideGroup(scan.groups, index);
}

/** Binary search over sorted, disjoint ranges: is `index` strictly inside one? */
export function isInsideGroup(groups: readonly Range[], index: number): boolean {
  let lo = 0;
  let hi = groups.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const g = groups[mid];
    if (!g) break;
    if (index <= g.start) hi = mid - 1;
    else if (index >= g.end) lo = mid + 1;
    else return true;
  }
  return false;
}

function candidatesFor(kind: TokenKind): Iterable<string> {
  switch (kind) {
    case 'cmu':
      return CMU_TOKENS;
    case 'pinyin':
    case 'paralinguistic':
      // Lowercase content could be either; the nearest wins.
      return [...PINYIN_TOKENS, ...PARALINGUISTIC_TOKENS];
    case 'control':
      return CONTROL_TOKENS;
    case 'markup':
      return MARKUP_TAGS;
  }
}

const TONE_OF_MARK: Readonly<Record<string, number>> = { '\u0304': 1, '\u0301': 2, '\u030C': 3, '\u0300': 4 };

/** Letters without tone marks (ü kept) plus the tone number: `[iaǒ]` and `[iǎo]` → `[iao]3`. */
function pinyinToneKey(token: string): string {
  let letters = '';
  let tone = 0;
  for (const ch of token.normalize('NFD')) {
    const t = TONE_OF_MARK[ch];
    if (t === undefined) letters += ch;
    else tone = t;
  }
  return `${letters.normalize('NFC')}${tone}`;
}

function suggestFor(token: AnnotationToken): string | undefined {
  const content = token.text.slice(1, -1);
  // Exact matches after fixing case or Unicode form are better than any edit-distance guess.
  const upper = `[${content.toUpperCase()}]`;
  if (token.text.startsWith('[') && CMU_TOKENS.has(upper)) return upper;
  const nfc = token.text.normalize('NFC');
  if (PINYIN_TOKENS.has(nfc) || PARALINGUISTIC_TOKENS.has(nfc)) return nfc;
  const lower = token.text.toLowerCase();
  if (PINYIN_TOKENS.has(lower) || PARALINGUISTIC_TOKENS.has(lower)) return lower;
  if (token.kind === 'pinyin') {
    // A tone mark on the wrong vowel ([iaǒ] for [iǎo]) is one letter apart by edit distance
    // from many finals; the same letters with the same tone is the one the writer meant.
    const key = pinyinToneKey(lower);
    for (const candidate of PINYIN_TOKENS) if (pinyinToneKey(candidate) === key) return candidate;
  }
  const len = Array.from(token.kind === 'control' || token.kind === 'markup' ? token.text : content).length;
  return nearest(nfc, candidatesFor(token.kind), Math.max(1, Math.floor(len / 2)));
}

const KIND_LABEL: Record<TokenKind, string> = {
  cmu: 'CMU phoneme',
  pinyin: 'pinyin',
  paralinguistic: 'paralinguistic',
  control: 'control',
  markup: 'markup',
};

/** Problems a user should fix before synthesis: unknown tokens and unbalanced markup. */
export function validateAnnotations(text: string, scan: ScanResult = scanAnnotations(text)): AnnotationIssue[] {
  const issues: AnnotationIssue[] = [];
  for (const t of scan.tokens) {
    if (t.known) continue;
    const suggestion = suggestFor(t);
    issues.push({
      token: t.text,
      position: t.start,
      kind: t.kind,
      // No suggestion or final punctuation here: callers compose their own sentence around it.
      message: `Unknown ${KIND_LABEL[t.kind]} token ${t.text}`,
      ...(suggestion === undefined ? {} : { suggestion }),
    });
  }
  for (const t of scan.unpaired) {
    const name = tagName(t.text);
    const closing = t.text.startsWith('</');
    issues.push({
      token: t.text,
      position: t.start,
      kind: 'markup',
      message: closing ? `${t.text} has no matching <${name}> before it` : `${t.text} is never closed with </${name}>`,
    });
  }
  return issues.sort((a, b) => a.position - b.position);
}
