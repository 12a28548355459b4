// SSML → CosyVoice3 text: the strict XML reader's refusals (each a 400 invalid_ssml naming the
// position), and what each element becomes: honoured, mapped to tokens, or removed with a
// warning naming it. No tag name ever reaches the text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../errors/app-error.js';
import { validateAnnotations } from './annotations.js';
import {
  PART_SEPARATOR,
  SSML_LIMITS,
  digitByDigit,
  isSsml,
  numberedPinyinToMarked,
  parseDuration,
  parseRate,
  spellOut,
  ssmlToText,
  type SsmlText,
} from './ssml.js';

const COSYVOICE = { markup: true, engineName: 'cosyvoice3' };
const ESPEAK = { markup: false, engineName: 'espeak' };

const convert = (ssml: string, options = COSYVOICE): SsmlText => ssmlToText(ssml, options);
const parts = (ssml: string, options = COSYVOICE): string[] => convert(ssml, options).parts.map((p) => p.text);
const codes = (r: SsmlText): string[] => r.warnings.map((w) => w.code);

/** The invalid_ssml error `ssml` raises; its message must name the line, column and position. */
function refusal(ssml: string): string {
  try {
    ssmlToText(ssml, COSYVOICE);
  } catch (err) {
    assert.ok(err instanceof AppError, `an AppError, got ${String(err)}`);
    assert.equal(err.code, 'invalid_ssml');
    assert.equal(err.status, 400);
    assert.equal(err.param, 'text');
    assert.match(err.message, /^Invalid SSML at line \d+, column \d+ \(position \d+\): /);
    return err.message;
  }
  assert.fail(`no error for ${ssml}`);
}

describe('isSsml', () => {
  it('is SSML when the text opens with <speak (after a BOM and whitespace) or an XML declaration', () => {
    for (const t of ['<speak>hi</speak>', '  \n<speak version="1.1">hi</speak>', '\ufeff<speak>hi</speak>', '<speak/>', '<?xml version="1.0"?><speak>hi</speak>']) {
      assert.equal(isSsml(t), true, t);
    }
  });

  it('plain text that merely holds tags, or a word starting with speak, is not SSML', () => {
    for (const t of ['Hello <speak>x</speak>', '<speaker>Bob</speaker>', '<strong>hi</strong>', 'speak up', '<Speak>hi</Speak>', '']) {
      assert.equal(isSsml(t), false, t);
    }
  });
});

