import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pinyinRunToNumbered, toEspeakInput } from './input.js';

describe('toEspeakInput', () => {
  it('escapes SSML and breaks literal phoneme brackets in plain text', () => {
    const { pieces, warnings } = toEspeakInput('a < b & c > d [[note]]', 'en');
    assert.deepEqual(warnings, []);
    assert.equal(pieces.length, 1);
    assert.equal(pieces[0]?.input, 'a &lt; b &amp; c &gt; d [ [note] ]');
  });

  it('turns a CMU run in English text into inline phoneme input', () => {
    const { pieces } = toEspeakInput('Wait a [M][AY0][N][UW1][T] please', 'en');
    assert.equal(pieces.length, 1);
    assert.equal(pieces[0]?.language, 'en');
    assert.match(pieces[0]?.input ?? '', /^Wait a \[\[maIn'u:t\]\] please$/);
  });

  it('speaks a CMU run inside Mandarin text as a separate English piece', () => {
    const { pieces } = toEspeakInput('等一[M][AY0][N][UW1][T]好吗', 'cmn');
    assert.deepEqual(
      pieces.map((p) => [p.language, p.input.trim()]),
      [
        ['cmn', '等一'],
        ['en', "[[maIn'u:t]]"],
        ['cmn', '好吗'],
      ],
    );
  });

  it('turns pinyin runs into numbered-tone pinyin, neutral tone as 5 and ü as v', () => {
    assert.equal(pinyinRunToNumbered(['[n]', '[ǐ]', '[h]', '[ǎo]']), 'ni3hao3');
    assert.equal(pinyinRunToNumbered(['[l]', '[ǜ]']), 'lv4');
    assert.equal(pinyinRunToNumbered(['[m]', '[a]']), 'ma5');
    assert.equal(pinyinRunToNumbered(['[ài]']), 'ai4');
    const { pieces } = toEspeakInput('我爱[j][ǐ]器', 'cmn');
    assert.equal(pieces.length, 1);
    assert.equal(pieces[0]?.input, '我爱ji3器');
  });

  it('maps <strong> to emphasis and reports events and control tokens it cannot voice', () => {
    const { pieces, warnings } = toEspeakInput('I <strong>really</strong> [breath] mean it<|endofprompt|>', 'en');
    assert.equal(pieces.length, 1);
    assert.match(pieces[0]?.input ?? '', /<emphasis>really<\/emphasis>\s+<break time="250ms"\/>/);
    assert.doesNotMatch(pieces[0]?.input ?? '', /breath|endofprompt/);
    assert.deepEqual(
      warnings.map((w) => w.code),
      ['paralinguistic_ignored', 'control_token_ignored'],
    );
    assert.match(warnings[0]?.message ?? '', /\[breath\]/);
  });

  it('closes an emphasis the client left open', () => {
    const { pieces } = toEspeakInput('<strong>loud', 'en');
    assert.equal(pieces[0]?.input, '<emphasis>loud</emphasis>');
  });

  it('yields no pieces for text that is only events', () => {
    const { pieces, warnings } = toEspeakInput('[breath] [laughter]', 'en');
    assert.deepEqual(pieces, []);
    assert.equal(warnings.length, 1);
  });
});
