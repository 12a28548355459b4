// Text an engine cannot read: emoji and pictographs (no engine voices them consistently: espeak
// names some in English and says nothing in Japanese), and letters of scripts the engine has no
// rules for in the request's language (kanji for espeak's Japanese voice, which says "Chinese
// letter" for each). Sent as they are, they come back as silence or nonsense; instead the
// service applies a policy before segmentation and says what it did in a warning:
// - `skip` (the default): remove them, keeping the spacing of the words around them sane;
// - `names`: speak emoji by their CLDR short names in the request's language ("grinning face",
//   "旗: 日本"); letters of unreadable scripts are still skipped.
// Units are grapheme clusters, so a ZWJ family, a flag, a keycap or an emoji with its skin tone
// and variation selector is one emoji. Annotation tokens pass through untouched.
import { AppError } from '../errors/app-error.js';
import type { UNREADABLE_POLICIES } from '../config/settings.js';
import type { ReadableText, SynthesisWarning } from '../engines/engine.js';
import { scanAnnotations } from './annotations.js';
import { EMOJI_NAME_LANGUAGES, EMOJI_NAMES_TSV } from './emoji-names.data.js';

/** `skip` or `names` (the setting UNREADABLE_TEXT, the request field `unreadable`). */
export type UnreadablePolicy = (typeof UNREADABLE_POLICIES)[number];

export const UNREADABLE_WARNING = 'unreadable_skipped';

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

const PICTOGRAPH = /\p{Extended_Pictographic}/u;
// Flags are regional indicator pairs, keycaps end in U+20E3, skin tones are modifiers: none is
// a pictograph itself, and alone each is still an emoji fragment no engine reads.
const EMOJI_PART = /[\p{Regional_Indicator}\u20E3\p{Emoji_Modifier}]/u;
// Pictographs by Unicode's count, but written in running text and read as words by engines
// ("copyright", "registered", "trade mark"); ‼ and ⁉ are punctuation.
const WORD_SYMBOL = /[\u00A9\u00AE\u2122\p{P}]/u;
const SCRIPTLESS = /[\p{Script=Common}\p{Script=Inherited}]/u;
const HORIZONTAL_SPACE = /[^\S\r\n\u2028\u2029]/u;
const LINE_BREAK = /[\r\n\u2028\u2029]/u;
const WORD = /[\p{L}\p{N}\p{M}]/u;
// Scripts written without spaces between words: no space is put back between two of them.
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}\u30FC]/u;
// A removal right before these leaves no space in front of them ("Great 😀!" -> "Great!").
const CLOSING = /[\p{Pe}\p{Pf}\p{Po}]/u;

const scriptPatterns = new Map<string, RegExp>();

/** `\p{Script_Extensions=name}`; throws for a name that is not a Unicode script. */
function scriptPattern(name: string): RegExp {
  let re = scriptPatterns.get(name);
  if (!re) {
    re = new RegExp(`\\p{Script_Extensions=${name}}`, 'u');
    scriptPatterns.set(name, re);
  }
  return re;
}

/** True when a grapheme cluster is an emoji or pictograph (flags, keycaps, ZWJ sequences, skin tones). */
export function isEmoji(cluster: string): boolean {
  if (EMOJI_PART.test(cluster)) return true;
  for (const ch of cluster) if (PICTOGRAPH.test(ch) && !WORD_SYMBOL.test(ch)) return true;
  return false;
}

/**
 * Whether an engine that declared `readable` reads one grapheme cluster in `language`. Without
 * a declaration everything is readable (the engine gets the text as written).
 */
export function canRead(cluster: string, language: string, readable: ReadableText | undefined): boolean {
  if (!readable) return true;
  if (isEmoji(cluster)) return readable.emoji;
  const base = String.fromCodePoint(cluster.codePointAt(0) ?? 0x20);
  if (SCRIPTLESS.test(base)) return true;
  const scripts = readable.scripts[language];
  return scripts === undefined || scripts.some((s) => scriptPattern(s).test(base));
}

