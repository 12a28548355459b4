import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scanAnnotations } from './annotations.js';
import { segmentSpans, segmentText, type Segment } from './segment.js';
import { CMU_TOKENS, CONTROL_TOKENS, PARALINGUISTIC_TOKENS, PINYIN_INITIALS, PINYIN_TOKENS } from './tokens.js';

const seg = (text: string, maxChars: number, extra: { pack?: boolean; language?: string } = {}): string[] =>
  segmentText(text, { maxChars, ...extra });

describe('segmentText: sentences', () => {
  it('splits English at sentence ends but not abbreviations, initials or decimals', () => {
    const text = 'Hello Mr. Smith. How are you? I am fine! See e.g. the U.S. report; pi is 3.14. J. K. Rowling wrote it. Done';
    assert.deepEqual(seg(text, 500, { pack: false }), [
      'Hello Mr. Smith.',
      'How are you?',
      'I am fine!',
      'See e.g. the U.S. report; pi is 3.14.',
      'J. K. Rowling wrote it.',
      'Done',
    ]);
  });

  it('keeps a period followed by a lowercase word, and "No. 5", together', () => {
    assert.deepEqual(seg('Wait... what? Call No. 5 now. Then go.', 500, { pack: false }), [
      'Wait... what?',
      'Call No. 5 now.',
      'Then go.',
    ]);
  });

  it('keeps closing quotes with their sentence', () => {
    assert.deepEqual(seg('He said "no." Then he left.', 500, { pack: false }), ['He said "no."', 'Then he left.']);
    assert.deepEqual(seg('他说：“你好！”然后走了。', 500, { pack: false }), ['他说：“你好！”', '然后走了。']);
  });

  it('splits Chinese and Japanese without spaces', () => {
    assert.deepEqual(seg('你好。我是小明！你呢？我很好；谢谢……好吧', 500, { pack: false }), [
      '你好。', '我是小明！', '你呢？', '我很好；', '谢谢……', '好吧',
    ]);
    assert.deepEqual(seg('今日は晴れです。明日は雨！本当？', 500, { pack: false }), ['今日は晴れです。', '明日は雨！', '本当？']);
    assert.deepEqual(seg('我喜欢iPhone.你呢?', 500, { pack: false }), ['我喜欢iPhone.', '你呢?']);
  });

  it('uses the language hint for abbreviations', () => {
    const text = 'Das ist gut bzw. Schlecht ist es nicht.';
    assert.deepEqual(seg(text, 500, { pack: false, language: 'de' }), [text]);
    assert.deepEqual(seg(text, 500, { pack: false, language: 'en' }), ['Das ist gut bzw.', 'Schlecht ist es nicht.']);
  });

  it('treats newlines as boundaries and never packs across paragraphs', () => {
    assert.deepEqual(seg('Line one\nLine two.\n\nPara two', 500), ['Line one', 'Line two.', 'Para two']);
  });
});

