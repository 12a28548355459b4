import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasSpeakableContent } from './speakable.js';

describe('hasSpeakableContent', () => {
  it('counts letters, digits and symbols outside tokens, and CMU or pinyin tokens', () => {
    for (const text of ['Hello', '42', '$', '[breath] 你好', '[M][AY0]', '[n][ǐ]', '<strong>x</strong>', '[1]']) {
      assert.equal(hasSpeakableContent(text, []), true, text);
    }
  });

  it('does not count punctuation, spaces, control tokens, markup tags or events the engine cannot voice', () => {
    for (const text of ['[breath]'.repeat(600), '... !?', '<|endofprompt|>', '<strong></strong>', '[laughter]\n\n[sigh]。', '\u200b']) {
      assert.equal(hasSpeakableContent(text, []), false, text);
    }
  });

  it('counts sound events for an engine that voices them', () => {
    assert.equal(hasSpeakableContent('[breath]', ['paralinguistic']), true);
    assert.equal(hasSpeakableContent('<|endofprompt|> <strong></strong>', ['paralinguistic', 'control', 'markup']), false);
  });
});
