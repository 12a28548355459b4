// SSML request text (`<speak>…</speak>`) turned into what a CosyVoice3 engine reads: plain text
// with annotation tokens, cut into parts wherever the speech needs a pause or a change of rate.
// Honoured: <break> (a pause between parts), <prosody rate> (a rate per part), <say-as>
// characters/digits, <sub alias>, <phoneme> in CMU (`[M][AY0]`) or pinyin (`[j][ǐ]`), <p>/<s>
// (paragraph and sentence ends), <emphasis> (`<strong>` where the engine reads markup). Every
// other element is removed with a warning naming it, its text kept where it is speech: a tag
// name is never read aloud. Whitespace collapses as XML text does for speech (indentation and
// line breaks in the markup are not paragraph breaks; <p> is).
import type { SynthesisWarning } from '../engines/engine.js';
import { pinyinToTokens } from '../pronounce/mandarin.js';
import { nearest } from './edit-distance.js';
import { resolveLanguageTag } from './language-tags.js';
import type { LanguageCode } from './language.js';
import { CMU_TOKENS, PINYIN_INITIALS } from './tokens.js';
import { parseXml, ssmlError, type XmlElement, type XmlNode, type XmlTextPiece } from './ssml-xml.js';

/** Bounds on what one SSML request may hold or ask for. */
export const SSML_LIMITS = {
  /** Most elements open at once, <speak> included. */
  maxDepth: 32,
  /** Most elements in one request. */
  maxElements: 5000,
  /** Longest pause one <break> makes; longer ones are capped with a warning. */
  maxBreakMs: 10_000,
  /** Most pause all <break>s of a request add up to; beyond it breaks are shortened, with a warning. */
  maxTotalBreakMs: 60_000,
} as const;

/** <break strength> in milliseconds. */
export const BREAK_STRENGTH_MS: Readonly<Record<string, number>> = {
  none: 0,
  'x-weak': 100,
  weak: 250,
  medium: 400,
  strong: 750,
  'x-strong': 1200,
};

/** <prosody rate> keywords as multipliers of the request's speed. */
export const RATE_KEYWORDS: Readonly<Record<string, number>> = {
  'x-slow': 0.5,
  slow: 0.75,
  medium: 1,
  default: 1,
  fast: 1.25,
  'x-fast': 1.5,
};

/**
 * Joins the parts in SsmlText.text. XML cannot carry it (it is not an XML character), so it
 * never occurs inside a part, and a lexicon term or pronunciation cannot hold it either: a rewrite
 * of the joined text keeps the parts apart.
 */
export const PART_SEPARATOR = '\u001e';

export interface SsmlPart {
  /** CosyVoice3 text: plain text with annotation tokens. */
  readonly text: string;
  /** Offset of `text` in SsmlText.text. */
  readonly start: number;
  /** Multiplier of the request's speed from <prosody rate> (1 = as requested). */
  readonly rate: number;
}

export interface SsmlText {
  /** The parts' texts joined by PART_SEPARATOR. */
  readonly text: string;
  readonly parts: readonly SsmlPart[];
  /**
   * Pause (ms) at each fencepost, parts.length + 1 of them: [0] before the first part, [k]
   * between part k-1 and part k, the last after the last part. null where no <break> is: the
   * service's usual gap between parts, nothing at the edges.
   */
  readonly pauses: readonly (number | null)[];
  /** <speak xml:lang>, when it names a supported language. */
  readonly language: LanguageCode | undefined;
  readonly warnings: readonly SynthesisWarning[];
  /** The SSML offset of the character at `position` of `text` (the element's, for generated text). */
  sourceOffset(position: number): number;
}

export interface SsmlOptions {
  /** The engine reads `<strong>…</strong>` (capabilities.annotations has `markup`). */
  readonly markup: boolean;
  /** For warnings. */
  readonly engineName: string;
}

/**
 * True when `text` is SSML: after a BOM and whitespace it opens with `<speak` (then whitespace,
 * `>` or `/>`) or with an XML declaration.
 */
export function isSsml(text: string): boolean {
  const start = contentStart(text);
  return /^<speak(?:[\s>/]|$)/.test(text.slice(start, start + 7)) || text.startsWith('<?xml', start);
}

function contentStart(text: string): number {
  let i = 0;
  while (i < text.length && /[\s\uFEFF]/.test(text[i] as string)) i++;
  return i;
}

interface Origin {
  /** Offset in the output text. */
  at: number;
  /** Offset in the SSML. */
  src: number;
  literal: boolean;
}