describe('segmentText: limits and packing', () => {
  it('packs short sentences greedily up to maxChars by default', () => {
    assert.deepEqual(seg('你好。我是小明！你呢？我很好。', 8), ['你好。我是小明！', '你呢？我很好。']);
    assert.deepEqual(seg('One. Two. Three. Four.', 10), ['One. Two.', 'Three.', 'Four.']);
    assert.deepEqual(seg('One. Two. Three.', 100), ['One. Two. Three.']);
    assert.deepEqual(seg('One. Two. Three.', 100, { pack: false }), ['One.', 'Two.', 'Three.']);
  });

  it('splits a long sentence at clauses, then whitespace, then anywhere', () => {
    assert.deepEqual(seg('This is long, with clauses; and more words than fit: right here', 20), [
      'This is long,',
      'with clauses;',
      'and more words than',
      'fit: right here',
    ]);
    assert.deepEqual(seg('今天天气很好，我们去公园散步，然后吃饭', 8), ['今天天气很好，', '我们去公园散步，', '然后吃饭']);
    assert.deepEqual(seg('Supercalifragilistic', 8), ['Supercal', 'ifragili', 'stic']);
    // A hard cut does not leave closing punctuation to start a segment, unless nothing else fits.
    assert.deepEqual(seg('Hello. World.', 5), ['Hell', 'o.', 'Worl', 'd.']);
    assert.deepEqual(seg('今天天气很好。', 6), ['今天天气很', '好。']);
    assert.deepEqual(seg('!!!!!!!', 3), ['!!!', '!!!', '!']);
  });

  it('does not cut numbers at their separators', () => {
    assert.deepEqual(seg('It costs 1,000,000 dollars at 3:30 today', 12), ['It costs', '1,000,000', 'dollars at', '3:30 today']);
  });

  it('never cuts a surrogate pair or before a combining mark', () => {
    for (const s of seg('😀😀😀😀😀', 3)) assert.equal(s, '😀');
    assert.deepEqual(seg('cafe\u0301cafe\u0301', 5), ['cafe\u0301', 'cafe\u0301']);
  });

  it('keeps a token run whole when it fits, glued punctuation included', () => {
    const run = '[M][AY0][N][UW1][T]';
    assert.deepEqual(seg(`I need a ${run}. It is late.`, 20), ['I need a', `${run}.`, 'It is late.']);
    assert.deepEqual(seg(`I need a ${run}. It is late.`, 30, { pack: false }), [`I need a ${run}.`, 'It is late.']);
  });

  it('splits a run longer than maxChars between tokens: never inside one, nor between a pinyin initial and its final', () => {
    const run = '[M][AY0][N][UW1][T]';
    assert.deepEqual(seg(`I need a ${run}. It is late.`, 12), ['I need a', '[M][AY0][N]', '[UW1][T].', 'It is late.']);
    assert.deepEqual(seg(`你好[n][ǐ][h][ǎo]吗`, 3), ['你好', '[n][ǐ]', '[h][ǎo]', '吗']);
    assert.deepEqual(seg('[zh][ōng][g][uó]', 11), ['[zh][ōng]', '[g][uó]']);
    // A token longer than maxChars is the one thing kept over the limit.
    assert.deepEqual(seg('[breath][AY0]', 4), ['[breath]', '[AY0]']);
  });

  it('bounds a 4,800-character run (600 x [M][AY0]) by maxChars', () => {
    const text = '[M][AY0]'.repeat(600);
    const segments = seg(text, 400);
    assert.equal(segments.length, 12);
    assert.ok(segments.every((s) => s.length <= 400 && /^(?:\[M\]\[AY0\])+$/.test(s)), JSON.stringify(segments.map((s) => s.length)));
    assert.equal(segments.join(''), text);
  });

  it('keeps a token the inventory does not know with its neighbours (alone it would read as prose)', () => {
    assert.deepEqual(seg('[M][1][T][AY0]', 7), ['[M][1][T]', '[AY0]']);
  });

  it('keeps <strong>…</strong> together when it fits, even across a sentence end', () => {
    assert.deepEqual(seg('It is <strong>very. Important</strong> now. Yes.', 45, { pack: false }), [
      'It is <strong>very. Important</strong> now.',
      'Yes.',
    ]);
  });

  it('returns nothing for blank input and rejects a bad maxChars', () => {
    assert.deepEqual(seg('   \n\t ', 10), []);
    assert.deepEqual(seg('', 10), []);
    assert.throws(() => seg('x', 0), RangeError);
    assert.throws(() => seg('x', 2.5), RangeError);
  });

  it('reports trimmed offsets', () => {
    const text = '  Hello there.  How are you?  ';
    const spans = segmentSpans(text, { maxChars: 100, pack: false });
    for (const s of spans) assert.equal(text.slice(s.start, s.end), s.text);
    assert.deepEqual(spans.map((s) => s.start), [2, 16]);
  });
});

// --- Property test: random text with every kind of annotation, many limits. ---

