import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyLexicon, compileLexicon, type LexiconRule } from './matcher.js';
import { AppError } from '../errors/app-error.js';

let seq = 0;
function rule(term: string, pronunciation: string, extra: Partial<LexiconRule> = {}): LexiconRule {
  seq++;
  return { id: `r${seq}`, term, pronunciation, language: null, caseSensitive: false, wholeWord: true, updatedAt: '2026-01-01T00:00:00.000Z', ...extra };
}

const MYNUTE = '[M][AY0][N][UW1][T]';
const text = (input: string, rules: LexiconRule[], language = 'en') => applyLexicon(input, rules, language).text;

describe('applyLexicon: matching', () => {
  it('replaces whole words, case-insensitively by default, keeping everything around them', () => {
    const r = applyLexicon('Mynute! a mynute, MYNUTE.', [rule('mynute', MYNUTE)], 'en');
    assert.equal(r.text, `${MYNUTE}! a ${MYNUTE}, ${MYNUTE}.`);
    assert.deepEqual(
      r.applied.map((a) => [a.position, a.matched]),
      [
        [0, 'Mynute'],
        [10, 'mynute'],
        [18, 'MYNUTE'],
      ],
    );
  });

  it('honours caseSensitive', () => {
    const rules = [rule('US', '[Y][UW1][EH1][S]', { caseSensitive: true })];
    assert.equal(text('the US and us', rules), 'the [Y][UW1][EH1][S] and us');
  });

  it('prefers an exact case-sensitive entry over a case-insensitive one for the same text', () => {
    const rules = [rule('us', '[AH1][S]'), rule('US', '[Y][UW1][EH1][S]', { caseSensitive: true })];
    assert.equal(text('US us', rules), '[Y][UW1][EH1][S] [AH1][S]');
  });

  it('whole-word: not inside a longer Latin word; wholeWord:false matches anywhere', () => {
    const whole = [rule('cat', '[K][AE1][T]')];
    assert.equal(text('cat concatenate cats cat_1 cat5 cat-like', whole), '[K][AE1][T] concatenate cats cat_1 cat5 [K][AE1][T]-like');
    const anywhere = [rule('cat', '[K][AE1][T]', { wholeWord: false })];
    assert.equal(text('concatenate', anywhere), 'con[K][AE1][T]enate');
  });

  it('whole-word treats accented letters and combining marks as part of the word', () => {
    const rules = [rule('cafe', '[K][AE0][F][EY1]')];
    assert.equal(text('cafe cafes cafe\u0301 cafeé', rules), '[K][AE0][F][EY1] cafes cafe\u0301 cafeé');
  });

  it('CJK: whole-word means any occurrence; a Latin term next to Han characters is a whole word', () => {
    assert.equal(text('我给予你予以', [rule('予', '[y][ǔ]')], 'cmn'), '我给[y][ǔ]你[y][ǔ]以');
    assert.equal(text('我用iPhone手机，不是iPhones', [rule('iPhone', '[AY1][F][OW2][N]')], 'cmn'), '我用[AY1][F][OW2][N]手机，不是iPhones');
  });

  it('terms that start or end with punctuation match like \\b does in a regex', () => {
    const rules = [rule('C++', '[S][IY1][P][L][AH1][S][P][L][AH1][S]'), rule('.NET', '[D][AA1][T][N][EH1][T]')];
    assert.equal(text('C++ and .NET, not C+++x', rules), '[S][IY1][P][L][AH1][S][P][L][AH1][S] and [D][AA1][T][N][EH1][T], not [S][IY1][P][L][AH1][S][P][L][AH1][S]+x');
  });

  it('multi-word terms match across their spaces', () => {
    assert.equal(text('in New York today', [rule('new york', '[N][UW1] [Y][AO1][R][K]')]), 'in [N][UW1] [Y][AO1][R][K] today');
  });

  it('offsets stay right around astral characters', () => {
    const r = applyLexicon('😀 mynute 😀mynute', [rule('mynute', MYNUTE)], 'en');
    assert.equal(r.text, `😀 ${MYNUTE} 😀${MYNUTE}`);
    assert.deepEqual(r.applied.map((a) => a.position), [3, 12]);
  });
});

describe('applyLexicon: overlaps', () => {
  it('the longest match wins, wherever it starts', () => {
    const rules = [rule('New York', '[N][UW1] [Y][AO1][R][K]'), rule('York City', '[Y][AO1][R][K] [S][IH1][T][IY0]')];
    assert.equal(text('New York City', rules), 'New [Y][AO1][R][K] [S][IH1][T][IY0]');
  });

  it('equal lengths: the earliest wins', () => {
    const rules = [rule('ab cd', '[EY1]'), rule('cd ef', '[IY1]')];
    assert.equal(text('ab cd ef', rules), '[EY1] ef');
  });

  it('a shorter entry still applies where the longer one left text free', () => {
    const rules = [rule('ab', '[EY1][B][IY1]'), rule('abcd', '[AE1]', { wholeWord: false }), rule('cdefg', '[IY1]', { wholeWord: false })];
    assert.equal(text('ab cdefg abcd', rules), '[EY1][B][IY1] [IY1] [AE1]');
  });

  it('a longer entry beats a shorter one at the same start, regardless of entry order', () => {
    for (const rules of [
      [rule('new', '[N][UW1]'), rule('new york', '[N][UW1] [Y][AO1][R][K]')],
      [rule('new york', '[N][UW1] [Y][AO1][R][K]'), rule('new', '[N][UW1]')],
    ]) {
      assert.equal(text('new york, new jersey', rules), '[N][UW1] [Y][AO1][R][K], [N][UW1] jersey');
    }
  });
});