let names: Map<string, readonly string[]> | undefined;

/** The emoji name table, parsed on first use (most requests have no emoji). */
function nameTable(): Map<string, readonly string[]> {
  if (!names) {
    names = new Map();
    for (const line of EMOJI_NAMES_TSV.split('\n')) {
      const [emoji, ...row] = line.split('\t');
      if (emoji) names.set(emoji, row);
    }
  }
  return names;
}

/**
 * The CLDR short name of an emoji in `language` (English where the table has none in it), or
 * undefined. Variation selectors are ignored and a skin tone is left out ("thumbs up" for 👍🏽):
 * the table names the base emoji.
 */
export function emojiName(cluster: string, language: string): string | undefined {
  const plain = cluster.replace(/[\uFE0E\uFE0F]/g, '');
  const table = nameTable();
  const row = table.get(plain) ?? table.get(plain.replace(/\p{Emoji_Modifier}/gu, '') || plain);
  if (!row) return undefined;
  const column = EMOJI_NAME_LANGUAGES.indexOf(language) - 1;
  return (column >= 0 ? row[column + 1] : undefined) || row[0] || undefined;
}

/**
 * An emoji's name the engine can read: in the request's language, else in English (espeak's
 * Japanese voice reads no kanji, so "赤いハート" becomes "red heart"), else none.
 */
function readableName(cluster: string, language: string, readable: ReadableText): string | undefined {
  const readsAll = (name: string) => [...graphemes.segment(name)].every((g) => canRead(g.segment, language, readable));
  const local = emojiName(cluster, language);
  if (local !== undefined && readsAll(local)) return local;
  const english = emojiName(cluster, 'en');
  return english !== undefined && readsAll(english) ? english : undefined;
}

export interface UnreadableOptions {
  readonly policy: UnreadablePolicy;
  readonly language: string;
  readonly readable: ReadableText | undefined;
  /** Engine name, for the warning. */
  readonly engine: string;
}

export interface UnreadableResult {
  /** The text after the policy: what is segmented and sent to the engine. */
  readonly text: string;
  /** Runs of removed clusters, in order (a run: clusters with nothing readable between them). */
  readonly skipped: readonly string[];
  /** Grapheme clusters removed. */
  readonly skippedCount: number;
  /** Emoji replaced by their names. */
  readonly named: number;
  /** `unreadable_skipped`, when something was removed. */
  readonly warnings: readonly SynthesisWarning[];
  /** A sentence pointing to `"unreadable": "names"` when emoji were skipped under `skip`; else ''. */
  readonly hint: string;
}

/** Builds the output text, putting back one space where a removal would glue two words. */
class Output {
  text = '';
  /** Set after a removal: the next kept text decides what happens to the spaces around it. */
  private removed = false;

  remove(): void {
    this.removed = true;
  }

  /** Appends kept text (a cluster, an annotation token, an emoji's name). */
  add(piece: string): void {
    const first = String.fromCodePoint(piece.codePointAt(0) ?? 0x20);
    const last = this.lastChar();
    if (this.removed) {
      if ((last === '' || HORIZONTAL_SPACE.test(last) || LINE_BREAK.test(last)) && HORIZONTAL_SPACE.test(first)) return; // one space is enough
      if (HORIZONTAL_SPACE.test(last) && (LINE_BREAK.test(first) || CLOSING.test(first))) this.trimSpaces();
      else if (this.needsSpace(last, first)) this.text += ' ';
      this.removed = false;
    }
    this.text += piece;
  }

  /** Appends an emoji's name, spaced from the words on either side. */
  addName(name: string): void {
    this.removed = false;
    const last = this.lastChar();
    if (this.needsSpace(last, String.fromCodePoint(name.codePointAt(0) ?? 0x20))) this.text += ' ';
    this.text += name;
    // Whatever follows is spaced from the name as from a removal: "I❤️you" -> "I red heart you".
    this.removed = true;
  }

  finish(): string {
    if (this.removed) this.trimSpaces();
    return this.text;
  }

