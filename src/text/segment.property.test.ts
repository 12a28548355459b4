// Properties of segmentation over generated text (fast-check): words, CJK, punctuation,
// paragraphs, CMU and pinyin tokens, tags and control tokens in any mix. Whatever the text:
// every segment fits (unless one token alone is longer than the limit), no token is cut, and
// nothing but whitespace is lost or reordered.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { scanAnnotations } from './annotations.js';
import { segmentSpans } from './segment.js';

const piece = fc.oneof(
  fc.constantFrom('Hello', 'world', 'minute', 'Mr.', 'e.g.', 'U.S.', '3.14', '2026-12-03', 'naïve', 'straße'),
  fc.constantFrom('你好', '欢迎使用', '語音合成', 'こんにちは', '안녕하세요', 'Привет'),
  fc.constantFrom('.', ',', '!', '?', '。', '，', '；', '…', ' - ', '"', '('),
  fc.constantFrom(' ', '  ', '\n', '\n\n', '\t'),
  fc.constantFrom('[M][AY0][N][UW1][T]', '[M][AY0]', '[j][ǐ]', '[n][ǐ][h][ǎo]', '[breath]', '[laughter]', '<strong>', '</strong>', '<|endofprompt|>', '<|en|>'),
  fc.string({ maxLength: 6 }),
);
const text = fc.array(piece, { maxLength: 120 }).map((parts) => parts.join(''));

it('every segment fits, no token is cut, and only whitespace is dropped', () => {
  fc.assert(
    fc.property(text, fc.integer({ min: 1, max: 200 }), fc.boolean(), (t, maxChars, pack) => {
      const tokens = scanAnnotations(t).tokens;
      const longest = Math.max(0, ...tokens.map((k) => k.end - k.start));
      const segments = segmentSpans(t, { maxChars, pack });
      let at = 0;
      for (const s of segments) {
        // In order, not overlapping, and what lies between two segments is whitespace only.
        assert.ok(s.start >= at, 'in order');
        assert.equal(t.slice(at, s.start).trim(), '', `dropped ${JSON.stringify(t.slice(at, s.start))}`);
        assert.equal(s.text, t.slice(s.start, s.end));
        at = s.end;
        // Within the limit, but for the documented exceptions: an unbreakable unit longer than the
        // limit (one token, or a pinyin initial with its final), or below 2 units a surrogate pair
        // or a letter with its accents.
        if (s.text.length > maxChars) {
          const tokensOnly = s.text.replace(/\[[^\]]*\]|<\|[^|]*\|>|<\/?strong>/g, '').trim() === '';
          assert.ok((tokensOnly && s.text.length <= 2 * longest) || s.text.length <= 4, `${s.text.length} > ${maxChars}: ${JSON.stringify(s.text)}`);
        }
        for (const k of tokens) {
          const inside = k.start < s.end && k.end > s.start;
          if (inside) assert.ok(k.start >= s.start && k.end <= s.end, `token ${k.text} cut by a segment edge`);
        }
      }
      assert.equal(t.slice(at).trim(), '', 'nothing lost at the end');
    }),
    { numRuns: 400, seed: 20261203 },
  );
});
