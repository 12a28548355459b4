import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LANGUAGES, LANGUAGE_CODES, detectLanguage, isLanguageCode, type LanguageCode } from './language.js';

function expectAll(cases: ReadonlyArray<[string, LanguageCode]>): void {
  for (const [text, lang] of cases) assert.equal(detectLanguage(text), lang, JSON.stringify(text));
}

describe('LANGUAGES', () => {
  it('lists every code once with a display name', () => {
    assert.deepEqual(
      LANGUAGES.map((l) => l.code),
      ['en', 'cmn', 'yue', 'ja', 'ko', 'de', 'es', 'fr', 'it', 'ru'],
    );
    for (const l of LANGUAGES) assert.ok(l.name.length > 2);
    assert.deepEqual(LANGUAGE_CODES, LANGUAGES.map((l) => l.code));
    assert.equal(isLanguageCode('yue'), true);
    assert.equal(isLanguageCode('zh'), false);
  });
});

describe('detectLanguage', () => {
  it('decides CJK and Cyrillic by script', () => {
    expectAll([
      ['你好，今天天气很好。', 'cmn'],
      ['東京', 'cmn'],
      ['今日は良い天気ですね。', 'ja'],
      ['カタカナ', 'ja'],
      ['안녕하세요, 반갑습니다.', 'ko'],
      ['Привет, как дела?', 'ru'],
    ]);
  });

  it('tells Cantonese from Mandarin by Cantonese-only characters', () => {
    expectAll([
      ['佢今日唔喺度。', 'yue'],
      ['我哋去咗邊度？', 'yue'],
      ['你食咗飯未呀？', 'yue'],
      ['呢個係我嘅。', 'yue'],
      // 係 in 關係/关系 is Mandarin; a lone weak marker is not enough.
      ['我们的关系很好。', 'cmn'],
      ['我們的關係很好。', 'cmn'],
      ['他俾使大家安心。', 'cmn'],
    ]);
  });

  it('does not let a stray kana flip Chinese to Japanese', () => {
    expectAll([['这是我の朋友送的礼物', 'cmn']]);
  });

  it('scores Latin-script languages by stopwords and diacritics', () => {
    expectAll([
      ['Hello, how are you today?', 'en'],
      ['The cat sat on the mat', 'en'],
      ['Guten Morgen, wie geht es dir?', 'de'],
      ['Straße', 'de'],
      ['Das ist gut', 'de'],
      ['¿Dónde está el baño?', 'es'],
      ['La casa es muy bonita', 'es'],
      ['Bonjour, je suis très content de vous voir.', 'fr'],
      ["C'est la vie", 'fr'],
      ['Ça va bien', 'fr'],
      ['Ciao, come stai? Sono molto felice.', 'it'],
      ['Il gatto è sul tavolo.', 'it'],
    ]);
  });

  it('defaults to English when there is no evidence', () => {
    expectAll([
      ['', 'en'],
      ['12345 !!!', 'en'],
      ['Xyzzy', 'en'],
    ]);
  });

  it('weighs mixed CJK and Latin text by syllables, with Han winning over a few Latin words', () => {
    expectAll([
      ['我今天买了一个iPhone手机', 'cmn'],
      ['我用Microsoft Office写报告', 'cmn'],
      ['I really like eating 寿司 at night', 'en'],
      ['这个 API 的 response time 太长了', 'cmn'],
    ]);
  });

  it('ignores annotation tokens, falling back to them only when nothing else is there', () => {
    expectAll([
      ['请读[M][AY0][N][UW1][T]', 'cmn'],
      ['Bonjour [M][AY0][N][UW1][T] je suis là', 'fr'],
      ['<strong>你好</strong>[breath]', 'cmn'],
      ['[M][AY0][N][UW1][T]', 'en'],
      ['[n][ǐ][h][ǎo]', 'cmn'],
    ]);
  });
});