  private needsSpace(left: string, right: string): boolean {
    return WORD.test(left) && WORD.test(right) && !(UNSPACED.test(left) && UNSPACED.test(right));
  }

  private lastChar(): string {
    const code = this.text.codePointAt(this.text.length - 1);
    if (code === undefined) return '';
    // A trailing low surrogate: step back to its pair.
    if (code >= 0xdc00 && code <= 0xdfff && this.text.length >= 2) return String.fromCodePoint(this.text.codePointAt(this.text.length - 2) ?? code);
    return String.fromCodePoint(code);
  }

  private trimSpaces(): void {
    let end = this.text.length;
    while (end > 0 && HORIZONTAL_SPACE.test(this.text[end - 1] as string)) end--;
    this.text = this.text.slice(0, end);
  }
}

/**
 * Applies the policy to `text` (annotation tokens pass through). Text the engine reads in full
 * comes back unchanged, the same string.
 */
export function applyUnreadablePolicy(text: string, options: UnreadableOptions): UnreadableResult {
  const { policy, language, readable } = options;
  const none: UnreadableResult = { text, skipped: [], skippedCount: 0, named: 0, warnings: [], hint: '' };
  if (!readable) return none;
  const out = new Output();
  const skipped: string[] = [];
  let skippedCount = 0;
  let named = 0;
  let run = '';
  let emojiSkipped = false;
  const endRun = () => {
    if (run) skipped.push(run.trim());
    run = '';
  };
  for (const span of scanAnnotations(text).spans) {
    if (span.type === 'token') {
      endRun();
      out.add(span.token.text);
      continue;
    }
    for (const { segment } of graphemes.segment(span.text)) {
      if (canRead(segment, language, readable)) {
        // Spaces between two unreadable clusters keep them in one run ("漢字 漢字").
        if (run && /^\s+$/u.test(segment)) run += segment;
        else endRun();
        out.add(segment);
        continue;
      }
      const emoji = isEmoji(segment);
      const name = emoji && policy === 'names' ? readableName(segment, language, readable) : undefined;
      if (name !== undefined) {
        endRun();
        out.addName(name);
        named++;
        continue;
      }
      emojiSkipped ||= emoji;
      run += segment;
      skippedCount++;
      out.remove();
    }
  }
  endRun();
  if (skippedCount === 0 && named === 0) return none;
  const warnings: SynthesisWarning[] = [];
  const hint = emojiSkipped && policy === 'skip' ? ' Send "unreadable": "names" to hear emoji by their names.' : '';
  if (skippedCount > 0) {
    warnings.push({
      code: UNREADABLE_WARNING,
      message: `Skipped ${skippedCount} character${skippedCount === 1 ? '' : 's'} the ${options.engine} engine cannot read in ${language}: ${listRuns(skipped)}.${hint}`,
      param: 'text',
    });
  }
  return { text: out.finish(), skipped, skippedCount, named, warnings, hint };
}

const LISTED_RUNS = 6;
const RUN_CLUSTERS = 12;

/** The skipped runs for a message: distinct, each cut short, a few at most. */
function listRuns(runs: readonly string[]): string {
  const distinct = [...new Set(runs.map((r) => r.trim()))];
  const shown = distinct.slice(0, LISTED_RUNS).map((r) => {
    const clusters = [...graphemes.segment(r)].map((s) => s.segment);
    return clusters.length > RUN_CLUSTERS ? `${clusters.slice(0, RUN_CLUSTERS).join('')}…` : r;
  });
  return distinct.length > shown.length ? `${shown.join(', ')} …` : shown.join(', ');
}

/** nothing_to_speak for text whose only speakable characters were ones the engine cannot read. */
export function nothingReadable(result: UnreadableResult, engine: string, language: string): AppError {
  return new AppError(
    'nothing_to_speak',
    `The text holds nothing the ${engine} engine can read in ${language}: it would skip ${listRuns(result.skipped)}. Add the words to say.${result.hint}`,
    { param: 'text' },
  );
}
