// A small, strict XML reader for SSML request text. Deliberately not a general XML parser: no
// DTD (a DOCTYPE is refused, so no entity declarations, external entities or entity expansion
// beyond the five predefined entities and numeric character references), bounded nesting depth
// and element count, an iterative loop (no recursion on the input's structure), and every
// well-formedness error refused as 400 `invalid_ssml` naming the line, column and what is wrong.
// It never resolves anything outside the text: no URLs, no files.
import { AppError } from '../errors/app-error.js';

/** A run of character data with where it came from, so positions map back to the SSML. */
export interface XmlTextPiece {
  readonly text: string;
  /** UTF-16 offset in the source: of the first character of a literal run, or of a reference's `&`. */
  readonly offset: number;
  /** true: text[k] is source[offset + k]; false: the whole piece stands for the reference at offset. */
  readonly literal: boolean;
}

export interface XmlText {
  readonly type: 'text';
  readonly pieces: readonly XmlTextPiece[];
}

export interface XmlAttribute {
  /** Decoded and whitespace-normalized (XML attribute-value normalization). */
  readonly value: string;
  /** Offset of the attribute's name in the source. */
  readonly offset: number;
}

export interface XmlElement {
  readonly type: 'element';
  readonly name: string;
  readonly attributes: ReadonlyMap<string, XmlAttribute>;
  readonly children: XmlNode[];
  /** Offset of the element's `<` in the source. */
  readonly offset: number;
}

export type XmlNode = XmlElement | XmlText;

export interface XmlLimits {
  /** Most elements open at once (the root counts). */
  readonly maxDepth: number;
  /** Most elements in the document. */
  readonly maxElements: number;
}

