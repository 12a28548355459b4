import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pinyin } from 'pinyin-pro';
import { PINYIN_TOKENS } from '../text/tokens.js';
import { hanReadings, pinyinToTokens } from './mandarin.js';

const readingsOf = async (ch: string) => (await hanReadings(ch))[0]?.pinyin.map((p) => pinyinToTokens(p));

describe('pinyin → CosyVoice3 tokens', () => {
  it('splits the initial (y and w included) from the toned final as the token list spells them', () => {
    const cases: Array<[string, string]> = [
      ['xíng', '[x][íng]'],
      ['háng', '[h][áng]'],
      ['zhòng', '[zh][òng]'],
      ['chóng', '[ch][óng]'],
      ['yǔ', '[y][ǔ]'],
      ['lǜ', '[l][ǜ]'],
      ['nǚ', '[n][ǚ]'],
      ['lüè', '[l][vè]'],
      ['nüè', '[n][vè]'],
      ['xué', '[x][ué]'],
      ['qù', '[q][ù]'],
      ['yuǎn', '[y][uǎn]'],
      ['wēng', '[w][ēng]'],
      ['yī', '[y][ī]'],
      ['shì', '[sh][ì]'],
      ['ér', '[ér]'],
      ['ài', '[ài]'],
      ['le', '[l][e]'],
      ['ma', '[m][a]'],
    ];
    for (const [syllable, tokens] of cases) assert.equal(pinyinToTokens(syllable), tokens, syllable);
  });

  it('gives null, not an approximation, for what the inventory cannot spell', () => {
    for (const s of ['ḿ', 'ńg', 'hng', 'ê̄', 'jie', 'xyz']) assert.equal(pinyinToTokens(s), null, s);
  });

  it('accepts decomposed tone marks', () => {
    assert.equal(pinyinToTokens('xi\u0301ng'), '[x][íng]');
  });
});

describe('Han readings', () => {
  it('returns every reading of a polyphonic character, context first', async () => {
    assert.deepEqual(await readingsOf('行'), ['[x][íng]', '[h][áng]', '[h][àng]', '[h][éng]']);
    assert.deepEqual(await readingsOf('重'), ['[zh][òng]', '[ch][óng]']);
    assert.deepEqual(await readingsOf('予'), ['[y][ǔ]', '[y][ú]']);
    assert.deepEqual(await readingsOf('绿'), ['[l][ǜ]', '[l][ù]']);
    const bank = await hanReadings('银行');
    assert.equal(bank[1]?.pinyin[0], 'háng');
    assert.ok(bank[1]?.pinyin.includes('xíng'));
  });

  it('one entry per character, astral characters included; unknown ones are empty', async () => {
    const r = await hanReadings('𠀀好');
    assert.equal(r.length, 2);
    assert.deepEqual(r[0]?.pinyin, []);
    assert.equal(r[1]?.pinyin[0], 'hǎo');
  });

  it('every reading of every CJK Unified Ideograph becomes inventory tokens, or is named as unspellable', () => {
    let readings = 0;
    const unspellable: string[] = [];
    for (let cp = 0x4e00; cp <= 0x9fff; cp++) {
      const ch = String.fromCodePoint(cp);
      for (const p of pinyin(ch, { multiple: true, type: 'array' })) {
        if (p === '' || p === ch) continue;
        readings++;
        const tokens = pinyinToTokens(p);
        if (!tokens) {
          unspellable.push(p);
          continue;
        }
        const parts = tokens.match(/\[[^\]]+\]/g) ?? [];
        for (const t of parts) assert.ok(PINYIN_TOKENS.has(t), `${t} for ${ch} ${p}`);
        // The tokens spell the syllable back (ü is written v in the one final that needs it).
        assert.equal(parts.map((t) => t.slice(1, -1)).join('').replace(/v/g, 'ü'), p.normalize('NFC'), `${ch} ${p}`);
      }
    }
    assert.ok(readings > 20_000, String(readings));
    // What the inventory lacks: syllabic nasals (ḿ, ńg, hng), ê, and a few neutral-tone finals.
    assert.ok(unspellable.length < 40, unspellable.join(' '));
    for (const p of unspellable) {
      const letters = p.normalize('NFD');
      const nasal = !/[aeiouü]/.test(letters.replace(/\u0308/g, ''));
      const eCircumflex = letters.includes('e\u0302');
      const neutral = !/[\u0300\u0301\u030C\u0304]/.test(letters);
      assert.ok(nasal || eCircumflex || neutral, `unexpectedly unspellable: ${p}`);
    }
  });
});
