// Properties of the annotation scanner over generated text (fast-check): prose, CJK, every kind
// of token (known and lookalikes), brackets that hold prose, stray `<`/`[`/`|`. Whatever the
// text: the spans tile it exactly, every token is what its offsets say, a known token is in
// CosyVoice3's inventory, text made only of known tokens and prose has no issue, and an
// unknown token is always reported at its own position.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { scanAnnotations, validateAnnotations } from './annotations.js';
import { CMU_TOKENS, CONTROL_TOKENS, MARKUP_TAGS, PARALINGUISTIC_TOKENS, PINYIN_TOKENS } from './tokens.js';

const cmu = fc.constantFrom(...[...CMU_TOKENS].slice(0, 60));
const pinyin = fc.constantFrom(...[...PINYIN_TOKENS].slice(0, 60));
const para = fc.constantFrom(...[...PARALINGUISTIC_TOKENS].filter((t) => t.startsWith('[')));
const prose = fc.constantFrom('Hello', ' ', 'world', '. ', '你好', '，', 'naïve', '\n', '3.14', 'e.g.', '"quoted"');
const known = fc.oneof(cmu, pinyin, para, fc.constantFrom('<|endofprompt|>', '<|en|>', '<|zh|>'));
// Things that look like tokens but are not, and prose brackets.
const noise = fc.oneof(
  fc.constantFrom('[XYZ9]', '[mynute]', '[breath', 'breath]', '[', ']', '<', '>', '<|', '|>', '<|nope|>', '<b>', '</strong', '[see page 4]', '[1]', '[ ]', '[[M]]'),
  fc.string({ maxLength: 5 }),
);
const anyText = fc.array(fc.oneof(prose, known, noise, fc.constantFrom(...MARKUP_TAGS)), { maxLength: 60 }).map((p) => p.join(''));
const cleanText = fc.array(fc.oneof(prose, known), { maxLength: 60 }).map((p) => p.join(' '));

it('spans tile the text, tokens are what their offsets say, known tokens are in the inventory', () => {
  const inventory = new Set([...CMU_TOKENS, ...PINYIN_TOKENS, ...PARALINGUISTIC_TOKENS, ...CONTROL_TOKENS, ...MARKUP_TAGS]);
  fc.assert(
    fc.property(anyText, (t) => {
      const scan = scanAnnotations(t);
      let at = 0;
      for (const s of scan.spans) {
        assert.equal(s.start, at, 'spans are contiguous');
        assert.ok(s.end > s.start, 'no empty span');
        at = s.end;
      }
      assert.equal(at, t.length, 'spans cover the text');
      for (const k of scan.tokens) {
        assert.equal(t.slice(k.start, k.end), k.text);
        if (k.known) assert.ok(inventory.has(k.text) || /^<\|(zh|en|jp|yue|ko)\|>$/.test(k.text), `known but not in the inventory: ${k.text}`);
      }
      for (const g of scan.groups) assert.ok(g.start < g.end && g.end <= t.length);
    }),
    { numRuns: 600 },
  );
});

it('prose with known tokens has no issue', () => {
  fc.assert(
    fc.property(cleanText, (t) => {
      assert.deepEqual(validateAnnotations(t), []);
    }),
    { numRuns: 400 },
  );
});

it('an unknown bracket token between spaces is reported at its own position', () => {
  // Only unmistakable tokens: a lowercase word in brackets standing alone (`[zzz]`, `[sic]`) is prose by design.
  const unknownToken = fc.constantFrom('[AY9]', '[XX1]', '[jǐǐ]', '[breth]', '[laugher]', '<|endofprmpt|>', '<|enn|>');
  fc.assert(
    fc.property(cleanText, unknownToken, cleanText, (a, bad, b) => {
      const t = `${a} ${bad} ${b}`;
      const issues = validateAnnotations(t);
      assert.ok(issues.some((i) => i.position === a.length + 1 && i.token === bad), `${JSON.stringify(t)}: ${JSON.stringify(issues)}`);
    }),
    { numRuns: 300 },
  );
});
