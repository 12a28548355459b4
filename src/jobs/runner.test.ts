import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { characterShares } from './runner.js';

describe('characterShares', () => {
  it('splits a job\'s characters over its segments by length, whole numbers adding up exactly', () => {
    assert.deepEqual(characterShares(['abcd', 'ab', 'abcd'], 10), [4, 2, 4]);
    // The lexicon made the text longer than what was sent: shares still add up to what was sent.
    assert.deepEqual(characterShares(['[HH][AH0][L][OW1]', 'world'], 11), [9, 2]);
    assert.deepEqual(characterShares(['only'], 7), [7]);
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 0, maxLength: 40 }), { minLength: 1, maxLength: 60 }), fc.nat(100_000), (segments, total) => {
        const shares = characterShares(segments, total);
        assert.equal(shares.length, segments.length);
        assert.equal(shares.reduce((a, b) => a + b, 0), total);
        assert.ok(shares.every((s) => Number.isInteger(s) && s >= 0));
      }),
    );
  });
});
