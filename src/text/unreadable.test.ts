// The unreadable-text detector and its two policies, against the engines' real declarations
// (espeak's measured limits, CosyVoice3's 9 languages).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ESPEAK_READABLE } from '../engines/espeak/readable.js';
import { COSYVOICE3_READABLE } from '../engines/remote/cosyvoice3.js';
import { LANGUAGE_CODES } from './language.js';
import { applyUnreadablePolicy, canRead, emojiName, isEmoji, nothingReadable, type UnreadablePolicy } from './unreadable.js';
import type { ReadableText } from '../engines/engine.js';

const espeak = (text: string, language: string, policy: UnreadablePolicy = 'skip') =>
  applyUnreadablePolicy(text, { policy, language, readable: ESPEAK_READABLE, engine: 'espeak' });
const cosyvoice = (text: string, language: string, policy: UnreadablePolicy = 'skip') =>
  applyUnreadablePolicy(text, { policy, language, readable: COSYVOICE3_READABLE, engine: 'cosyvoice' });
const clusters = (text: string) => [...new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(text)].map((s) => s.segment);

describe('isEmoji', () => {
  it('takes ZWJ sequences, flags, keycaps, skin tones and variation selectors as one emoji', () => {
    for (const e of ['😀', '👨‍👩‍👧', '👩🏽‍💻', '🇯🇵', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', '1️⃣', '#️⃣', '👍🏽', '❤️', '❤', '☺', '🏽', '🇦']) {
      assert.equal(clusters(e).length, 1, `${e} is one cluster`);
      assert.ok(isEmoji(e), e);
    }
  });

  it('leaves letters, digits, punctuation and word-like symbols alone', () => {
    for (const c of ['a', 'é', '漢', 'か', '1', '!', '‼', '©', '®', '™', '$', '€', '%', '♪', '★', '→']) assert.ok(!isEmoji(c), c);
  });
});

describe('canRead', () => {
  it('reads kanji in Chinese but not with espeak\'s Japanese or Korean voice; CosyVoice3 reads it in all three', () => {
    assert.ok(canRead('漢', 'cmn', ESPEAK_READABLE));
    assert.ok(canRead('漢', 'yue', ESPEAK_READABLE));
    assert.ok(!canRead('漢', 'ja', ESPEAK_READABLE));
    assert.ok(!canRead('漢', 'ko', ESPEAK_READABLE));
    assert.ok(!canRead('漢', 'en', ESPEAK_READABLE));
    for (const l of ['cmn', 'ja', 'ko', 'en']) assert.ok(canRead('漢', l, COSYVOICE3_READABLE), l);
  });

  it('follows each voice\'s scripts: kana, Cyrillic, Hangul, Thai', () => {
    assert.ok(canRead('か', 'ja', ESPEAK_READABLE));
    assert.ok(canRead('ー', 'ja', ESPEAK_READABLE), 'the long-vowel mark is of no script');
    assert.ok(!canRead('か', 'cmn', ESPEAK_READABLE));
    assert.ok(canRead('П', 'ru', ESPEAK_READABLE));
    assert.ok(!canRead('П', 'en', ESPEAK_READABLE));
    assert.ok(canRead('П', 'en', COSYVOICE3_READABLE));
    assert.ok(canRead('한', 'en', ESPEAK_READABLE), 'espeak switches to its Korean voice');
    assert.ok(!canRead('ส', 'en', ESPEAK_READABLE));
    assert.ok(!canRead('ส', 'cmn', COSYVOICE3_READABLE));
    assert.ok(!canRead('😀', 'en', COSYVOICE3_READABLE));
  });

  it('reads everything for an engine that declares nothing, or a language it has no entry for', () => {
    assert.ok(canRead('😀', 'en', undefined));
    assert.ok(canRead('ส', 'en', undefined));
    assert.ok(canRead('ส', 'th', ESPEAK_READABLE));
    assert.ok(!canRead('😀', 'th', ESPEAK_READABLE), 'emoji are unreadable in any language');
    const emojiEngine: ReadableText = { scripts: {}, emoji: true };
    assert.ok(canRead('😀', 'en', emojiEngine));
  });

  it('declares only real Unicode script names, for every language the engines speak', () => {
    for (const readable of [ESPEAK_READABLE, COSYVOICE3_READABLE]) {
      assert.deepEqual(Object.keys(readable.scripts).sort(), [...LANGUAGE_CODES].sort());
      for (const scripts of Object.values(readable.scripts)) {
        for (const s of scripts) assert.doesNotThrow(() => new RegExp(`\\p{Script_Extensions=${s}}`, 'u'), s);
      }
    }
  });
});

describe('skip', () => {
  it('removes emoji from English text, keeps word spacing, and says what it skipped', () => {
    const r = espeak('Hello 😀 world', 'en');
    assert.equal(r.text, 'Hello world');
    assert.equal(r.skippedCount, 1);
    assert.equal(r.warnings.length, 1);
    assert.equal(r.warnings[0]?.code, 'unreadable_skipped');
    assert.equal(r.warnings[0]?.param, 'text');
    assert.equal(
      r.warnings[0]?.message,
      'Skipped 1 character the espeak engine cannot read in en: 😀. Send "unreadable": "names" to hear emoji by their names.',
    );
  });

  it('puts back a space only where a removal would glue two words', () => {
    assert.equal(espeak('I❤️you', 'en').text, 'I you');
    assert.equal(espeak('Great 😀!', 'en').text, 'Great!');
    assert.equal(espeak('😀 Hello', 'en').text, 'Hello');
    assert.equal(espeak('Hello 😀', 'en').text, 'Hello');
    assert.equal(espeak('Hello 😀\n\nWorld', 'en').text, 'Hello\n\nWorld');
    assert.equal(espeak('a 😀 😀  b', 'en').text, 'a b');
    assert.equal(cosyvoice('我爱😀你', 'cmn').text, '我爱你');
  });

  it('counts a ZWJ family, a flag, a keycap and a toned thumb as one character each', () => {
    const r = espeak('Team 👨‍👩‍👧 from 🇯🇵 got 1️⃣ 👍🏽 ok', 'en');
    assert.equal(r.text, 'Team from got ok');
    assert.equal(r.skippedCount, 4);
    assert.match(r.warnings[0]?.message ?? '', /Skipped 4 characters .*: 👨‍👩‍👧, 🇯🇵, 1️⃣ 👍🏽\./u);
  });

  it('skips kanji for espeak\'s Japanese voice and keeps the kana, but not for CosyVoice3', () => {
    const r = espeak('日本語です', 'ja');
    assert.equal(r.text, 'です');
    assert.equal(r.warnings[0]?.message, 'Skipped 3 characters the espeak engine cannot read in ja: 日本語.');
    assert.equal(cosyvoice('日本語です', 'ja').text, '日本語です');
  });

  it('skips mixed scripts by the request language', () => {
    assert.equal(espeak('Привет, hello สวัสดี!', 'en').text, ', hello!');
    assert.equal(espeak('Привет, hello สวัสดี!', 'ru').text, 'Привет, hello!');
    assert.equal(espeak('我今天买了iPhone和かな', 'cmn').text, '我今天买了iPhone和');
  });

  it('leaves annotation tokens alone', () => {
    assert.equal(espeak('[breath] 😀 [M][AY0][N][UW1][T] <strong>漢字</strong>', 'ja').text, '[breath] [M][AY0][N][UW1][T] <strong></strong>');
  });

  it('returns readable text unchanged, with no warning', () => {
    for (const [t, l] of [['Hello, world! $5 © 2024 Acme™ ♪', 'en'], ['你好，世界', 'cmn'], ['ひらがなとカタカナ', 'ja'], ['Привет', 'ru'], ['안녕하세요', 'ko']] as const) {
      const r = espeak(t, l);
      assert.equal(r.text, t);
      assert.deepEqual(r.warnings, []);
    }
  });

  it('bounds the warning: distinct runs, a few at most, each cut short', () => {
    const long = 'ส'.repeat(40);
    const text = `${long} a 😀 b 😀 c 🇯🇵 d 🇫🇷 e 🇩🇪 f 🇮🇹 g 🇪🇸 h 🇬🇧`;
    const message = espeak(text, 'en').warnings[0]?.message ?? '';
    assert.match(message, /^Skipped 48 characters /);
    assert.ok(message.includes(`${'ส'.repeat(12)}…, 😀, 🇯🇵, 🇫🇷, 🇩🇪, 🇮🇹 …`), message);
    assert.ok(message.length < 200, `${message.length} characters`);
  });
});

describe('names', () => {
  it('speaks emoji by their CLDR names in the request language, spaced as words', () => {
    assert.equal(espeak('Hello 😀 world', 'en', 'names').text, 'Hello grinning face world');
    assert.equal(espeak('I❤️you', 'en', 'names').text, 'I red heart you');
    assert.equal(espeak('a😀😀b', 'en', 'names').text, 'a grinning face grinning face b');
    assert.equal(espeak('我❤️你', 'cmn', 'names').text, '我红心你');
    assert.equal(cosyvoice('Ich ❤️ dich', 'de', 'names').text, 'Ich rotes Herz dich');
    assert.equal(cosyvoice('日本🇯🇵', 'ja', 'names').text, '日本旗: 日本');
    const r = espeak('👨‍👩‍👧 🇯🇵 1️⃣ 👍🏽 🏴󠁧󠁢󠁳󠁣󠁴󠁿', 'en', 'names');
    assert.equal(r.text, 'family: man, woman, girl flag: Japan keycap: 1 thumbs up flag: Scotland');
    assert.equal(r.named, 5);
    assert.deepEqual(r.warnings, []);
  });

  it('falls back to the English name where the engine cannot read the local one, and still skips letters', () => {
    // espeak's ja voice reads no kanji, so 赤いハート would lose its 赤.
    const r = espeak('漢字です❤️', 'ja', 'names');
    assert.equal(r.text, 'です red heart');
    assert.equal(r.warnings[0]?.message, 'Skipped 2 characters the espeak engine cannot read in ja: 漢字.');
  });

  it('skips emoji it has no name for, with the warning', () => {
    const r = espeak('Hi 🇦 there', 'en', 'names');
    assert.equal(r.text, 'Hi there');
    assert.equal(r.skippedCount, 1);
  });
});

describe('emojiName', () => {
  it('ignores variation selectors and skin tones, and falls back to English', () => {
    assert.equal(emojiName('❤️', 'en'), 'red heart');
    assert.equal(emojiName('❤', 'ko'), '빨간색 하트');
    assert.equal(emojiName('👍🏿', 'fr'), 'pouce vers le haut');
    assert.equal(emojiName('😀', 'xx'), 'grinning face');
    assert.equal(emojiName('a', 'en'), undefined);
  });
});

describe('nothingReadable', () => {
  it('names what would be skipped, with the hint when emoji were skipped', () => {
    const r = espeak('😀 🎉', 'en');
    assert.equal(r.text, '');
    const err = nothingReadable(r, 'espeak', 'en');
    assert.equal(err.code, 'nothing_to_speak');
    assert.equal(err.message, 'The text holds nothing the espeak engine can read in en: it would skip 😀 🎉. Add the words to say. Send "unreadable": "names" to hear emoji by their names.');
  });
});