describe('the XML reader refuses malformed SSML with invalid_ssml', () => {
  it('refuses a DOCTYPE, so no entity can be declared, expanded or fetched', () => {
    const xxe = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><speak>&e;</speak>';
    assert.match(refusal(xxe), /position 21\): a DOCTYPE is not accepted/);
    const laughs = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><speak>&lol2;</speak>';
    assert.match(refusal(laughs), /DOCTYPE is not accepted/);
    assert.match(refusal('<speak><!DOCTYPE x>hi</speak>'), /DOCTYPE is not accepted/);
  });

  it('expands only the five XML entities and numeric references', () => {
    assert.deepEqual(parts('<speak>a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#65;&#x42;&#x1F600;</speak>'), ['a & b <c> "d" \'e\' AB😀']);
    assert.match(refusal('<speak>caf&eacute;</speak>'), /column 11 \(position 10\): unknown entity "&eacute;": only &amp; &lt; &gt; &quot; &apos; and numeric references/);
    assert.match(refusal('<speak>a & b</speak>'), /"&" must start a reference/);
    assert.match(refusal('<speak>&#0;</speak>'), /"&#0;" is not a character XML allows/);
    assert.match(refusal('<speak>&#xD800;</speak>'), /not a character XML allows/);
    assert.match(refusal('<speak>&#99999999999;</speak>'), /not a character XML allows/);
  });

  it('names where and what for structure errors', () => {
    assert.match(refusal('<speak><p>Hello</speak>'), /line 1, column 16 \(position 15\): <\/speak> does not close <p> \(opened at line 1, column 8 \(position 7\)\)/);
    assert.match(refusal('<speak>\n  <p>Hello'), /line 2, column 3 \(position 10\): <p> is never closed/);
    assert.match(refusal('<speak>Hello</speak> trailing'), /only one root element is allowed/);
    assert.match(refusal('<speak>a</speak><speak>b</speak>'), /only one root element is allowed/);
    assert.match(refusal('<speak a="1" a="2">x</speak>'), /has the attribute a twice/);
    assert.match(refusal('<speak a=1>x</speak>'), /must be in quotes/);
    assert.match(refusal('<speak a="1"b="2">x</speak>'), /expected whitespace/);
    assert.match(refusal('<speak a="<">x</speak>'), /"<" is not allowed in the value of a/);
    assert.match(refusal('<speak>a ]]> b</speak>'), /"]]>" is not allowed in text/);
    assert.match(refusal('<speak><!-- a -- b --></speak>'), /"--" is not allowed inside a comment/);
    assert.match(refusal('<speak><!-- never closed</speak>'), /never closed with "-->"/);
    assert.match(refusal('<speak><?xml version="1.0"?></speak>'), /may only open the text/);
    assert.match(refusal('<speak>< p>x</speak>'), /expected an element name after "<"/);
    assert.match(refusal('<speak'), /expected whitespace, ">" or "\/>"|never closed/);
    assert.match(refusal('<?xml version="1.0"?>hello'), /expected the root element <speak>/);
    assert.match(refusal('<?xml version="1.0"?><root>hi</root>'), /the root element must be <speak>, not <root>/);
  });

  it('refuses characters XML does not allow, naming the code point', () => {
    assert.match(refusal('<speak>a\u0001b</speak>'), /position 8\): the character U\+0001 is not allowed in XML/);
    assert.match(refusal(`<speak>a${PART_SEPARATOR}b</speak>`), /U\+001E is not allowed/);
    assert.match(refusal('<speak>\uFFFF</speak>'), /U\+FFFF/);
  });

  it('bounds nesting depth and element count', () => {
    const deep = (n: number) => `<speak>${'<s>'.repeat(n - 1)}x${'</s>'.repeat(n - 1)}</speak>`;
    assert.deepEqual(parts(deep(SSML_LIMITS.maxDepth)), ['x.']);
    assert.match(refusal(deep(SSML_LIMITS.maxDepth + 1)), new RegExp(`elements nested more than ${SSML_LIMITS.maxDepth} deep`));
    // 100,000 levels: refused at the limit, without recursion on the input's structure.
    assert.match(refusal(`<speak>${'<s>'.repeat(100_000)}`), /nested more than/);
    const many = (n: number) => `<speak>${'<mark/>'.repeat(n - 1)}x</speak>`;
    assert.deepEqual(parts(many(SSML_LIMITS.maxElements)), ['x']);
    assert.match(refusal(many(SSML_LIMITS.maxElements + 1)), new RegExp(`more than ${SSML_LIMITS.maxElements} elements`));
  });

  it('accepts what well-formed XML may hold: a declaration, comments, processing instructions, CDATA, either quotes', () => {
    const doc = `<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment -->
<speak version='1.1' xmlns="http://www.w3.org/2001/10/synthesis"><?foo bar?>Hello <![CDATA[<world> & co]]><!-- skip --></speak>
<!-- after -->`;
    const r = convert(doc);
    assert.deepEqual(r.parts.map((p) => p.text), ['Hello <world> & co']);
    assert.deepEqual(r.warnings, []);
  });
});