interface Context {
  readonly rate: number;
  readonly emphasis: boolean;
}

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
// A part that ends in one of these (ignoring closing quotes, brackets and tags) has ended its sentence.
const SENTENCE_END = /[.!?。！？；…｡‼⁇⁈⁉]$/u;
const NEEDS_END = /[\p{L}\p{N}\p{S}\]]$/u;

/** Builds the output text part by part, with a map from output offsets back to the SSML. */
class Builder {
  text = '';
  readonly origins: Origin[] = [];
  readonly parts: SsmlPart[] = [];
  readonly pauses: (number | null)[] = [null];
  /** Start of the current part in `text`; it has content once text.length > partStart. */
  private partStart = 0;
  private partRate = 1;
  private strongOpen = false;
  /** The last thing appended was generated tokens (a <phoneme>), which must not fuse with a following `[`. */
  private afterTokens = false;

  private get partText(): string {
    return this.text.slice(this.partStart);
  }

  private hasContent(): boolean {
    return this.text.length > this.partStart;
  }

  private raw(s: string, src: number, literal: boolean): void {
    this.origins.push({ at: this.text.length, src, literal });
    this.text += s;
  }

  /** Speech text: collapses whitespace, starts a part (or a new one for a new rate), opens and closes emphasis. */
  speak(s: string, src: number, literal: boolean, ctx: Context, markup: boolean, tokens = false): void {
    const runs = s.match(/[ \t\r\n]+|[^ \t\r\n]+/g) ?? [];
    let offset = 0;
    for (const run of runs) {
      const at = src + (literal ? offset : 0);
      offset += run.length;
      if (/^[ \t\r\n]/.test(run)) {
        if (this.hasContent() && !/\s$/.test(this.text)) this.raw(' ', at, literal);
        continue;
      }
      if (this.hasContent() && this.partRate !== ctx.rate) this.endPart();
      if (!this.hasContent()) {
        if (this.parts.length > 0) this.text += PART_SEPARATOR;
        this.partStart = this.text.length;
        this.partRate = ctx.rate;
        this.afterTokens = false;
      }
      const wantStrong = ctx.emphasis && markup;
      if (wantStrong && !this.strongOpen) this.raw('<strong>', at, false);
      if (!wantStrong) this.closeStrong(at);
      this.strongOpen = wantStrong;
      // A generated token run glued to a bracket would read as one run with it (or a typo in it).
      if ((tokens || this.afterTokens) && run.startsWith('[') && this.text.endsWith(']')) this.raw(' ', at, false);
      this.raw(run, at, literal);
      this.afterTokens = tokens;
    }
  }