const NAME = /[\p{L}_:][\p{L}\p{N}\p{M}_:.\-\u00B7]*/uy;
const REFERENCE = /&(?:#([0-9]+)|#x([0-9a-fA-F]+)|([A-Za-z][A-Za-z0-9]*));/y;
const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const WS = /[ \t\r\n]/;

/** XML 1.0's Char production: no C0 controls but tab, LF and CR, no surrogates, no U+FFFE/U+FFFF. */
export function isXmlCodePoint(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/** `line 2, column 5 (position 17)`: 1-based line and column, 0-based UTF-16 offset like invalid_token's. */
export function describePosition(source: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < source.length; i++) {
    if (source[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return `line ${line}, column ${offset - lineStart + 1} (position ${offset})`;
}

/** The error for anything wrong in SSML: 400 invalid_ssml, naming where and what. */
export function ssmlError(source: string, offset: number, what: string): AppError {
  return new AppError('invalid_ssml', `Invalid SSML at ${describePosition(source, offset)}: ${what}${/[.?]$/.test(what) ? '' : '.'}`, { param: 'text' });
}

/** Shows a bit of source in a message without quoting a whole request. */
function excerpt(s: string): string {
  const cut = [...s].slice(0, 24).join('');
  return JSON.stringify(cut.length < s.length ? `${cut}…` : cut);
}

class Reader {
  i: number;
  elements = 0;

  constructor(
    readonly src: string,
    start: number,
    readonly limits: XmlLimits,
  ) {
    this.i = start;
  }

  fail(offset: number, what: string): never {
    throw ssmlError(this.src, offset, what);
  }

  at(s: string): boolean {
    return this.src.startsWith(s, this.i);
  }

  skipSpace(): void {
    while (this.i < this.src.length && WS.test(this.src[this.i] as string)) this.i++;
  }

  name(what: string): string {
    NAME.lastIndex = this.i;
    const m = NAME.exec(this.src);
    if (!m) this.fail(this.i, `expected ${what}, found ${this.found()}`);
    this.i += m[0].length;
    return m[0];
  }

  found(): string {
    return this.i >= this.src.length ? 'the end of the text' : excerpt(this.src.slice(this.i, this.i + 12));
  }

  /** Skips `<!-- … -->` at i. */
  comment(): void {
    const start = this.i;
    const end = this.src.indexOf('-->', start + 4);
    if (end < 0) this.fail(start, 'a comment "<!--" is never closed with "-->"');
    const dashes = this.src.indexOf('--', start + 4);
    if (dashes < end) this.fail(dashes, '"--" is not allowed inside a comment');
    this.i = end + 3;
  }

  /** Skips a processing instruction `<?target …?>` at i (the XML declaration only at the start). */
  instruction(allowDeclaration: boolean): void {
    const start = this.i;
    this.i += 2;
    const target = this.name('a processing-instruction target after "<?"');
    if (target.toLowerCase() === 'xml' && !allowDeclaration) this.fail(start, 'an XML declaration "<?xml …?>" may only open the text');
    const end = this.src.indexOf('?>', this.i);
    if (end < 0) this.fail(start, `"<?${target}" is never closed with "?>"`);
    this.i = end + 2;
  }

  /** Comments, processing instructions and whitespace before or after the root element. */
  misc(allowDeclaration: boolean): void {
    for (;;) {
      this.skipSpace();
      if (this.at('<!--')) this.comment();
      else if (this.at('<?')) {
        this.instruction(allowDeclaration);
        allowDeclaration = false;
      } else if (this.at('<!DOCTYPE') || this.at('<!doctype')) {
        this.fail(this.i, 'a DOCTYPE is not accepted (no DTDs, entity declarations or external entities)');
      } else return;
      allowDeclaration = false;
    }
  }

  /** A reference at i (`&…;`), decoded. */
  reference(): string {
    REFERENCE.lastIndex = this.i;
    const m = REFERENCE.exec(this.src);
    if (!m) this.fail(this.i, `"&" must start a reference such as &amp; (found ${this.found()})`);
    const [whole, dec, hex, named] = m;
    let out: string;
    if (named !== undefined) {
      const value = PREDEFINED[named];
      if (value === undefined) {
        this.fail(this.i, `unknown entity ${excerpt(whole)}: only &amp; &lt; &gt; &quot; &apos; and numeric references such as &#160; are accepted`);
      }
      out = value;
    } else {
      const cp = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex ?? '', 16);
      if (!isXmlCodePoint(cp)) this.fail(this.i, `${excerpt(whole)} is not a character XML allows`);
      out = String.fromCodePoint(cp);
    }
    this.i += whole.length;
    return out;
  }

  attributes(element: string): Map<string, XmlAttribute> {
    const attrs = new Map<string, XmlAttribute>();
    for (;;) {
      const before = this.i;
      this.skipSpace();
      if (this.at('>') || this.at('/>')) return attrs;
      if (this.i === before) this.fail(this.i, `expected whitespace, ">" or "/>" in <${element}>, found ${this.found()}`);
      const offset = this.i;
      const name = this.name(`an attribute name, ">" or "/>" in <${element}>`);
      if (attrs.has(name)) this.fail(offset, `<${element}> has the attribute ${name} twice`);
      this.skipSpace();
      if (!this.at('=')) this.fail(this.i, `expected "=" after the attribute ${name} of <${element}>, found ${this.found()}`);
      this.i++;
      this.skipSpace();
      const quote = this.src[this.i];
      if (quote !== '"' && quote !== "'") this.fail(this.i, `the value of ${name} in <${element}> must be in quotes, found ${this.found()}`);
      this.i++;
      let value = '';
      for (;;) {
        if (this.i >= this.src.length) this.fail(offset, `the value of ${name} in <${element}> is never closed with ${quote}`);
        const ch = this.src[this.i] as string;
        if (ch === quote) break;
        if (ch === '<') this.fail(this.i, `"<" is not allowed in the value of ${name} (write &lt;)`);
        if (ch === '&') value += this.reference();
        else {
          value += WS.test(ch) ? ' ' : ch;
          this.i++;
        }
      }
      this.i++;
      attrs.set(name, { value, offset });
    }
  }

  /** Reads `<name attrs>` or `<name attrs/>` at i. */
  startTag(depth: number): { element: XmlElement; empty: boolean } {
    const offset = this.i;
    this.i++;
    const name = this.name('an element name after "<"');
    if (++this.elements > this.limits.maxElements) this.fail(offset, `more than ${this.limits.maxElements} elements`);
    if (depth > this.limits.maxDepth) this.fail(offset, `elements nested more than ${this.limits.maxDepth} deep`);
    const attributes = this.attributes(name);
    const empty = this.at('/>');
    this.i += empty ? 2 : 1;
    return { element: { type: 'element', name, attributes, children: [], offset }, empty };
  }

  /** Character data up to the next `<` (references decoded), as pieces. */
  text(pieces: XmlTextPiece[]): void {
    let runStart = this.i;
    const flush = () => {
      if (this.i > runStart) pieces.push({ text: this.src.slice(runStart, this.i), offset: runStart, literal: true });
    };
    while (this.i < this.src.length) {
      const ch = this.src[this.i];
      if (ch === '<') break;
      if (ch === '&') {
        flush();
        const offset = this.i;
        pieces.push({ text: this.reference(), offset, literal: false });
        runStart = this.i;
        continue;
      }
      if (ch === ']' && this.at(']]>')) this.fail(this.i, '"]]>" is not allowed in text (write ]]&gt;)');
      this.i++;
    }
    flush();
  }

  document(): XmlElement {
    this.misc(true);
    if (this.i >= this.src.length || this.src[this.i] !== '<') this.fail(this.i, `expected the root element <speak>, found ${this.found()}`);
    const first = this.startTag(1);
    const root = first.element;
    const stack: XmlElement[] = first.empty ? [] : [root];
    while (stack.length > 0) {
      const parent = stack[stack.length - 1] as XmlElement;
      if (this.i >= this.src.length) this.fail(parent.offset, `<${parent.name}> is never closed (the text ends first)`);
      if (this.src[this.i] !== '<') {
        const pieces: XmlTextPiece[] = [];
        this.text(pieces);
        parent.children.push({ type: 'text', pieces });
      } else if (this.at('</')) {
        const offset = this.i;
        this.i += 2;
        const name = this.name('an element name after "</"');
        this.skipSpace();
        if (!this.at('>')) this.fail(this.i, `expected ">" to end </${name}>, found ${this.found()}`);
        this.i++;
        if (name !== parent.name) {
          this.fail(offset, `</${name}> does not close <${parent.name}> (opened at ${describePosition(this.src, parent.offset)})`);
        }
        stack.pop();
      } else if (this.at('<!--')) {
        this.comment();
      } else if (this.at('<![CDATA[')) {
        const start = this.i + 9;
        const end = this.src.indexOf(']]>', start);
        if (end < 0) this.fail(this.i, '"<![CDATA[" is never closed with "]]>"');
        parent.children.push({ type: 'text', pieces: [{ text: this.src.slice(start, end), offset: start, literal: true }] });
        this.i = end + 3;
      } else if (this.at('<!DOCTYPE') || this.at('<!doctype')) {
        this.fail(this.i, 'a DOCTYPE is not accepted (no DTDs, entity declarations or external entities)');
      } else if (this.at('<!')) {
        this.fail(this.i, `unexpected ${this.found()}: only comments <!-- --> and <![CDATA[ ]]> start with "<!"`);
      } else if (this.at('<?')) {
        this.instruction(false);
      } else {
        const { element, empty } = this.startTag(stack.length + 1);
        parent.children.push(element);
        if (!empty) stack.push(element);
      }
    }
    this.misc(false);
    if (this.i < this.src.length) {
      this.fail(this.i, `only one root element is allowed, and nothing but comments after </${root.name}>; found ${this.found()}`);
    }
    return root;
  }
}

/**
 * Parses `source` from `start` (after any BOM and leading whitespace) as one XML document: an
 * optional declaration, comments and processing instructions, one root element. Throws
 * AppError invalid_ssml for anything not well-formed or beyond `limits`.
 */
export function parseXml(source: string, start: number, limits: XmlLimits): XmlElement {
  for (let i = start; i < source.length; i++) {
    // codePointAt reads a pair as one code point and a lone surrogate as itself.
    const cp = source.codePointAt(i) ?? 0;
    if (!isXmlCodePoint(cp)) throw ssmlError(source, i, `the character U+${cp.toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML`);
    if (cp > 0xffff) i++;
  }
  return new Reader(source, start, limits).document();
}