describe('SSML elements', () => {
  it('plain text in <speak> comes through, whitespace collapsed (markup line breaks are not paragraphs)', () => {
    assert.deepEqual(parts('<speak>\n  Hello,\n\t  world.  \n</speak>'), ['Hello, world.']);
    assert.deepEqual(parts('<speak>Tokens [M][AY0][N][UW1][T] and [j][ǐ] stay.</speak>'), ['Tokens [M][AY0][N][UW1][T] and [j][ǐ] stay.']);
  });

  it('<break> ends a part and sets the pause after it: time, strength, the default, the caps', () => {
    const r = convert('<speak>One <break time="500ms"/> two <break time="1.5s"/> three <break strength="x-strong"/> four <break/> five</speak>');
    assert.deepEqual(r.parts.map((p) => p.text), ['One', 'two', 'three', 'four', 'five']);
    assert.deepEqual(r.pauses, [null, 500, 1500, 1200, 400, null]);
    // strength="none" and 0ms are no break at all: the text stays one part.
    assert.deepEqual(convert('<speak>One <break strength="none"/> two <break time="0ms"/> three</speak>').parts.map((p) => p.text), ['One two three']);
    // Leading and trailing breaks, and breaks with no words between them, add up.
    const edges = convert('<speak><break time="1s"/>Hi<break time="2s"/><break time="250ms"/>there<break time="3s"/></speak>');
    assert.deepEqual(edges.pauses, [1000, 2250, 3000]);
    const capped = convert(`<speak>a<break time="30s"/>b${'<break time="10s"/>c'.repeat(7)}</speak>`);
    // 60 s in all: the last two breaks are gone, and their words join the part before them.
    assert.deepEqual(capped.parts.map((p) => p.text), ['a', 'b', 'c', 'c', 'c', 'c', 'c c c']);
    assert.deepEqual(capped.pauses, [null, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000, null]);
    assert.deepEqual(codes(capped), ['ssml_break_capped']);
    assert.match(capped.warnings[0]?.message ?? '', /30s to 10s, 10s to 0s/);
    assert.match(refusal('<speak>a<break time="soon"/>b</speak>'), /position 15\): <break time="soon"> is not a duration such as 500ms or 1\.5s/);
    assert.match(refusal('<speak>a<break strength="huge"/>b</speak>'), /<break strength="huge"> is not one of none, x-weak/);
  });

  it('<prosody rate> gives its text a rate of its own (a part of its own); other prosody attributes warn', () => {
    const r = convert('<speak>Normal <prosody rate="slow">slow <prosody rate="200%">and double</prosody></prosody> back <prosody rate="1.2" pitch="high" volume="loud">faster</prosody></speak>');
    assert.deepEqual(r.parts.map((p) => [p.text, p.rate]), [['Normal', 1], ['slow', 0.75], ['and double', 1.5], ['back', 1], ['faster', 1.2]]);
    assert.deepEqual(r.pauses, [null, null, null, null, null, null]);
    assert.deepEqual(codes(r), ['ssml_attribute_ignored']);
    assert.match(r.warnings[0]?.message ?? '', /prosody pitch, prosody volume/);
    assert.match(refusal('<speak><prosody rate="warp">x</prosody></speak>'), /<prosody rate="warp"> is not a rate/);
    assert.match(refusal('<speak><prosody rate="-100%">x</prosody></speak>'), /is not a rate/);
  });

  it('<say-as>: characters and digits are spelled out, numbers read as they are, other kinds warn', () => {
    assert.deepEqual(parts('<speak>Code <say-as interpret-as="characters">abc</say-as>, <say-as interpret-as="spell-out">NASA</say-as>.</speak>'), ['Code A B C, N A S A.']);
    assert.deepEqual(parts('<speak>PIN <say-as interpret-as="digits">2024</say-as>, <say-as interpret-as="cardinal">2024</say-as>.</speak>'), ['PIN 2 0 2 4, 2024.']);
    const r = convert('<speak><say-as interpret-as="date" format="mdy">1/2/2024</say-as> <say-as interpret-as="ordinal">3</say-as></speak>');
    assert.deepEqual(r.parts.map((p) => p.text), ['1/2/2024 3']);
    assert.deepEqual(codes(r), ['ssml_say_as_ignored']);
    assert.match(r.warnings[0]?.message ?? '', /"date", "ordinal"/);
  });

  it('<sub alias> speaks the alias, never the written form', () => {
    assert.deepEqual(parts('<speak><sub alias="World Wide Web Consortium">W3C</sub> rules.</speak>'), ['World Wide Web Consortium rules.']);
    assert.match(refusal('<speak><sub>W3C</sub></speak>'), /<sub> needs an alias attribute/);
  });

  it('<phoneme> in CMU becomes CosyVoice3 CMU tokens, in pinyin pinyin tokens; other alphabets speak the text with a warning', () => {
    assert.deepEqual(parts('<speak>A <phoneme alphabet="x-cmu" ph="M AY0 N UW1 T">minute</phoneme>.</speak>'), ['A [M][AY0][N][UW1][T].']);
    assert.deepEqual(parts('<speak><phoneme alphabet="cmu" ph="hh ah0 l ow1">hello</phoneme><phoneme alphabet="arpabet" ph="[W][ER1][L][D]">world</phoneme></speak>'), ['[HH][AH0][L][OW1] [W][ER1][L][D]']);
    assert.deepEqual(parts('<speak><phoneme alphabet="pinyin" ph="ji3">几</phoneme>个<phoneme alphabet="x-pinyin" ph="nǐ hǎo">你好</phoneme></speak>'), ['[j][ǐ]个[n][ǐ][h][ǎo]']);
    assert.deepEqual(parts('<speak><phoneme alphabet="pinyin" ph="lv4 lüe4 xue2 liu2 gui4 ma5 er2 ni3hao3">x</phoneme></speak>'), ['[l][ǜ][l][vè][x][ué][l][iú][g][uì][m][a][ér][n][ǐ][h][ǎo]']);
    const ipa = convert('<speak><phoneme alphabet="ipa" ph="ˈhɛloʊ">hello</phoneme> <phoneme ph="x">there</phoneme></speak>');
    assert.deepEqual(ipa.parts.map((p) => p.text), ['hello there']);
    assert.deepEqual(codes(ipa), ['ssml_phoneme_ignored']);
    assert.match(ipa.warnings[0]?.message ?? '', /"ipa", \(missing\)/);
    assert.match(refusal('<speak><phoneme alphabet="cmu" ph="M AY7 N">x</phoneme></speak>'), /position 31\): "AY7" in ph is not a CMU phoneme .*; did you mean AY0\?$/);
    assert.match(refusal('<speak><phoneme alphabet="pinyin" ph="xq9">x</phoneme></speak>'), /"xq9" in ph is not a pinyin syllable/);
    assert.match(refusal('<speak><phoneme alphabet="pinyin" ph="zh">x</phoneme></speak>'), /"zh" in ph is not a pinyin syllable/);
    assert.match(refusal('<speak><phoneme alphabet="cmu">x</phoneme></speak>'), /<phoneme> needs a ph attribute/);
    // What phonemes make always passes the token validator.
    for (const p of parts('<speak><phoneme alphabet="cmu" ph="M AY0">x</phoneme>[1]<phoneme alphabet="pinyin" ph="ji3">y</phoneme></speak>')) {
      assert.deepEqual(validateAnnotations(p), []);
    }
  });

  it('<p> and <s> end sentences and paragraphs; markup whitespace does not', () => {
    assert.deepEqual(parts('<speak><p><s>First one</s><s>Second one!</s></p><p>Next paragraph</p><p>你好</p></speak>'), ['First one. Second one!\nNext paragraph.\n你好。']);
    assert.deepEqual(parts('<speak><s>Ends, </s><s>(quoted.)</s></speak>'), ['Ends, (quoted.)']);
  });

  it('<emphasis> becomes <strong> where the engine reads markup, plain text with a warning elsewhere', () => {
    const md = '<speak>Say <emphasis>this</emphasis> and <emphasis level="reduced">that</emphasis> <emphasis level="strong">now</emphasis></speak>';
    const cosy = convert(md);
    assert.deepEqual(cosy.parts.map((p) => p.text), ['Say <strong>this</strong> and that <strong>now</strong>']);
    assert.deepEqual(cosy.warnings, []);
    const espeak = convert(md, ESPEAK);
    assert.deepEqual(espeak.parts.map((p) => p.text), ['Say this and that now']);
    assert.deepEqual(codes(espeak), ['ssml_emphasis_ignored']);
    assert.match(espeak.warnings[0]?.message ?? '', /The espeak engine reads no emphasis markup/);
    // A break inside emphasis closes the pair in one part and opens it again in the next.
    const split = convert('<speak><emphasis>one <break time="1s"/> two</emphasis>.</speak>');
    assert.deepEqual(split.parts.map((p) => p.text), ['<strong>one</strong>', '<strong>two</strong>.']);
    for (const p of split.parts) assert.deepEqual(validateAnnotations(p.text), []);
  });

  it('anything else is removed with one warning naming each element, its speech kept and its tags never spoken', () => {
    const r = convert(
      '<speak><voice name="Joanna"><lang xml:lang="fr-FR">Bonjour</lang></voice> <mark name="here"/><audio src="http://169.254.169.254/latest">the fallback<desc>a bell</desc></audio> <amazon:effect name="whispered">quietly</amazon:effect><meta name="x" content="y"/><metadata>junk</metadata></speak>',
    );
    assert.deepEqual(r.parts.map((p) => p.text), ['Bonjour the fallback quietly']);
    assert.deepEqual(codes(r), ['ssml_element_ignored']);
    assert.match(r.warnings[0]?.message ?? '', /<voice>, <lang>, <mark>, <audio>, <desc>, <amazon:effect>, <meta>, <metadata>/);
    assert.equal(r.warnings[0]?.param, 'text');
  });

  it('<speak xml:lang> sets the language when it names a supported one', () => {
    assert.equal(convert('<speak xml:lang="zh-CN">你好</speak>').language, 'cmn');
    assert.equal(convert('<speak xml:lang="en-US">Hi</speak>').language, 'en');
    const unknown = convert('<speak xml:lang="tlh">Hi</speak>');
    assert.equal(unknown.language, undefined);
    assert.deepEqual(codes(unknown), ['ssml_attribute_ignored']);
  });

  it('maps every output character back to where it was written in the SSML', () => {
    const src = '<speak>Hi &amp; <b>bye</b>\n <sub alias="ok">x</sub></speak>';
    const r = convert(src);
    assert.equal(r.text, 'Hi & bye ok');
    const at = (s: string) => r.sourceOffset(r.text.indexOf(s));
    assert.equal(at('Hi'), src.indexOf('Hi'));
    assert.equal(at('&'), src.indexOf('&amp;'));
    assert.equal(at('bye'), src.indexOf('bye'));
    assert.equal(r.sourceOffset(r.text.indexOf('ye')), src.indexOf('ye'));
    assert.equal(at('ok'), src.indexOf('alias'));
  });
});