/** Small deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CMU = [...CMU_TOKENS];
const PINYIN = [...PINYIN_TOKENS];
const PARA = [...PARALINGUISTIC_TOKENS];
const CONTROL = [...CONTROL_TOKENS];
const WORDS = ['hello', 'world', 'Mr.', 'e.g.', '3.14', 'U.S.', 'I', 'a', 'No.', 'etc.', 'Smith', '1,000', 'café',
  'cafe\u0301', '😀', '你好', '我们', '今天天气很好', '佢', '今日は', '안녕하세요', 'Привет', '[', ']', '<', '[1]', '[sic]',
  'supercalifragilisticexpialidocious'];
const PUNCT = ['.', '!', '?', ',', ';', ':', '。', '！', '？', '，', '、', '；', '…', '……', '—', '"', '”', '」', '...'];
const SPACE = [' ', ' ', ' ', '  ', '\n', '\n\n', '\t', '\u3000', ''];

function randomText(next: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const runOf = (xs: readonly string[]): string => Array.from({ length: 1 + Math.floor(next() * 7) }, () => pick(xs)).join('');
  const parts: string[] = [];
  const n = Math.floor(next() * 40);
  for (let i = 0; i < n; i++) {
    const r = next();
    if (r < 0.4) parts.push(pick(WORDS));
    else if (r < 0.55) parts.push(pick(PUNCT));
    else if (r < 0.65) parts.push(runOf(CMU));
    else if (r < 0.72) parts.push(runOf(PINYIN));
    else if (r < 0.77) parts.push(pick(PARA));
    else if (r < 0.8) parts.push(pick(CONTROL));
    else if (r < 0.86) parts.push(`<strong>${pick(WORDS)}${pick(SPACE)}${pick(WORDS)}${pick(PUNCT)}</strong>`);
    else if (r < 0.88) parts.push(pick(['<strong>', '</strong>', '<laughter>', '</laughter>']));
    else parts.push(pick(SPACE));
    parts.push(pick(SPACE));
  }
  return parts.join('');
}

const TRAILING_PUNCT = /^x[\p{Po}\p{Pe}\p{Pf}]*$/u;

function checkSegmentation(text: string, maxChars: number, pack: boolean): void {
  const context = `maxChars=${maxChars} pack=${pack} text=${JSON.stringify(text)}`;
  const segments: Segment[] = segmentSpans(text, { maxChars, pack });
  const scan = scanAnnotations(text);

  // Nothing lost, nothing reordered: offsets ascend and the segments are the input's slices.
  assert.equal(segments.map((s) => s.text).join('').replace(/\s/g, ''), text.replace(/\s/g, ''), context);
  let prevEnd = 0;
  for (const s of segments) {
    assert.ok(s.start >= prevEnd && s.end > s.start, context);
    assert.equal(text.slice(s.start, s.end), s.text, context);
    assert.equal(s.text, s.text.trim(), context);
    prevEnd = s.end;
  }

  const container = (start: number, end: number): Segment | undefined =>
    segments.find((s) => s.start <= start && end <= s.end);
  // Tokens are never split; a token group, a run or a markup pair is not split when it fits,
  // sized like the segmenter does with the punctuation glued after it ("[T].", "</strong>…").
  const glued = (end: number): number => /^[\p{Po}\p{Pe}\p{Pf}]*/u.exec(text.slice(end))?.[0].length ?? 0;
  for (const t of scan.tokens) assert.ok(container(t.start, t.end), `token ${t.text} split; ${context}`);
  for (const g of scan.groups) {
    if (g.end + glued(g.end) - g.start <= maxChars) assert.ok(container(g.start, g.end), `group ${text.slice(g.start, g.end)} split; ${context}`);
  }
  const groupEnds = new Set(scan.groups.map((g) => g.end));
  for (const r of scan.runs) {
    const end = groupEnds.has(r.end) ? r.end + glued(r.end) : r.end;
    if (end - r.start <= maxChars) assert.ok(container(r.start, r.end), `run ${text.slice(r.start, r.end)} split; ${context}`);
  }
  for (const p of scan.pairs) {
    if (p.end + glued(p.end) - p.start <= maxChars) assert.ok(container(p.start, p.end), `pair split; ${context}`);
  }

  // Within the limit, unless the segment is a piece of a token group that cannot be cut: one
  // token, a pinyin initial with its final, or tokens glued to an unknown one (plus glued punctuation).
  for (const s of segments) {
    if (s.text.length <= maxChars) continue;
    const tokens = scan.tokens.filter((t) => t.start >= s.start && t.end <= s.end);
    const first = tokens[0];
    const last = tokens[tokens.length - 1];
    const oversized = `oversized segment ${JSON.stringify(s.text)}; ${context}`;
    assert.ok(first && last && first.start === s.start, oversized);
    assert.ok(TRAILING_PUNCT.test(`x${text.slice(last.end, s.end)}`), oversized);
    assert.ok(tokens.every((t, i) => i === 0 || t.start === tokens[i - 1]?.end), oversized);
    assert.ok(tokens.length === 1 || (tokens.length === 2 && PINYIN_INITIALS.has(first.text)) || tokens.some((t) => !t.known), oversized);
  }
}

describe('segmentText: properties', () => {
  it('loses no character, respects maxChars and never splits a token, nor a run that fits (2000 random inputs)', () => {
    const next = rng(20261124);
    for (let i = 0; i < 2000; i++) {
      const text = randomText(next);
      // From 2 up: one character can be two UTF-16 units (emoji, e + combining accent).
      const maxChars = 2 + Math.floor(next() * 60);
      checkSegmentation(text, maxChars, next() < 0.7);
    }
  });

  it('handles a long document quickly', () => {
    const next = rng(7);
    const text = Array.from({ length: 300 }, () => randomText(next)).join('\n');
    const t0 = performance.now();
    checkSegmentation(text, 120, true);
    checkSegmentation(text, 5, true);
    assert.ok(performance.now() - t0 < 5000);
  });
});
