// What "the word here" is in the editor, for a pronunciation lookup (GET /v1/pronounce): the
// Latin word around the caret (the service's own word pattern, src/pronounce/suggest.ts), or the
// Han character at it, or a selection of Han characters. Annotation tokens are never words:
// they are already pronunciations. A Han lookup carries a few characters either side as context,
// since the reading the service puts first depends on the neighbours (银行 háng, 行走 xíng).
import { scanAnnotations } from '../../../src/text/annotations.js';

export interface LookupTarget {
  /** The word as written. */
  text: string;
  /** UTF-16 range of the word in the editor's text. */
  start: number;
  end: number;
  language: 'en' | 'cmn';
  /** What to send as `text`: the word, or for Han the word with neighbours. */
  query: string;
  /** Where the word starts in `query`. */
  queryOffset: number;
}

const LATIN_WORD = /\p{Script=Latin}[\p{Script=Latin}\p{M}]*(?:['\u2019-][\p{Script=Latin}\p{M}]+)*/gu;
const HAN = /^\p{Script=Han}$/u;
const HAN_CONTEXT = 4;
/** The service looks up at most 200 characters; a selection is one word or a short phrase. */
export const MAX_HAN_SELECTION = 16;

function isHan(ch: string | undefined): boolean {
  return ch !== undefined && HAN.test(ch);
}

/** The plain-text span (not a token) holding [start, end), if any. */
function textSpan(text: string, start: number, end: number): { text: string; start: number } | null {
  for (const span of scanAnnotations(text).spans) {
    if (span.type !== 'text') continue;
    if (start >= span.start && end <= span.end) return { text: span.text, start: span.start };
  }
  return null;
}

/** `text` split into code points with their UTF-16 offsets. */
function points(text: string, base: number): { ch: string; at: number }[] {
  const out: { ch: string; at: number }[] = [];
  let at = base;
  for (const ch of text) {
    out.push({ ch, at });
    at += ch.length;
  }
  return out;
}

function hanTarget(text: string, span: { text: string; start: number }, start: number, end: number): LookupTarget {
  const cps = points(span.text, span.start);
  const first = cps.findIndex((p) => p.at === start);
  const last = cps.findIndex((p) => p.at + p.ch.length === end);
  let from = first;
  for (let n = 0; n < HAN_CONTEXT && from > 0 && isHan(cps[from - 1]?.ch); n++) from--;
  let to = last;
  for (let n = 0; n < HAN_CONTEXT && to < cps.length - 1 && isHan(cps[to + 1]?.ch); n++) to++;
  const queryStart = (cps[from] as { at: number }).at;
  const queryEnd = (cps[to] as { at: number; ch: string }).at + (cps[to] as { ch: string }).ch.length;
  return { text: text.slice(start, end), start, end, language: 'cmn', query: text.slice(queryStart, queryEnd), queryOffset: start - queryStart };
}

/**
 * The word to look up for the editor's selection [selStart, selEnd): a caret inside (or just
 * after) a Latin word or on a Han character, or a selection that is exactly one Latin word or
 * Han characters only. Null where there is none.
 */
export function lookupTarget(text: string, selStart: number, selEnd: number): LookupTarget | null {
  if (selEnd > selStart) {
    const selected = text.slice(selStart, selEnd);
    const trimmedStart = selStart + (selected.length - selected.trimStart().length);
    const trimmedEnd = selEnd - (selected.length - selected.trimEnd().length);
    if (trimmedEnd <= trimmedStart) return null;
    const span = textSpan(text, trimmedStart, trimmedEnd);
    if (!span) return null;
    const word = text.slice(trimmedStart, trimmedEnd);
    const chars = [...word];
    if (chars.every(isHan)) return chars.length <= MAX_HAN_SELECTION ? hanTarget(text, span, trimmedStart, trimmedEnd) : null;
    const latin = [...word.matchAll(LATIN_WORD)];
    if (latin.length === 1 && latin[0]?.[0] === word) return { text: word, start: trimmedStart, end: trimmedEnd, language: 'en', query: word, queryOffset: 0 };
    return null;
  }
  const at = selStart;
  const span = textSpan(text, at, at);
  if (!span) return null;
  for (const m of span.text.matchAll(LATIN_WORD)) {
    const start = span.start + (m.index ?? 0);
    const end = start + m[0].length;
    if (at >= start && at <= end) return { text: m[0], start, end, language: 'en', query: m[0], queryOffset: 0 };
  }
  // The character after the caret, else the one before it (a click lands between two).
  for (const p of points(span.text, span.start)) {
    if (isHan(p.ch) && (p.at === at || p.at + p.ch.length === at)) {
      const after = points(span.text, span.start).find((q) => q.at === at && isHan(q.ch));
      const chosen = after ?? p;
      return hanTarget(text, span, chosen.at, chosen.at + chosen.ch.length);
    }
  }
  return null;
}