describe('helpers', () => {
  it('durations, rates, spelling, digits and numbered pinyin', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration(' 1.5s '), 1500);
    assert.equal(parseDuration('.25s'), 250);
    assert.equal(parseDuration('2'), undefined);
    assert.equal(parseDuration('-1s'), undefined);
    assert.equal(parseRate('x-slow'), 0.5);
    assert.equal(parseRate('80%'), 0.8);
    assert.equal(parseRate('+20%'), 1.2);
    assert.equal(parseRate('-10%'), 0.9);
    assert.equal(parseRate('1.5'), 1.5);
    assert.equal(parseRate('0'), undefined);
    assert.equal(parseRate('fast-ish'), undefined);
    assert.equal(spellOut('ab c'), 'A B C');
    assert.equal(spellOut('e\u0301t'), 'E\u0301 T');
    assert.equal(digitByDigit('555-1234'), '5 5 5 - 1 2 3 4');
    assert.equal(numberedPinyinToMarked('hao3'), 'hǎo');
    assert.equal(numberedPinyinToMarked('gou3'), 'gǒu');
    assert.equal(numberedPinyinToMarked('lv4'), 'lǜ');
    assert.equal(numberedPinyinToMarked('ma5'), 'ma');
    assert.equal(numberedPinyinToMarked('jǐ'), 'jǐ');
  });
});
