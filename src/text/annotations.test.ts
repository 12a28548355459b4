import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isInsideToken, scanAnnotations, validateAnnotations, type Span } from './annotations.js';
import { editDistance, nearest } from './edit-distance.js';
import {
  CMU_BASE_PHONEMES,
  CMU_TOKENS,
  CONTROL_TOKENS,
  MARKUP_TAGS,
  PARALINGUISTIC_TOKENS,
  PINYIN_TOKENS,
  SUPPORTED_INSTRUCTIONS,
  TOKENS_SOURCE,
} from './tokens.js';

const tokensOf = (text: string): string[] => scanAnnotations(text).tokens.map((t) => `${t.kind}:${t.text}`);
const spanText = (s: Span): string => (s.type === 'text' ? s.text : s.token.text);

describe('token data', () => {
  it('loads the vendored CosyVoice3 inventory with its source line', () => {
    assert.match(TOKENS_SOURCE, /CosyVoice/);
    assert.equal(CMU_TOKENS.size, 84);
    assert.equal(PINYIN_TOKENS.size, 176);
    assert.equal(CONTROL_TOKENS.size, 5);
    assert.equal(PARALINGUISTIC_TOKENS.size + MARKUP_TAGS.size, 16);
    assert.deepEqual([...MARKUP_TAGS].sort(), ['</laughter>', '</strong>', '<laughter>', '<strong>']);
    assert.equal(SUPPORTED_INSTRUCTIONS.length, 26);
    assert.equal(CMU_BASE_PHONEMES.length, 39);
  });
});

describe('edit distance', () => {
  it('counts code points, so a tone mark is one edit', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('ǐ', 'í'), 1);
    assert.equal(editDistance('', 'abc'), 3);
  });

  it('prefers same-length candidates on ties and respects the limit', () => {
    assert.equal(nearest('AY3', ['AY', 'AY0', 'AY1'], 1), 'AY0');
    assert.equal(nearest('XYZ', ['AB'], 1), undefined);
  });
});

describe('scanAnnotations', () => {
  it('returns spans in order that cover the text exactly, with UTF-16 offsets', () => {
    const text = '😀 I need a [M][AY0][N][UW1][T]. <strong>Now</strong>[breath]<|endofprompt|>';
    const scan = scanAnnotations(text);
    assert.equal(scan.spans.map(spanText).join(''), text);
    let pos = 0;
    for (const s of scan.spans) {
      assert.equal(s.start, pos);
      assert.equal(text.slice(s.start, s.end), spanText(s));
      pos = s.end;
    }
    assert.equal(pos, text.length);
    const m = scan.tokens[0];
    assert.equal(m?.text, '[M]');
    assert.equal(m?.start, text.indexOf('[M]'));
  });

  it('classifies each token kind', () => {
    assert.deepEqual(tokensOf('[M][AY0] [j][ǐ] [breath] <|endofprompt|> <strong>x</strong> <laughter>y</laughter>'), [
      'cmu:[M]', 'cmu:[AY0]', 'pinyin:[j]', 'pinyin:[ǐ]', 'paralinguistic:[breath]', 'control:<|endofprompt|>',
      'markup:<strong>', 'markup:</strong>', 'markup:<laughter>', 'markup:</laughter>',
    ]);
  });

  it('accepts exactly the stressless vowels the data lists', () => {
    assert.ok(scanAnnotations('[AA]').tokens[0]?.known);
    assert.equal(scanAnnotations('[M][AA]').runs.length, 1);
  });

  it('groups adjacent tokens of one kind into runs', () => {
    const scan = scanAnnotations('a [M][AY0][N][UW1][T] b [n][ǐ][h][ǎo] [M] [N]');
    assert.deepEqual(
      scan.runs.map((r) => [r.kind, r.tokens.length]),
      [['cmu', 5], ['pinyin', 4], ['cmu', 1], ['cmu', 1]],
    );
    assert.equal(scan.runs[0]?.start, 2);
    assert.equal(scan.runs[0]?.end, 2 + '[M][AY0][N][UW1][T]'.length);
  });

  it('treats ordinary brackets and lone brackets as prose', () => {
    assert.deepEqual(tokensOf('see [1], [sic], [citation needed], [NASA] and a [ lone bracket'), []);
    assert.deepEqual(tokensOf('open [ and close ] and <b>bold</b> and <| not a token'), []);
    assert.deepEqual(tokensOf('[M'), []);
    assert.deepEqual(tokensOf('<strong>[1]</strong>'), ['markup:<strong>', 'markup:</strong>']);
  });

  it('recognises unknown tokens that clearly try to be tokens', () => {
    const scan = scanAnnotations('[AY3] [XX1] [M][AX][T] [breth] [ǐng] [M][1][T]');
    assert.deepEqual(
      scan.tokens.filter((t) => !t.known).map((t) => `${t.kind}:${t.text}`),
      ['cmu:[AY3]', 'cmu:[XX1]', 'cmu:[AX]', 'paralinguistic:[breth]', 'cmu:[1]'],
    );
  });

  it('pairs markup tags and reports the unpaired ones', () => {
    const scan = scanAnnotations('<strong>a</strong> </strong> <laughter>b');
    assert.equal(scan.pairs.length, 1);
    assert.deepEqual(scan.unpaired.map((t) => [t.text, t.start]), [['</strong>', 19], ['<laughter>', 29]]);
  });

  it('reports token groups for the segmenter', () => {
    const text = 'x [M][AY0]<strong> y';
    assert.deepEqual(scanAnnotations(text).groups, [{ start: 2, end: 10 }, { start: 10, end: 18 }]);
    assert.equal(isInsideToken(text, 2), false);
    assert.equal(isInsideToken(text, 3), true);
    assert.equal(isInsideToken(text, 5), true); // between [M] and [AY0]: splits the run
    assert.equal(isInsideToken(text, 10), false); // markup may be separated from a run
    assert.equal(isInsideToken(text, 12), true);
    assert.equal(isInsideToken(text, 18), false);
    assert.equal(isInsideToken(text, 1), false);
  });
});

