import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../errors/app-error.js';
import { isDuplicate, validateEntryInput, validatePronunciation, type LexiconEntry } from './entry.js';

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AppError, String(err));
    return err;
  }
  assert.fail('expected a refusal');
}

describe('validatePronunciation', () => {
  it('accepts a CMU run, pinyin syllables, and several runs separated by spaces', () => {
    assert.deepEqual(validatePronunciation('[M][AY0][N][UW1][T]'), { pronunciation: '[M][AY0][N][UW1][T]', kind: 'cmu' });
    assert.deepEqual(validatePronunciation('[n][ǐ][h][ǎo]'), { pronunciation: '[n][ǐ][h][ǎo]', kind: 'pinyin' });
    assert.deepEqual(validatePronunciation('  [N][UW1]   [Y][AO1][R][K] '), { pronunciation: '[N][UW1] [Y][AO1][R][K]', kind: 'cmu' });
    // A bare final is a syllable (儿 ér); so is a final after an initial.
    assert.equal(validatePronunciation('[ér]').kind, 'pinyin');
  });

  it('normalizes decomposed tone marks to the NFC spelling the token list uses', () => {
    const decomposed = '[j][i\u030C]';
    assert.deepEqual(validatePronunciation(decomposed), { pronunciation: '[j][ǐ]', kind: 'pinyin' });
  });

  it('names an unknown token, its position and the nearest valid token', () => {
    const err = refusal(() => validatePronunciation('[M][AY7][N]'));
    assert.equal(err.code, 'invalid_token');
    assert.equal(err.param, 'pronunciation');
    assert.match(err.message, /\[AY7\] at position 3/);
    assert.match(err.message, /Did you mean \[AY0\]\?/);
  });

  it('refuses a mix of CMU and pinyin tokens, naming both', () => {
    const err = refusal(() => validatePronunciation('[M][AY0] [j][ǐ]'));
    assert.equal(err.code, 'invalid_pronunciation');
    assert.match(err.message, /\[M\] at position 0, \[j\] at position 9/);
  });

  it('refuses plain text, other token kinds and a pinyin initial without a final', () => {
    for (const [input, pattern] of [
      ['mynute', /"mynute" at position 0 is not a token/],
      ['[M][AY0]-[N]', /"-" at position 8/],
      ['[M][AY0][breath]', /\[breath\] at position 8 is a paralinguistic token/],
      ['<strong>[M]</strong>', /<strong> at position 0 is a markup token/],
      ['[j]', /initial \[j\] at position 0 must be followed by a final/],
      ['[zh][j][ǐ]', /initial \[zh\] at position 0/],
    ] as const) {
      const err = refusal(() => validatePronunciation(input));
      assert.equal(err.code, 'invalid_pronunciation', input);
      assert.match(err.message, pattern, input);
    }
  });
});

describe('validateEntryInput', () => {
  it('trims the term and applies the defaults', () => {
    assert.deepEqual(validateEntryInput({ term: '  Mynute ', pronunciation: '[M][AY0][N][UW1][T]' }), {
      term: 'Mynute',
      pronunciation: '[M][AY0][N][UW1][T]',
      kind: 'cmu',
      language: null,
      caseSensitive: false,
      wholeWord: true,
    });
  });

  it('refuses terms that are blank, too long, multi-line or hold annotation tokens', () => {
    const p = '[M][AY0]';
    assert.equal(refusal(() => validateEntryInput({ term: '   ', pronunciation: p })).param, 'term');
    assert.match(refusal(() => validateEntryInput({ term: 'x'.repeat(101), pronunciation: p })).message, /101 characters; at most 100/);
    // 100 astral characters are 200 UTF-16 units but 100 characters: allowed.
    assert.equal(validateEntryInput({ term: '𠀀'.repeat(100), pronunciation: p }).term.length, 200);
    assert.match(refusal(() => validateEntryInput({ term: 'a\nb', pronunciation: p })).message, /line breaks/);
    assert.match(refusal(() => validateEntryInput({ term: 'say [M][AY0]', pronunciation: p })).message, /\[M\] at position 4/);
  });

  it('limits the pronunciation to 300 characters', () => {
    const ok = '[M]'.repeat(100);
    assert.equal(validatePronunciation(ok).pronunciation, ok);
    const err = refusal(() => validatePronunciation(`${ok}[T]`));
    assert.equal(err.code, 'invalid_value');
    assert.match(err.message, /303 characters; at most 300/);
  });
});

describe('isDuplicate', () => {
  const base: LexiconEntry = {
    id: 'a',
    owner: 'default',
    term: 'Nginx',
    pronunciation: '[EH1][N][JH][IH0][N][EH1][K][S]',
    language: null,
    caseSensitive: false,
    wholeWord: true,
    createdAt: '',
    updatedAt: '',
  };

  it('compares terms ignoring case unless both entries are case-sensitive', () => {
    assert.equal(isDuplicate(base, { ...base, term: 'NGINX' }), true);
    assert.equal(isDuplicate({ ...base, caseSensitive: true }, { ...base, term: 'NGINX', caseSensitive: true }), false);
    assert.equal(isDuplicate({ ...base, caseSensitive: true }, { ...base, caseSensitive: true }), true);
    // A case-sensitive entry may sit beside a case-insensitive one: the exact one wins where both match.
    assert.equal(isDuplicate(base, { ...base, caseSensitive: true }), false);
  });

  it('scopes by language and owner', () => {
    assert.equal(isDuplicate(base, { ...base, language: 'en' }), false);
    assert.equal(isDuplicate({ ...base, language: 'en' }, { ...base, language: 'en' }), true);
    assert.equal(isDuplicate(base, { ...base, owner: 'key-2' }), false);
  });
});
