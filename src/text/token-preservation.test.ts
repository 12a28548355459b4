// Property: what the client writes as annotation tokens reaches the engine byte for byte. The
// text path before the engine is lexicon rewriting, then segmentation (there is no other
// normalization step); random texts with tokens inserted go through both, with random lexicon
// entries whose terms also occur inside the tokens.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scanAnnotations, validateAnnotations } from './annotations.js';
import { segmentText } from './segment.js';
import { applyLexicon, type LexiconRule } from '../lexicon/matcher.js';
import { CMU_TOKENS, CONTROL_TOKENS, PARALINGUISTIC_TOKENS, PINYIN_TOKENS } from './tokens.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CMU = [...CMU_TOKENS];
const PINYIN_INITIAL = ['[b]', '[d]', '[j]', '[x]', '[zh]', '[y]', '[h]', '[l]'];
const PINYIN_FINAL = [...PINYIN_TOKENS].filter((t) => !/^\[(?:[bpmfdtnlgkhjqxrzcsyw]|zh|ch|sh)\]$/.test(t));
const PARA = [...PARALINGUISTIC_TOKENS];
const CONTROL = [...CONTROL_TOKENS];
// Words that also occur inside tokens (AY0, M, strong, breath, endofprompt, ǐ, ing), plus prose.
const WORDS = ['AY0', 'M', 'm', 'strong', 'breath', 'endofprompt', 'ǐ', 'ing', 'mynute', 'Mynute', 'New', 'York', 'cat', 'the', '予', '行', '你好', 'iPhone', 'café', '😀', '[1]', '[sic]', 'x'];
const SPACE = [' ', ' ', ' ', '\n', '\n\n', ''];
const PUNCT = ['', '', '.', ',', '!', '?', '。', '，', ';'];

function pick<T>(next: () => number, list: readonly T[]): T {
  return list[Math.floor(next() * list.length)] as T;
}

function cmuRun(next: () => number): string {
  return Array.from({ length: 1 + Math.floor(next() * 5) }, () => pick(next, CMU)).join('');
}

function pinyinRun(next: () => number): string {
  return Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(next, PINYIN_INITIAL) + pick(next, PINYIN_FINAL)).join('');
}

function randomText(next: () => number): string {
  const parts: string[] = [];
  const n = 1 + Math.floor(next() * 25);
  for (let i = 0; i < n; i++) {
    const r = next();
    if (r < 0.45) parts.push(pick(next, WORDS) + pick(next, PUNCT));
    else if (r < 0.6) parts.push(cmuRun(next) + pick(next, PUNCT));
    else if (r < 0.72) parts.push(pinyinRun(next));
    else if (r < 0.78) parts.push(pick(next, PARA));
    else if (r < 0.82) parts.push(pick(next, CONTROL));
    else if (r < 0.9) parts.push(`<strong>${pick(next, WORDS)} ${pick(next, WORDS)}</strong>`);
    parts.push(pick(next, SPACE));
  }
  return parts.join('');
}

function randomRules(next: () => number): LexiconRule[] {
  const n = Math.floor(next() * 6);
  return Array.from({ length: n }, (_, i) => ({
    id: `r${i}`,
    term: next() < 0.2 ? `${pick(next, WORDS)} ${pick(next, WORDS)}` : pick(next, WORDS),
    pronunciation: next() < 0.5 ? cmuRun(next) : pinyinRun(next),
    language: next() < 0.8 ? null : pick(next, ['en', 'cmn']),
    caseSensitive: next() < 0.3,
    wholeWord: next() < 0.6,
    updatedAt: '2026-01-01T00:00:00.000Z',
  }));
}

const tokenTexts = (text: string): string[] => scanAnnotations(text).tokens.map((t) => t.text);
const runTexts = (text: string): string[] => scanAnnotations(text).runs.map((r) => text.slice(r.start, r.end));

