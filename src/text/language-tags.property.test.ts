// resolveLanguageTag is total and stable over arbitrary strings (fast-check).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LANGUAGE_CODES } from './language.js';
import { closestLanguage, resolveLanguageTag } from './language-tags.js';

it('never throws, answers a supported code or null, and a code resolves to itself', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.constantFrom('zh-CN', 'zh-HK', 'en-US', 'EN', 'cmn-Hans-CN', 'yue')), (tag) => {
      const code = resolveLanguageTag(tag);
      assert.ok(code === null || LANGUAGE_CODES.includes(code));
      if (code) assert.equal(resolveLanguageTag(code), code);
      assert.ok(LANGUAGE_CODES.includes(closestLanguage(tag)));
    }),
    { numRuns: 2000, seed: 20261203 },
  );
});
