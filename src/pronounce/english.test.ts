import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dictionary } from 'cmu-pronouncing-dictionary';
import { CMU_TOKENS } from '../text/tokens.js';
import { arpabetToTokens, cmuReadings } from './english.js';

const tokensOf = async (word: string) => (await cmuReadings(word))?.map((r) => r.tokens);

describe('CMU dictionary readings', () => {
  it('returns every listed pronunciation of a word, main entry first', async () => {
    assert.deepEqual(await tokensOf('minute'), ['[M][IH1][N][AH0][T]', '[M][AY0][N][UW1][T]', '[M][AY0][N][Y][UW1][T]']);
    assert.deepEqual(await tokensOf('tomato'), ['[T][AH0][M][EY1][T][OW2]', '[T][AH0][M][AA1][T][OW2]']);
    assert.deepEqual(await tokensOf('read'), ['[R][EH1][D]', '[R][IY1][D]']);
    assert.deepEqual(await tokensOf('live'), ['[L][AY1][V]', '[L][IH1][V]']);
    assert.deepEqual(await tokensOf('hello'), ['[HH][AH0][L][OW1]', '[HH][EH0][L][OW1]']);
  });

  it('ignores case and curly apostrophes, and says when a word is unknown', async () => {
    assert.deepEqual(await tokensOf('MINUTE'), await tokensOf('minute'));
    assert.deepEqual(await tokensOf('don\u2019t'), await tokensOf("don't"));
    assert.deepEqual(await tokensOf("don't"), ['[D][OW1][N][T]', '[D][OW1][N]']);
    assert.equal(await cmuReadings('xyzzyq'), null);
    // Names on Object.prototype are looked up as words, never as the prototype's members.
    assert.deepEqual(await tokensOf('constructor'), ['[K][AH0][N][S][T][R][AH1][K][T][ER0]']);
    assert.equal(await cmuReadings('__proto__'), null);
  });

  it('converts ARPAbet to tokens, dropping the comments a few entries carry', () => {
    assert.equal(arpabetToTokens('M AY0 N UW1 T'), '[M][AY0][N][UW1][T]');
    assert.equal(arpabetToTokens('AO1 L B AO0 R G # place, danish'), '[AO1][L][B][AO0][R][G]');
    assert.equal(arpabetToTokens('M AY7'), null);
    assert.equal(arpabetToTokens('  '), null);
  });

  it('every pronunciation in the dictionary becomes valid CosyVoice3 CMU tokens', () => {
    let checked = 0;
    for (const raw of Object.values(dictionary)) {
      const tokens = arpabetToTokens(raw);
      assert.ok(tokens, raw);
      for (const t of tokens.match(/\[[^\]]+\]/g) ?? []) assert.ok(CMU_TOKENS.has(t), `${t} from ${raw}`);
      checked++;
    }
    assert.ok(checked > 130_000, String(checked));
  });
});
