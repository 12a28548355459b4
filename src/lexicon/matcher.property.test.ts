// Properties of the lexicon over generated text and entries (fast-check). Whatever the text:
// putting each applied entry's matched text back gives the input byte for byte (nothing outside
// a match changes), no token the client wrote is touched, a valid input stays valid, and a
// length limit is either kept or refused with text_too_long before the text is built.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AppError } from '../errors/app-error.js';
import { scanAnnotations, validateAnnotations } from '../text/annotations.js';
import { compileLexicon, type LexiconRule } from './matcher.js';

const terms = ['mynute', 'US', 'cat', 'a', 'Dr.', '行', '重庆', 'naïve', 'AY0', 'breath', 'e.g.'];
const pronunciations = ['[M][AY0][N][UW1][T]', '[Y][UW1][EH1][S]', '[K][AE1][T]', '[AH0]', '[D][AA1][K][T][ER0]', '[x][íng]', '[ch][óng][q][ìng]', '[n][AY0][IY1][V]'];
const rule = fc.record({
  term: fc.constantFrom(...terms),
  pronunciation: fc.constantFrom(...pronunciations),
  caseSensitive: fc.boolean(),
  wholeWord: fc.boolean(),
  language: fc.constantFrom(null, 'en', 'cmn'),
});
const rules = fc.array(rule, { maxLength: 8 }).map((rs) =>
  rs.map((r, i): LexiconRule => ({ ...r, id: `r${i}`, updatedAt: `2026-01-01T00:00:0${i % 10}.000Z` })),
);
const piece = fc.oneof(
  fc.constantFrom(...terms, ...terms.map((t) => t.toUpperCase())),
  fc.constantFrom(' ', ', ', '. ', '\n', 'cats', 'concatenate', 'minute', '银行', '行不行', '[M][AY0]', '[breath]', '<strong>', '</strong>', '<|en|>', '[x][íng]', 'e.g.'),
  fc.string({ maxLength: 4 }),
);
const text = fc.array(piece, { maxLength: 50 }).map((p) => p.join(''));
const tokenTexts = (t: string) => scanAnnotations(t).tokens.map((k) => k.text);

it('only matches change: undoing each replacement gives the input back', () => {
  fc.assert(
    fc.property(text, rules, fc.constantFrom('en', 'cmn', undefined), (t, rs, language) => {
      const { text: out, applied } = compileLexicon(rs, language).apply(t);
      let rebuilt = '';
      let outAt = 0;
      let inAt = 0;
      for (const a of applied) {
        assert.ok(a.position >= inAt, 'applied in order, not overlapping');
        const keep = a.position - inAt;
        rebuilt += out.slice(outAt, outAt + keep);
        outAt += keep;
        assert.equal(out.slice(outAt, outAt + a.pronunciation.length), a.pronunciation);
        assert.equal(t.slice(a.position, a.position + a.matched.length), a.matched);
        rebuilt += a.matched;
        outAt += a.pronunciation.length;
        inAt = a.position + a.matched.length;
      }
      rebuilt += out.slice(outAt);
      assert.equal(rebuilt, t);
      for (const a of applied) {
        const r = rs.find((x) => x.id === a.id);
        assert.ok(r && (r.language === null || r.language === language), 'only entries of the request language apply');
      }
    }),
    { numRuns: 500 },
  );
});

it('client tokens stay, and a valid input stays valid', () => {
  fc.assert(
    fc.property(text, rules, (t, rs) => {
      const out = compileLexicon(rs, 'en').apply(t).text;
      const before = tokenTexts(t);
      const after = tokenTexts(out);
      for (const tok of new Set(before)) {
        assert.ok(after.filter((x) => x === tok).length >= before.filter((x) => x === tok).length, `token ${tok} lost`);
      }
      if (validateAnnotations(t).length === 0) assert.deepEqual(validateAnnotations(out), [], `${JSON.stringify(t)} -> ${JSON.stringify(out)}`);
    }),
    { numRuns: 500 },
  );
});

it('a length limit is kept or refused with text_too_long, never exceeded', () => {
  fc.assert(
    fc.property(text, rules, fc.integer({ min: 1, max: 300 }), (t, rs, limit) => {
      try {
        const out = compileLexicon(rs, 'en').apply(t, limit).text;
        if (out !== t) assert.ok([...out].length <= limit, `${[...out].length} > ${limit}`);
      } catch (err) {
        assert.ok(err instanceof AppError && err.code === 'text_too_long', String(err));
      }
    }),
    { numRuns: 500 },
  );
});
