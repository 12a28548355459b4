// Properties of the unreadable-text policy over generated text (fast-check): words in many
// scripts, emoji of every shape, punctuation, spaces and annotation tokens in any mix. Whatever
// the text, engine, language and policy: what comes out holds nothing the engine cannot read
// outside annotation tokens, keeps every token, and text the engine reads in full comes back as
// it went in, with no warning.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ESPEAK_READABLE } from '../engines/espeak/readable.js';
import { COSYVOICE3_READABLE } from '../engines/remote/cosyvoice3.js';
import { scanAnnotations } from './annotations.js';
import { LANGUAGE_CODES } from './language.js';
import { applyUnreadablePolicy, canRead } from './unreadable.js';

const engines = [
  ['espeak', ESPEAK_READABLE],
  ['cosyvoice', COSYVOICE3_READABLE],
] as const;

const words = fc.constantFrom('Hello', 'naïve', 'straße', '你好', '語音合成', 'こんにちは', 'カタカナ', '日本語', '안녕하세요', 'Привет', 'γεια', 'नमस्ते', 'สวัสดี', 'مرحبا', 'שלום', 'ㄅㄆㄇ', '3.14', '$5');
const emoji = fc.constantFrom('😀', '❤️', '❤', '👨‍👩‍👧', '👩🏽‍💻', '🇯🇵', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', '1️⃣', '#️⃣', '👍🏽', '🏽', '🇦', '☺', '‼️', '©', '™', '♪', '\uFE0F', '\u200D');
const other = fc.constantFrom(' ', '  ', '\n', '\n\n', '\t', '.', ',', '!', '?', '。', '，', '…', '(', ')');
const tokens = fc.constantFrom('[M][AY0][N][UW1][T]', '[j][ǐ]', '[breath]', '<strong>', '</strong>', '<|endofprompt|>');
const piece = fc.oneof(words, emoji, other, tokens, fc.string({ maxLength: 4, unit: 'grapheme' }));
const text = fc.array(piece, { maxLength: 40 }).map((parts) => parts.join(''));

const textOutsideTokens = (t: string): string => scanAnnotations(t).spans.map((s) => (s.type === 'text' ? s.text : ' ')).join('');
const clusters = (t: string): string[] => [...new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(t)].map((s) => s.segment);
const tokenTexts = (t: string): string[] => scanAnnotations(t).tokens.map((k) => k.text);

it('leaves nothing the engine cannot read in the language, and keeps every annotation token', () => {
  fc.assert(
    fc.property(text, fc.constantFrom(...engines), fc.constantFrom(...LANGUAGE_CODES), fc.constantFrom('skip', 'names'), (t, [engine, readable], language, policy) => {
      const r = applyUnreadablePolicy(t, { policy, language, readable, engine });
      for (const c of clusters(textOutsideTokens(r.text))) assert.ok(canRead(c, language, readable), `${JSON.stringify(c)} left in ${JSON.stringify(r.text)}`);
      assert.deepEqual(tokenTexts(r.text), tokenTexts(t));
      assert.equal(r.warnings.length, r.skippedCount > 0 ? 1 : 0);
    }),
    { numRuns: 400 },
  );
});

it('returns text the engine reads in full unchanged, with no warning', () => {
  fc.assert(
    fc.property(text, fc.constantFrom(...engines), fc.constantFrom(...LANGUAGE_CODES), fc.constantFrom('skip', 'names'), (t, [engine, readable], language, policy) => {
      // Keep only what this engine reads in this language: the rest of the generated text.
      const readableText = clusters(t).filter((c) => canRead(c, language, readable)).join('');
      const r = applyUnreadablePolicy(readableText, { policy, language, readable, engine });
      if (clusters(textOutsideTokens(readableText)).every((c) => canRead(c, language, readable))) {
        assert.equal(r.text, readableText);
        assert.deepEqual(r.warnings, []);
        assert.equal(r.skippedCount, 0);
      }
    }),
    { numRuns: 400 },
  );
});