  /** Ends the sentence the current part is in: a period (。 after CJK) where no end mark is. */
  endSentence(src: number): void {
    if (!this.hasContent()) return;
    const tail = this.partText.replace(/(?:\s|<\/?strong>|["'”’」』）)】》〉»›〕])+$/u, '');
    if (tail === '' || SENTENCE_END.test(tail) || !NEEDS_END.test(tail)) return;
    if (this.text.endsWith(' ')) this.text = this.text.slice(0, -1);
    this.closeStrong(src);
    this.raw(CJK.test(tail.slice(-1)) ? '。' : '.', src, false);
  }

  paragraph(src: number): void {
    this.endSentence(src);
    if (!this.hasContent()) return;
    this.closeStrong(src);
    if (this.text.endsWith(' ')) this.text = this.text.slice(0, -1);
    if (!this.text.endsWith('\n')) this.raw('\n', src, false);
  }

  sentence(src: number): void {
    this.endSentence(src);
    if (this.hasContent() && !/\s$/.test(this.text)) this.raw(' ', src, false);
  }

  /** Closes an open `<strong>`, its trailing space moved out of it. */
  private closeStrong(src: number): void {
    if (!this.strongOpen) return;
    const space = this.text.endsWith(' ');
    if (space) this.text = this.text.slice(0, -1);
    this.raw('</strong>', src, false);
    if (space) this.raw(' ', src, false);
    this.strongOpen = false;
  }

  private endPart(): void {
    if (!this.hasContent()) return;
    this.closeStrong(this.origins[this.origins.length - 1]?.src ?? 0);
    this.text = this.text.replace(/[ \n]+$/, '');
    this.parts.push({ text: this.partText, start: this.partStart, rate: this.partRate });
    this.pauses.push(null);
    this.partStart = this.text.length;
  }

  /** A pause: ends the current part; pauses with no speech between them add up. */
  pause(ms: number, src: number): void {
    if (ms <= 0) {
      // No pause, but still a boundary between words: `a<break strength="none"/>b` is two words.
      if (this.hasContent() && !/\s$/.test(this.text)) this.raw(' ', src, false);
      return;
    }
    this.endPart();
    const last = this.pauses.length - 1;
    this.pauses[last] = (this.pauses[last] ?? 0) + ms;
  }

  finish(): void {
    this.endPart();
  }
}

/** Collects warnings by code, so each code is one warning listing everything it covers. */
class Warnings {
  private readonly items = new Map<string, Set<string>>();

  add(code: string, detail: string): void {
    const set = this.items.get(code) ?? new Set<string>();
    set.add(detail);
    this.items.set(code, set);
  }

  list(engineName: string): SynthesisWarning[] {
    const out: SynthesisWarning[] = [];
    const join = (code: string) => [...(this.items.get(code) ?? [])].join(', ');
    const push = (code: string, message: string) => {
      if (this.items.has(code)) out.push({ code, message, param: 'text' });
    };
    push('ssml_element_ignored', `SSML elements this server does not honour were removed, never read out: ${join('ssml_element_ignored')}. Their text is spoken, except inside <desc>, <meta>, <metadata> and <lexicon>.`);
    push('ssml_attribute_ignored', `SSML attributes this server does not honour were ignored: ${join('ssml_attribute_ignored')}.`);
    push('ssml_emphasis_ignored', `The ${engineName} engine reads no emphasis markup; <emphasis> text is spoken plainly (the CosyVoice3 engines speak it as <strong>).`);
    push('ssml_say_as_ignored', `<say-as interpret-as> ${join('ssml_say_as_ignored')} is not honoured (characters, spell-out, digits, cardinal and number are): the text is spoken as written.`);
    push('ssml_phoneme_ignored', `<phoneme alphabet> ${join('ssml_phoneme_ignored')} is not honoured (cmu, x-cmu, arpabet, pinyin and x-pinyin are): the element's text is spoken instead.`);
    push('ssml_break_capped', `Breaks were shortened: ${join('ssml_break_capped')}. One <break> pauses at most ${SSML_LIMITS.maxBreakMs / 1000} s, and all of a request's breaks together at most ${SSML_LIMITS.maxTotalBreakMs / 1000} s.`);
    return out;
  }
}

// Elements whose content is not speech: removed with everything inside.
const DROP_CONTENT = new Set(['desc', 'meta', 'metadata', 'lexicon']);
// Attributes every element may carry that mean nothing for speech here.
const NEUTRAL_ATTRIBUTES = /^(?:xmlns(?::.*)?|xsi:.*|version|xml:base|id|xml:id)$/;
const KNOWN_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  speak: ['xml:lang'],
  break: ['time', 'strength'],
  prosody: ['rate'],
  emphasis: ['level'],
  'say-as': ['interpret-as', 'format', 'detail'],
  sub: ['alias'],
  phoneme: ['alphabet', 'ph'],
  p: [],
  s: [],
  paragraph: [],
  sentence: [],
};
const CMU_ALPHABETS = new Set(['cmu', 'x-cmu', 'arpabet', 'x-arpabet']);
const PINYIN_ALPHABETS = new Set(['pinyin', 'x-pinyin']);

/** `500ms`, `1.5s` → milliseconds; undefined if it is not a duration. */
export function parseDuration(value: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*(ms|s)$/i.exec(value.trim());
  if (!m) return undefined;
  const n = Number(m[1]) * (m[2]?.toLowerCase() === 's' ? 1000 : 1);
  return Number.isFinite(n) ? Math.round(n) : undefined;
}

/** `x-slow`…`x-fast`, `80%`, `+20%`, `-10%`, `1.2` → a multiplier; undefined if not a rate. */
export function parseRate(value: string): number | undefined {
  const v = value.trim().toLowerCase();
  const keyword = RATE_KEYWORDS[v];
  if (keyword !== undefined) return keyword;
  const pct = /^([+-]?)(\d+(?:\.\d+)?|\.\d+)%$/.exec(v);
  if (pct) {
    const n = Number(pct[2]) / 100;
    const r = pct[1] === '+' ? 1 + n : pct[1] === '-' ? 1 - n : n;
    return r > 0 && Number.isFinite(r) ? r : undefined;
  }
  const num = /^(\d+(?:\.\d+)?|\.\d+)$/.exec(v);
  if (num) {
    const r = Number(num[1]);
    return r > 0 && Number.isFinite(r) ? r : undefined;
  }
  return undefined;
}

const TONE_MARKS: Readonly<Record<string, string>> = { a: 'āáǎà', e: 'ēéěè', i: 'īíǐì', o: 'ōóǒò', u: 'ūúǔù', ü: 'ǖǘǚǜ' };

/** `ji3` → `jǐ`, `lv4`/`lü4` → `lǜ`, `ma5`/`ma0`/`ma` → `ma`; tone-marked syllables pass through. */
export function numberedPinyinToMarked(syllable: string): string {
  const s = syllable.normalize('NFC').toLowerCase().replace(/u:|v/g, 'ü');
  const m = /^(.*?)([0-5])$/.exec(s);
  if (!m) return s;
  const letters = m[1] ?? '';
  const tone = Number(m[2]);
  if (tone === 0 || tone === 5) return letters;
  // The standard rule: a or e takes the mark, o in "ou", else the last vowel.
  let at = letters.search(/[ae]/);
  if (at < 0) at = letters.indexOf('ou');
  if (at < 0) {
    for (let k = letters.length - 1; k >= 0; k--) {
      if ('iouü'.includes(letters[k] as string)) {
        at = k;
        break;
      }
    }
  }
  const vowel = letters[at];
  const marks = vowel === undefined ? undefined : TONE_MARKS[vowel];
  if (marks === undefined) return s;
  return letters.slice(0, at) + (marks[tone - 1] as string) + letters.slice(at + 1);
}

class Converter {
  readonly out = new Builder();
  readonly warnings = new Warnings();
  private totalBreakMs = 0;
  language: LanguageCode | undefined;

  constructor(
    readonly src: string,
    readonly options: SsmlOptions,
  ) {}

  fail(offset: number, what: string): never {
    throw ssmlError(this.src, offset, what);
  }

  ignoreElement(el: XmlElement): void {
    this.warnings.add('ssml_element_ignored', `<${el.name}>`);
  }

  checkAttributes(el: XmlElement, key: string): void {
    const known = KNOWN_ATTRIBUTES[key] ?? [];
    for (const name of el.attributes.keys()) {
      if (known.includes(name) || NEUTRAL_ATTRIBUTES.test(name)) continue;
      this.warnings.add('ssml_attribute_ignored', `${el.name} ${name}`);
    }
  }

  /** Text of a text-only element (say-as): its elements are reported and left out. */
  textOf(el: XmlElement): XmlTextPiece[] {
    const pieces: XmlTextPiece[] = [];
    for (const child of el.children) {
      if (child.type === 'text') pieces.push(...child.pieces);
      else this.reportNested(child);
    }
    return pieces;
  }

  /** Elements inside an element whose content is replaced (sub, phoneme) or text-only (say-as). */
  reportNested(el: XmlElement): void {
    this.ignoreElement(el);
    for (const child of el.children) if (child.type === 'element') this.reportNested(child);
  }

  speakPieces(pieces: readonly XmlTextPiece[], ctx: Context): void {
    for (const p of pieces) this.out.speak(p.text, p.offset, p.literal, ctx, this.options.markup);
  }

  children(el: XmlElement, ctx: Context): void {
    for (const child of el.children) this.node(child, ctx);
  }

  node(node: XmlNode, ctx: Context): void {
    if (node.type === 'text') {
      this.speakPieces(node.pieces, ctx);
      return;
    }
    const el = node;
    const key = el.name.toLowerCase();
    switch (key) {
      case 'p':
      case 'paragraph':
        this.checkAttributes(el, key);
        this.out.paragraph(el.offset);
        this.children(el, ctx);
        this.out.paragraph(el.offset);
        return;
      case 's':
      case 'sentence':
        this.checkAttributes(el, key);
        this.out.sentence(el.offset);
        this.children(el, ctx);
        this.out.sentence(el.offset);
        return;
      case 'break':
        this.checkAttributes(el, key);
        this.breakElement(el);
        this.children(el, ctx);
        return;
      case 'prosody':
        this.checkAttributes(el, key);
        this.children(el, { ...ctx, rate: ctx.rate * this.rateOf(el) });
        return;
      case 'emphasis':
        this.checkAttributes(el, key);
        this.children(el, { ...ctx, emphasis: this.emphasisOf(el) || ctx.emphasis });
        return;
      case 'say-as':
        this.checkAttributes(el, key);
        this.sayAs(el, ctx);
        return;
      case 'sub': {
        this.checkAttributes(el, key);
        const alias = el.attributes.get('alias');
        if (alias === undefined) this.fail(el.offset, '<sub> needs an alias attribute (the text to speak)');
        for (const child of el.children) if (child.type === 'element') this.reportNested(child);
        this.out.speak(alias.value, alias.offset, false, ctx, this.options.markup);
        return;
      }
      case 'phoneme':
        this.checkAttributes(el, key);
        this.phoneme(el, ctx);
        return;
      case 'speak':
        // Nested <speak>: its content is still this document's speech.
        this.ignoreElement(el);
        this.children(el, ctx);
        return;
      default:
        this.ignoreElement(el);
        if (!DROP_CONTENT.has(key)) this.children(el, ctx);
    }
  }

  breakElement(el: XmlElement): void {
    const time = el.attributes.get('time');
    const strength = el.attributes.get('strength');
    let ms: number;
    if (time !== undefined) {
      const parsed = parseDuration(time.value);
      if (parsed === undefined) this.fail(time.offset, `<break time="${time.value.slice(0, 40)}"> is not a duration such as 500ms or 1.5s`);
      ms = parsed;
    } else if (strength !== undefined) {
      const parsed = BREAK_STRENGTH_MS[strength.value.trim().toLowerCase()];
      if (parsed === undefined) this.fail(strength.offset, `<break strength="${strength.value.slice(0, 40)}"> is not one of ${Object.keys(BREAK_STRENGTH_MS).join(', ')}`);
      ms = parsed;
    } else {
      ms = BREAK_STRENGTH_MS.medium as number;
    }
    let capped = ms;
    if (capped > SSML_LIMITS.maxBreakMs) capped = SSML_LIMITS.maxBreakMs;
    capped = Math.min(capped, SSML_LIMITS.maxTotalBreakMs - this.totalBreakMs);
    if (capped < ms) this.warnings.add('ssml_break_capped', `${formatMs(ms)} to ${formatMs(capped)}`);
    this.totalBreakMs += capped;
    this.out.pause(capped, el.offset);
  }

  rateOf(el: XmlElement): number {
    const rate = el.attributes.get('rate');
    if (rate === undefined) return 1;
    const parsed = parseRate(rate.value);
    if (parsed === undefined) {
      this.fail(rate.offset, `<prosody rate="${rate.value.slice(0, 40)}"> is not a rate: use x-slow, slow, medium, fast, x-fast, a percentage such as 80% or +20%, or a positive number`);
    }
    return parsed;
  }

  emphasisOf(el: XmlElement): boolean {
    const level = el.attributes.get('level');
    const value = level?.value.trim().toLowerCase() ?? 'moderate';
    if (value === 'none' || value === 'reduced') return false;
    if (value !== 'moderate' && value !== 'strong') {
      this.fail(level?.offset ?? el.offset, `<emphasis level="${value.slice(0, 40)}"> is not one of strong, moderate, none, reduced`);
    }
    if (!this.options.markup) this.warnings.add('ssml_emphasis_ignored', 'emphasis');
    return true;
  }

  sayAs(el: XmlElement, ctx: Context): void {
    const kind = el.attributes.get('interpret-as')?.value.trim().toLowerCase();
    const pieces = this.textOf(el);
    const content = pieces.map((p) => p.text).join('');
    switch (kind) {
      case 'characters':
      case 'spell-out':
      case 'letters':
      case 'verbatim':
        this.out.speak(spellOut(content), el.offset, false, ctx, this.options.markup);
        return;
      case 'digits':
        this.out.speak(digitByDigit(content), el.offset, false, ctx, this.options.markup);
        return;
      case 'cardinal':
      case 'number':
        // The engines read numerals as numbers already.
        this.speakPieces(pieces, ctx);
        return;
      default:
        this.warnings.add('ssml_say_as_ignored', kind === undefined ? '(missing)' : `"${kind.slice(0, 40)}"`);
        this.speakPieces(pieces, ctx);
    }
  }

  phoneme(el: XmlElement, ctx: Context): void {
    const alphabet = el.attributes.get('alphabet')?.value.trim().toLowerCase();
    const ph = el.attributes.get('ph');
    const cmu = alphabet !== undefined && CMU_ALPHABETS.has(alphabet);
    const pinyin = alphabet !== undefined && PINYIN_ALPHABETS.has(alphabet);
    if (!cmu && !pinyin) {
      this.warnings.add('ssml_phoneme_ignored', alphabet === undefined ? '(missing)' : `"${alphabet.slice(0, 40)}"`);
      this.children(el, ctx);
      return;
    }
    if (ph === undefined) this.fail(el.offset, '<phoneme> needs a ph attribute (the pronunciation)');
    const tokens = cmu ? this.cmuTokens(ph.value, ph.offset) : this.pinyinTokens(ph.value, ph.offset);
    for (const child of el.children) if (child.type === 'element') this.reportNested(child);
    this.out.speak(tokens, ph.offset, false, ctx, this.options.markup, true);
  }

  cmuTokens(ph: string, offset: number): string {
    const phones = ph.replace(/[[\]]/g, ' ').trim().split(/\s+/).filter((p) => p !== '');
    if (phones.length === 0) this.fail(offset, '<phoneme ph=""> is empty');
    let out = '';
    for (const phone of phones) {
      const token = `[${phone.toUpperCase()}]`;
      if (!CMU_TOKENS.has(token)) {
        const suggestion = nearest(token, CMU_TOKENS, 2);
        this.fail(offset, `${JSON.stringify(phone.slice(0, 20))} in ph is not a CMU phoneme (ARPAbet with stress 0/1/2, e.g. M AY0 N UW1 T)${suggestion ? `; did you mean ${suggestion.slice(1, -1)}?` : ''}`);
      }
      out += token;
    }
    return out;
  }

  pinyinTokens(ph: string, offset: number): string {
    const syllables = ph
      .trim()
      .split(/[\s'’-]+/)
      .flatMap((chunk) => chunk.split(/(?<=[0-5])(?=[^0-5])/))
      .filter((s) => s !== '');
    if (syllables.length === 0) this.fail(offset, '<phoneme ph=""> is empty');
    let out = '';
    for (const syllable of syllables) {
      const tokens = pinyinToTokens(numberedPinyinToMarked(syllable));
      // A syllable ends in a final: `zh` alone, or read as [z][h], is none.
      if (tokens === null || PINYIN_INITIALS.has(tokens.slice(tokens.lastIndexOf('[')))) {
        this.fail(offset, `${JSON.stringify(syllable.slice(0, 20))} in ph is not a pinyin syllable CosyVoice3's tokens can spell (write e.g. ji3 or jǐ, ni3 hao3)`);
      }
      out += tokens;
    }
    return out;
  }

  root(el: XmlElement): void {
    if (el.name !== 'speak') this.fail(el.offset, `the root element must be <speak>, not <${el.name}>`);
    this.checkAttributes(el, 'speak');
    const lang = el.attributes.get('xml:lang');
    if (lang !== undefined) {
      const code = resolveLanguageTag(lang.value);
      if (code === null) this.warnings.add('ssml_attribute_ignored', `speak xml:lang="${lang.value.slice(0, 40)}" (not a supported language; the language is detected)`);
      else this.language = code;
    }
    this.children(el, { rate: 1, emphasis: false });
    this.out.finish();
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

const graphemes = new Intl.Segmenter('und', { granularity: 'grapheme' });

/** `abc` → `A B C`: each character on its own, letters as capitals (which engines read by name). */
export function spellOut(text: string): string {
  const out: string[] = [];
  for (const { segment } of graphemes.segment(text)) {
    if (/^[ \t\r\n]+$/.test(segment)) continue;
    const upper = segment.toUpperCase();
    out.push([...upper].length === [...segment].length ? upper : segment);
  }
  return out.join(' ');
}

/** `2024` → `2 0 2 4`; other characters stay where they are. */
export function digitByDigit(text: string): string {
  return text
    .replace(/\p{Nd}/gu, (d) => ` ${d} `)
    .replace(/[ \t\r\n]+/g, ' ')
    .trim();
}

/**
 * Converts SSML to CosyVoice3 text and structure. Throws AppError invalid_ssml (400, naming the
 * position) for anything malformed; everything merely unsupported becomes a warning.
 */
export function ssmlToText(source: string, options: SsmlOptions): SsmlText {
  const root = parseXml(source, contentStart(source), SSML_LIMITS);
  const c = new Converter(source, options);
  c.root(root);
  const { text, origins, parts, pauses } = c.out;
  return {
    text,
    parts,
    pauses,
    language: c.language,
    warnings: c.warnings.list(options.engineName),
    sourceOffset(position: number): number {
      let lo = 0;
      let hi = origins.length - 1;
      let best: Origin | undefined;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const o = origins[mid] as Origin;
        if (o.at <= position) {
          best = o;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      if (!best) return contentStart(source);
      return best.literal ? best.src + (position - best.at) : best.src;
    },
  };
}
