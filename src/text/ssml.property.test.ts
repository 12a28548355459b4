// Properties of SSML conversion over generated input (fast-check): plain text escaped into
// <speak> comes back as itself (whitespace collapsed), whichever way it is escaped; any mix of
// markup fragments either converts or is refused with invalid_ssml, never another error; and
// generated documents of every element, nested at random, never put a tag name into the text,
// always give text the token validator accepts, and stay within bounded size and pause.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { AppError } from '../errors/app-error.js';
import { validateAnnotations } from './annotations.js';
import { PART_SEPARATOR, SSML_LIMITS, ssmlToText, type SsmlText } from './ssml.js';
import { isXmlCodePoint } from './ssml-xml.js';

const OPTIONS = [
  { markup: true, engineName: 'cosyvoice3' },
  { markup: false, engineName: 'espeak' },
];


const xmlText = fc
  .string({ unit: fc.oneof(fc.constantFrom(' ', '\n', '\t', '&', '<', '>', '"', "'", '[M][AY0]', '[j][ǐ]', ']]>', '<strong>'), fc.string({ unit: 'binary', maxLength: 3 })), maxLength: 60 })
  // XML cannot carry some characters at all (not even as references): replaced.
  .map((s) => [...s].map((ch) => (isXmlCodePoint(ch.codePointAt(0) ?? 0) ? ch : 'x')).join(''));

/** Escapes each character one of the ways XML allows, chosen by `how`. */
function escapeXml(text: string, how: readonly number[]): string {
  let out = '';
  let k = 0;
  for (const ch of text) {
    const mode = how[k++ % Math.max(1, how.length)] ?? 0;
    const cp = ch.codePointAt(0) ?? 0;
    if (mode === 1) out += `&#${cp};`;
    else if (mode === 2) out += `&#x${cp.toString(16)};`;
    else if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += mode === 3 ? '&gt;' : '>';
    else if (ch === '"' && mode === 3) out += '&quot;';
    else if (ch === "'" && mode === 3) out += '&apos;';
    else out += ch;
  }
  // `]]>` must not appear literally in XML text.
  return out.replace(/]]>/g, ']]&gt;');
}

it('plain text escaped into <speak> comes back as itself, whitespace collapsed, and maps back to where it was written', () => {
  fc.assert(
    fc.property(xmlText, fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 8 }), fc.constantFrom(...OPTIONS), (text, how, options) => {
      const source = `<speak>${escapeXml(text, how)}</speak>`;
      const r = ssmlToText(source, options);
      assert.equal(r.text, text.replace(/[ \t\r\n]+/g, ' ').trim());
      assert.equal(r.parts.length, r.text === '' ? 0 : 1);
      assert.deepEqual(r.warnings, []);
      for (let i = 0; i < r.text.length; i++) {
        const at = r.sourceOffset(i);
        const ch = r.text[i] as string;
        if (ch === ' ') continue;
        assert.ok(source[at] === ch || source[at] === '&', `${JSON.stringify(ch)} at ${i} maps to ${at}: ${JSON.stringify(source.slice(at, at + 8))}`);
      }
    }),
    { numRuns: 400 },
  );
});

const fragment = fc.oneof(
  fc.constantFrom('<speak>', '<speak', '</speak>', '<', '>', '/>', '</', '=', '"', "'", ' ', '\n', 'a', 'word', '&', '&amp;', '&#x41;', '&#0;', '&foo;', '&#', ';'),
  fc.constantFrom('<!--', '-->', '<![CDATA[', ']]>', '<?', '?>', '<?xml version="1.0"?>', '<!DOCTYPE x>', '<!ENTITY e "x">', '<!'),
  fc.constantFrom('<p>', '</p>', '<s>', '</s>', '<break time="1s"/>', '<break time="', '<break strength="weak"/>', 'ms"/>', '<prosody rate="', 'x-fast">', '50%">', '</prosody>'),
  fc.constantFrom('<emphasis>', '</emphasis>', '<say-as interpret-as="characters">', '<say-as interpret-as="', '</say-as>', '<sub alias="', '<sub>', '</sub>'),
  fc.constantFrom('<phoneme alphabet="cmu" ph="M AY0">', '<phoneme alphabet="pinyin" ph="ji3">', '<phoneme alphabet="', '<phoneme ph="', '</phoneme>', 'M AY7', 'zh'),
  fc.constantFrom('<audio src="x">', '</audio>', '<mark name="m"/>', '<voice>', '</voice>', '<a:b>', '</a:b>', '<desc>', '</desc>', '[M][AY0]', '[UW7]', '<strong>', '</strong>'),
  fc.string({ maxLength: 4 }),
);

it('any mix of markup fragments converts or is refused with invalid_ssml, and nothing else', () => {
  fc.assert(
    fc.property(fc.boolean(), fc.array(fragment, { maxLength: 40 }), fc.constantFrom(...OPTIONS), (open, pieces, options) => {
      const source = (open ? '<speak>' : '') + pieces.join('');
      try {
        const r = ssmlToText(source, options);
        assertSane(r, source);
      } catch (err) {
        assert.ok(err instanceof AppError, `not an AppError: ${String(err)}`);
        assert.equal(err.code, 'invalid_ssml');
        assert.equal(err.param, 'text');
        assert.match(err.message, /^Invalid SSML at line \d+, column \d+ \(position \d+\): ./);
      }
    }),
    { numRuns: 1500 },
  );
});