describe('validateAnnotations', () => {
  it('accepts valid annotated text', () => {
    const text = 'I need a [M][AY0][N][UW1][T]. 你好[n][ǐ][h][ǎo] [breath] <strong>really</strong> <|endofprompt|> <|en|>';
    assert.deepEqual(validateAnnotations(text), []);
  });

  it('flags an unknown CMU token with the nearest valid one and its position', () => {
    const issues = validateAnnotations('say [M][AY3][N]');
    assert.equal(issues.length, 1);
    assert.equal(issues[0]?.token, '[AY3]');
    assert.equal(issues[0]?.position, 7);
    assert.equal(issues[0]?.kind, 'cmu');
    assert.equal(issues[0]?.suggestion, '[AY0]');
    assert.match(issues[0]?.message ?? '', /\[AY3\]/);
  });

  it('gives no suggestion when nothing is close', () => {
    const [issue] = validateAnnotations('[XX1]');
    assert.equal(issue?.token, '[XX1]');
    assert.equal(issue?.suggestion, undefined);
    assert.equal('suggestion' in (issue ?? {}), false);
  });

  it('suggests by the likely kind: case fixes, pinyin, sound events', () => {
    const suggestion = (text: string): string | undefined => validateAnnotations(text)[0]?.suggestion;
    assert.equal(suggestion('[ay1]'), '[AY1]');
    assert.equal(suggestion('[breth]'), '[breath]');
    assert.equal(suggestion('[quick-breath]'), '[quick_breath]');
    assert.equal(suggestion('[h][ǎng]'.replace('ǎng', 'ǎnx')), '[ǎng]');
    // Decomposed tone mark (i + combining caron): same letters, wrong Unicode form.
    assert.equal(suggestion('[j][i\u030C]'), '[ǐ]');
    // Tone mark on the wrong vowel: same letters and tone beats the nearest edit.
    assert.equal(suggestion('[x][iaǒ]'), '[iǎo]');
    assert.equal(suggestion('[x][ǐao]'), '[iǎo]');
    assert.equal(suggestion('<|endofprmpt|>'), '<|endofprompt|>');
    assert.equal(suggestion('<strng>x</strong>'), '<strong>');
  });

  it('flags unbalanced <strong> either way', () => {
    const open = validateAnnotations('<strong>loud');
    assert.equal(open.length, 1);
    assert.equal(open[0]?.token, '<strong>');
    assert.equal(open[0]?.position, 0);
    const close = validateAnnotations('loud</strong>');
    assert.equal(close[0]?.token, '</strong>');
    assert.equal(close[0]?.position, 4);
    assert.deepEqual(validateAnnotations('<strong>a</strong><strong>b</strong>'), []);
  });

  it('returns issues in text order', () => {
    const issues = validateAnnotations('</strong> [XX1] [AY3]');
    assert.deepEqual(issues.map((i) => i.position), [0, 10, 16]);
  });
});