describe('applyLexicon: existing annotations are never touched', () => {
  it('a term that appears inside tokens, runs or markup is replaced only in plain text', () => {
    const rules = [
      rule('AY0', '[EY1]', { wholeWord: false }),
      rule('M', '[EH1][M]', { wholeWord: false, caseSensitive: true }),
      rule('strong', '[S][T][R][AO1][NG]'),
      rule('breath', '[B][R][EH1][TH]'),
      rule('endofprompt', '[EH1][N][D]'),
      rule('ǐ', '[ī]', { wholeWord: false }),
    ];
    const input = 'strong [M][AY0][N][UW1][T] <strong>breath</strong> [breath] <|endofprompt|> [j][ǐ] ǐ AY0';
    assert.equal(
      text(input, rules),
      '[S][T][R][AO1][NG] [M][AY0][N][UW1][T] <strong>[B][R][EH1][TH]</strong> [breath] <|endofprompt|> [j][ǐ] [ī] [EY1]',
    );
  });

  it('never glues a replacement to a bracket (it would fuse into the neighbouring run)', () => {
    const rules = [rule('foo', '[F][UW1]')];
    assert.equal(text('foo[breath] [1]foo [citation]foo foo', rules), 'foo[breath] [1]foo [citation]foo [F][UW1]');
  });
});

describe('applyLexicon: language scoping', () => {
  it('applies entries of the request language and entries without one', () => {
    const rules = [rule('GIF', '[JH][IH1][F]', { language: 'en' }), rule('GIF', '[G][IH1][F]', { language: 'de' }), rule('SQL', '[S][IY1][K][W][AH0][L]')];
    assert.equal(text('GIF SQL', rules, 'en'), '[JH][IH1][F] [S][IY1][K][W][AH0][L]');
    assert.equal(text('GIF SQL', rules, 'de'), '[G][IH1][F] [S][IY1][K][W][AH0][L]');
    assert.equal(text('GIF SQL', rules, 'fr'), 'GIF [S][IY1][K][W][AH0][L]');
  });

  it('a language entry beats a global one for the same text', () => {
    const rules = [rule('data', '[D][EY1][T][AH0]'), rule('data', '[D][AA1][T][AH0]', { language: 'en' })];
    assert.equal(text('data', rules, 'en'), '[D][AA1][T][AH0]');
    assert.equal(text('data', rules, 'de'), '[D][EY1][T][AH0]');
  });
});

describe('LexiconMatcher', () => {
  it('compiles once and matches 10 000 entries in one pass', () => {
    const rules = Array.from({ length: 10_000 }, (_, i) => rule(`word${i}`, '[W][ER1][D]'));
    const matcher = compileLexicon(rules, 'en');
    assert.equal(matcher.size, 10_000);
    const r = matcher.apply('say word42 and word9999 but not word10000 or aword1');
    assert.equal(r.text, 'say [W][ER1][D] and [W][ER1][D] but not word10000 or aword1');
    assert.deepEqual(r.applied.map((a) => a.term), ['word42', 'word9999']);
  });

  it('leaves text without matches identical', () => {
    const input = 'Nothing here [M][AY0] <strong>at all</strong>';
    const r = applyLexicon(input, [rule('zzz', '[Z]')], 'en');
    assert.equal(r.text, input);
    assert.deepEqual(r.applied, []);
  });
});

describe('LexiconMatcher: a limit on the rewritten text', () => {
  const long = '[IY1]'.repeat(60);
  const matcher = compileLexicon([rule('e', long, { wholeWord: false })], 'en');

  it('refuses a result over maxChars (code points) with text_too_long naming MAX_TEXT_CHARS', () => {
    assert.throws(
      () => matcher.apply('eeee', 1000),
      (err: unknown) =>
        err instanceof AppError &&
        err.code === 'text_too_long' &&
        err.status === 400 &&
        err.param === 'text' &&
        /^text is 1200 characters after the lexicon replaced 4 terms; this server accepts at most 1000 per request \(MAX_TEXT_CHARS\)/.test(err.message),
    );
  });

  it('allows a result of exactly maxChars, and counts an astral character as one', () => {
    assert.equal(matcher.apply('eee x', 902).text, `${long}${long}${long} x`);
    const astral = compileLexicon([rule('𠀀', '[y][ǔ]')], 'cmn');
    // 3 astral characters (6 UTF-16 units) + "ab": 6 × 3 + 2 = 20 code points.
    assert.equal(astral.apply('𠀀ab𠀀𠀀', 20).text, '[y][ǔ]ab[y][ǔ][y][ǔ]');
    assert.throws(() => astral.apply('𠀀ab𠀀𠀀', 19), (err: unknown) => err instanceof AppError && /20 characters/.test(err.message));
  });
});
