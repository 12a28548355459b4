// Splits request text into engine-sized segments. Cuts prefer the strongest boundary that
// keeps a piece within maxChars: paragraph > sentence > clause > whitespace > the edges of token
// groups and runs > any character.
// Annotations are never cut: a token is never split, and a run of adjacent tokens
// (`[M][AY0][N][UW1][T]` is one word) and, when it fits in maxChars, a whole
// `<strong>...</strong>` pair stay in one segment. A run longer than maxChars is split between
// its tokens (never between a pinyin initial and its final), since a segment over the engine's
// limit costs more than a word read in two pieces; it is the text's own doing, or a lexicon's.
// So a segment exceeds maxChars only when maxChars is shorter than one token (at most 44 units,
// `<|...|>`) or, below 2, than a surrogate pair or a letter with its combining accent. Lengths
// are UTF-16 code units.
import { scanAnnotations, type AnnotationToken, type Range } from './annotations.js';
import { PINYIN_INITIALS } from './tokens.js';
import {
  abbreviationsFor,
  characterCuts,
  clauseCuts,
  paragraphCuts,
  sentenceCuts,
  whitespaceCuts,
} from './boundaries.js';

export interface SegmentOptions {
  /** Most UTF-16 code units per segment (after trimming); see the file comment for the exception. */
  maxChars: number;
  /** Language hint ("en", "de", "cmn", ...): picks the abbreviation list; all lists when absent. */
  language?: string;
  /**
   * Join consecutive short sentences of a paragraph into one segment up to maxChars, for fewer
   * engine calls (default true). Never joins across paragraphs, which are spoken boundaries.
   */
  pack?: boolean;
}

export interface Segment {
  text: string;
  /** Offsets of the trimmed segment in the input. */
  start: number;
  end: number;
}

/** O(1) trimmed length of any slice, from precomputed nearest non-whitespace positions. */
class TrimIndex {
  private readonly firstFrom: Int32Array;
  private readonly lastBefore: Int32Array;

  constructor(text: string) {
    const n = text.length;
    this.firstFrom = new Int32Array(n + 1);
    this.lastBefore = new Int32Array(n + 1);
    this.firstFrom[n] = n;
    for (let i = n - 1; i >= 0; i--) this.firstFrom[i] = /\s/.test(text[i] ?? '') ? (this.firstFrom[i + 1] ?? n) : i;
    this.lastBefore[0] = 0;
    for (let i = 1; i <= n; i++) this.lastBefore[i] = /\s/.test(text[i - 1] ?? '') ? (this.lastBefore[i - 1] ?? 0) : i;
  }

  /** The slice [start, end) without surrounding whitespace; empty ranges have start >= end. */
  trim(start: number, end: number): Range {
    return { start: this.firstFrom[start] ?? start, end: this.lastBefore[end] ?? end };
  }

  length(start: number, end: number): number {
    const r = this.trim(start, end);
    return Math.max(0, r.end - r.start);
  }
}

// Punctuation that closes or ends something; a piece must not start with it.
const TRAILING_PUNCTUATION = /[\p{Po}\p{Pe}\p{Pf}]/u;

/**
 * Positions where no cut may fall: inside tokens; inside token groups and between a group and
 * the punctuation glued to it (an `[M]...[T].` keeps its period rather than leaving a lone "."
 * to start the next segment) when that fits in maxChars; and inside markup pairs whose span,
 * glued punctuation included, fits in maxChars. A group that does not fit may be cut between
 * two known tokens (blockOversizedGroup).
 */
function blockedPositions(text: string, maxChars: number): { blocked: Uint8Array; groupStarts: Set<number>; annotationCuts: number[] } {
  const scan = scanAnnotations(text);
  const blocked = new Uint8Array(text.length + 1);
  const block = (start: number, end: number): void => {
    blocked.fill(1, start + 1, end);
  };
  const groupStarts = new Set(scan.groups.map((g) => g.start));
  const gluedEnd = new Map<number, number>();
  const annotationCuts: number[] = [];
  let t = 0;
  for (const g of scan.groups) {
    let end = g.end;
    while (end < text.length && TRAILING_PUNCTUATION.test(text[end] ?? '') && !groupStarts.has(end)) end++;
    gluedEnd.set(g.end, end);
    while (t < scan.tokens.length && (scan.tokens[t]?.start ?? Infinity) < g.start) t++;
    const tokens: AnnotationToken[] = [];
    while (t < scan.tokens.length && (scan.tokens[t]?.end ?? Infinity) <= g.end) tokens.push(scan.tokens[t++] as AnnotationToken);
    annotationCuts.push(g.start);
    // Pushed one by one: a spread of a huge group's boundaries would overflow the call stack.
    for (const c of runBoundaries(tokens)) annotationCuts.push(c);
    annotationCuts.push(end);
    // Trailing punctuation stays with its group while the two fit; when they do not, the
    // punctuation may start the next segment rather than push this one over the limit.
    if (end - g.start <= maxChars) {
      block(g.start, end);
      continue;
    }
    if (g.end - g.start <= maxChars || tokens.length < 2) {
      block(g.start, g.end);
      continue;
    }
    blockOversizedGroup(tokens, g.end, block);
  }
  for (const pair of scan.pairs) {
    const end = gluedEnd.get(pair.end) ?? pair.end;
    if (end - pair.start <= maxChars) block(pair.start, end);
  }
  return { blocked, groupStarts, annotationCuts };
}