describe('annotation tokens survive the text path', () => {
  it('lexicon rewriting replaces only plain text and keeps every token in place (3000 random inputs)', () => {
    const next = rng(20261125);
    let replacements = 0;
    for (let i = 0; i < 3000; i++) {
      const text = randomText(next);
      const rules = randomRules(next);
      const language = pick(next, ['en', 'cmn']);
      const context = `text=${JSON.stringify(text)} rules=${JSON.stringify(rules.map((r) => r.term))}`;
      const scan = scanAnnotations(text);
      const { text: out, applied } = applyLexicon(text, rules, language);

      // Every replaced range lies in plain text, and the output is exactly the input with those
      // ranges swapped: nothing else changed.
      let rebuilt = '';
      let pos = 0;
      for (const a of applied) {
        const end = a.position + a.matched.length;
        assert.ok(a.position >= pos, context);
        assert.ok(
          scan.spans.some((s) => s.type === 'text' && s.start <= a.position && end <= s.end),
          `replaced ${JSON.stringify(a.matched)} at ${a.position} outside plain text; ${context}`,
        );
        assert.equal(text.slice(a.position, end), a.matched, context);
        rebuilt += text.slice(pos, a.position) + a.pronunciation;
        pos = end;
        replacements++;
      }
      assert.equal(out, rebuilt + text.slice(pos), context);

      // The client's tokens are still tokens, byte-identical and in order, and rewriting made
      // no token invalid (a replacement glued to a bracket could).
      const outTokens = tokenTexts(out);
      const original = tokenTexts(text);
      let k = 0;
      for (const t of outTokens) if (k < original.length && t === original[k]) k++;
      assert.equal(k, original.length, `tokens lost or altered; ${context}`);
      assert.equal(validateAnnotations(out).length, validateAnnotations(text).length, `rewriting created an invalid token; ${context}`);
    }
    // The generator must actually exercise replacement, or the test proves nothing.
    assert.ok(replacements > 1000, `only ${replacements} replacements`);
  });

  it('segmentText never splits a token, nor a run that fits: the segments hold the same tokens, byte-identical (3000 random inputs)', () => {
    const next = rng(424242);
    let multiSegment = 0;
    for (let i = 0; i < 3000; i++) {
      const text = applyLexicon(randomText(next), randomRules(next), 'en').text;
      const maxChars = 2 + Math.floor(next() * 60);
      const segments = segmentText(text, { maxChars, language: pick(next, ['en', 'cmn', undefined]) });
      const context = `maxChars=${maxChars} text=${JSON.stringify(text)} segments=${JSON.stringify(segments)}`;
      if (segments.length > 1) multiSegment++;
      // Scanning each segment on its own finds exactly the whole text's tokens and runs: a cut
      // inside one would leave fragments that scan differently (or not at all).
      assert.deepEqual(segments.flatMap(tokenTexts), tokenTexts(text), context);
      // A run longer than maxChars is split between its tokens; one that fits, with the
      // punctuation glued to it, reaches the engine whole (unless it is glued to a token the
      // inventory does not know, which keeps its neighbours and which synthesis refuses anyway).
      const segmentRuns = segments.flatMap(runTexts);
      assert.equal(segmentRuns.join(''), runTexts(text).join(''), context);
      const scan = scanAnnotations(text);
      const unknown = scan.tokens.filter((t) => !t.known);
      for (const r of scan.runs) {
        const group = scan.groups.find((g) => g.start <= r.start && r.end <= g.end);
        if (unknown.some((t) => group && group.start <= t.start && t.end <= group.end)) continue;
        const glued = /^[\p{Po}\p{Pe}\p{Pf}]*/u.exec(text.slice(r.end))?.[0].length ?? 0;
        const run = text.slice(r.start, r.end);
        if (r.end + glued - r.start <= maxChars) assert.ok(segmentRuns.includes(run), `run ${run} split; ${context}`);
      }
      assert.equal(segments.join('').replace(/\s/g, ''), text.replace(/\s/g, ''), context);
    }
    assert.ok(multiSegment > 1000, `only ${multiSegment} inputs were split`);
  });
});