// Generated well-formed documents: every element this module knows, some it does not, nested at random.
const word = fc.constantFrom('hello', 'world', 'minute', 'alpha', 'beta', '你好', 'zeta', '42', 'x');
const words = fc.array(word, { minLength: 1, maxLength: 4 }).map((w) => w.join(' '));
const textNode = fc.tuple(fc.constantFrom('', ' ', '\n  '), words, fc.constantFrom('', ' ', '. ', ', ', '\n')).map(([a, b, c]) => `${a}${b}${c}`);
const attrs = {
  break: fc.oneof(
    fc.constantFrom('100ms', '250ms', '1s', '1.5s', '0s', '12s', '45s').map((t) => ` time="${t}"`),
    fc.constantFrom('none', 'x-weak', 'weak', 'medium', 'strong', 'x-strong').map((s) => ` strength="${s}"`),
    fc.constant(''),
  ),
  prosody: fc.constantFrom(' rate="x-slow"', ' rate="slow"', ' rate="fast"', ' rate="x-fast"', ' rate="150%"', ' rate="+20%"', ' rate="0.8"', ' pitch="high"', ''),
  emphasis: fc.constantFrom('', ' level="strong"', ' level="reduced"', ' level="none"'),
  'say-as': fc.constantFrom('characters', 'spell-out', 'digits', 'cardinal', 'date', 'telephone').map((k) => ` interpret-as="${k}"`),
  sub: words.map((w) => ` alias="${w}"`),
  phoneme: fc.constantFrom(' alphabet="cmu" ph="M AY0 N UW1 T"', ' alphabet="x-cmu" ph="HH AH0 L OW1"', ' alphabet="pinyin" ph="ni3 hao3"', ' alphabet="x-pinyin" ph="jǐ"', ' alphabet="ipa" ph="həˈloʊ"'),
};
const transparent = ['p', 's', 'voice', 'lang', 'audio', 'desc', 'w', 'amazon:effect', 'mstts:express-as', 'metadata', 'speak'] as const;
const ELEMENT_NAMES = [...Object.keys(attrs), ...transparent, 'mark'];

const tree = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    textNode,
    fc.constant('<mark name="m"/>'),
    attrs.break.map((a) => `<break${a}/>`),
    fc.tuple(fc.constantFrom(...(Object.keys(attrs) as (keyof typeof attrs)[])), fc.array(tie('node'), { maxLength: 3 })).chain(([name, children]) =>
      attrs[name].map((a) => `<${name}${a}>${children.join('')}</${name}>`),
    ),
    fc.tuple(fc.constantFrom(...transparent), fc.array(tie('node'), { maxLength: 3 })).map(([name, children]) => `<${name}>${children.join('')}</${name}>`),
  ),
}));
const document = fc.array(tree.node, { maxLength: 6 }).map((nodes) => `<speak>${nodes.join('')}</speak>`);

/** What must hold for any conversion result. */
function assertSane(r: SsmlText, source: string): void {
  assert.equal(r.pauses.length, r.parts.length + 1);
  assert.equal(r.text, r.parts.map((p) => p.text).join(PART_SEPARATOR));
  let total = 0;
  for (const p of r.pauses) {
    if (p === null) continue;
    assert.ok(p > 0 && p <= SSML_LIMITS.maxTotalBreakMs, `pause ${p}`);
    total += p;
  }
  assert.ok(total <= SSML_LIMITS.maxTotalBreakMs, `pauses add up to ${total}`);
  for (const part of r.parts) {
    assert.ok(part.text.trim() !== '' && !part.text.includes(PART_SEPARATOR), JSON.stringify(part.text));
    assert.ok(part.rate > 0 && Number.isFinite(part.rate));
  }
  // Bounded: conversion at most doubles the text (say-as spelling is the largest growth).
  assert.ok(r.text.length <= 2 * source.length + 2, `${r.text.length} characters from ${source.length}`);
}

it('generated documents: no tag name reaches the text, the text validates, sizes and pauses stay bounded', () => {
  fc.assert(
    fc.property(document, fc.constantFrom(...OPTIONS), (source, options) => {
      const r = ssmlToText(source, options);
      assertSane(r, source);
      for (const part of r.parts) {
        // The only markup in the output is the <strong> pairs <emphasis> becomes, and only where the engine reads them.
        const rest = options.markup ? part.text.replace(/<\/?strong>/g, '') : part.text;
        assert.ok(!/[<>]/.test(rest), `markup left in ${JSON.stringify(part.text)}`);
        for (const name of ELEMENT_NAMES) assert.ok(!new RegExp(`</?${name.replace(/[.:-]/g, '\\$&')}[\\s/>]`).test(part.text), `<${name}> in ${JSON.stringify(part.text)}`);
        assert.deepEqual(validateAnnotations(part.text), [], part.text);
      }
      // Warnings name elements and attributes, one per code, all about the text.
      assert.equal(new Set(r.warnings.map((w) => w.code)).size, r.warnings.length);
      for (const w of r.warnings) assert.equal(w.param, 'text');
    }),
    { numRuns: 800 },
  );
});