/** Inside a token group, where one run or token ends and another begins (`[breath]|[M][AY0]`). */
function runBoundaries(tokens: readonly AnnotationToken[]): number[] {
  const cuts: number[] = [];
  for (let i = 1; i < tokens.length; i++) {
    const a = tokens[i - 1] as AnnotationToken;
    const b = tokens[i] as AnnotationToken;
    if (!(a.kind === b.kind && (a.kind === 'cmu' || a.kind === 'pinyin'))) cuts.push(b.start);
  }
  return cuts;
}

/**
 * A group longer than maxChars: every token stays whole, the last keeps the punctuation glued
 * to it (up to `gluedEnd`), a pinyin initial keeps its final, and a token the inventory does
 * not know keeps its neighbours (alone it could read as prose; validation refuses such tokens
 * before synthesis anyway).
 */
function blockOversizedGroup(tokens: readonly AnnotationToken[], gluedEnd: number, block: (start: number, end: number) => void): void {
  tokens.forEach((token, i) => {
    const next = tokens[i + 1];
    if (!next) {
      block(token.start, gluedEnd);
      return;
    }
    const keepTogether = !token.known || !next.known || (PINYIN_INITIALS.has(token.text) && next.kind === 'pinyin' && !PINYIN_INITIALS.has(next.text));
    block(token.start, keepTogether ? next.start + 1 : token.end);
  });
}

/** Cuts of `all` strictly inside (start, end), by binary search since `all` is sorted. */
function cutsWithin(all: readonly number[], start: number, end: number): number[] {
  let lo = 0;
  let hi = all.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((all[mid] ?? 0) <= start) lo = mid + 1;
    else hi = mid;
  }
  const out: number[] = [];
  for (let i = lo; i < all.length && (all[i] ?? end) < end; i++) out.push(all[i] ?? end);
  return out;
}

function splitAt(range: Range, cuts: readonly number[]): Range[] {
  const out: Range[] = [];
  let cur = range.start;
  for (const c of cutsWithin(cuts, range.start, range.end)) {
    out.push({ start: cur, end: c });
    cur = c;
  }
  out.push({ start: cur, end: range.end });
  return out;
}

/**
 * Greedy longest-fit: each piece runs to the farthest cut that keeps it within maxChars. When
 * even the nearest cut is too far the piece is oversized and the caller tries finer cuts.
 */
function fit(range: Range, cuts: readonly number[], maxChars: number, trim: TrimIndex): Range[] {
  const inner = cutsWithin(cuts, range.start, range.end);
  inner.push(range.end);
  const out: Range[] = [];
  let cur = range.start;
  let k = 0;
  while (cur < range.end) {
    let best = -1;
    let j = k;
    // Trimmed length only grows as the end moves right, so stop at the first cut that overflows.
    for (; j < inner.length; j++) {
      const c = inner[j] ?? range.end;
      if (trim.length(cur, c) > maxChars) break;
      best = c;
    }
    if (best < 0) best = inner[k] ?? range.end;
    out.push({ start: cur, end: best });
    cur = best;
    while (k < inner.length && (inner[k] ?? range.end) <= cur) k++;
  }
  return out;
}

function packRanges(ranges: readonly Range[], maxChars: number, trim: TrimIndex): Range[] {
  const out: Range[] = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last && trim.length(last.start, r.end) <= maxChars) last.end = r.end;
    else out.push({ ...r });
  }
  return out;
}

export function segmentSpans(text: string, opts: SegmentOptions): Segment[] {
  const { maxChars, pack = true } = opts;
  if (!Number.isInteger(maxChars) || maxChars < 1) throw new RangeError(`maxChars must be a positive integer, got ${maxChars}`);
  const trim = new TrimIndex(text);
  const { blocked, groupStarts, annotationCuts } = blockedPositions(text, maxChars);
  const allowed = (cuts: number[]): number[] => cuts.filter((c) => blocked[c] !== 1);

  const paragraphs = allowed(paragraphCuts(text));
  const sentences = allowed(sentenceCuts(text, abbreviationsFor(opts.language), groupStarts));
  // Finer levels are only computed if a sentence is too long, which is the rare case.
  const finer: Array<() => number[]> = [
    () => allowed(clauseCuts(text)),
    () => allowed(whitespaceCuts(text)),
    // The edges of token groups, and inside a group that does not fit, the edges of its runs,
    // so that a run which fits is never cut by the character levels below.
    () => allowed(annotationCuts.filter((c) => c > 0 && c < text.length)),
    () => allowed(characterCuts(text, true)),
    () => allowed(characterCuts(text)),
  ];
  const cache = new Map<number, number[]>();
  const level = (i: number): number[] => {
    let cuts = cache.get(i);
    if (!cuts) {
      cuts = finer[i]?.() ?? [];
      cache.set(i, cuts);
    }
    return cuts;
  };
  const splitLong = (range: Range, depth: number): Range[] => {
    if (trim.length(range.start, range.end) <= maxChars || depth >= finer.length) return [range];
    return fit(range, level(depth), maxChars, trim).flatMap((piece) => splitLong(piece, depth + 1));
  };

  const segments: Segment[] = [];
  for (const paragraph of splitAt({ start: 0, end: text.length }, paragraphs)) {
    const units = splitAt(paragraph, sentences).flatMap((s) => splitLong(s, 0));
    for (const unit of pack ? packRanges(units, maxChars, trim) : units) {
      const r = trim.trim(unit.start, unit.end);
      if (r.end > r.start) segments.push({ text: text.slice(r.start, r.end), start: r.start, end: r.end });
    }
  }
  return segments;
}

/** Segment texts only; see segmentSpans for offsets. */
export function segmentText(text: string, opts: SegmentOptions): string[] {
  return segmentSpans(text, opts).map((s) => s.text);
}
