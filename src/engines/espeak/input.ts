// Turns request text (with CosyVoice3 annotation tokens) into what espeak-ng can speak.
// espeak reads its input as SSML with phoneme input enabled, so plain text must be escaped and
// literal `[[` neutralised. Annotations are honoured where espeak has an equivalent and reported
// as warnings where it has none, never dropped silently:
// - CMU runs become English phoneme input `[[...]]`. espeak only reads `[[...]]` with the voice
//   whose phoneme table it names, and an SSML voice switch does not carry phoneme input, so a
//   CMU run inside non-English text becomes its own piece spoken by the English voice.
// - Pinyin runs become espeak's numbered-tone pinyin (`[j][ǐ]` → `ji3`), which its Mandarin
//   dictionary reads exactly like the character; outside Mandarin text, a Mandarin piece.
// - `<strong>` becomes SSML `<emphasis>`; paralinguistic events and control tokens have no
//   espeak equivalent and are removed with a warning (an event leaves a short pause).
import { scanAnnotations, type AnnotationToken, type TokenRun } from '../../text/annotations.js';
import type { SynthesisWarning } from '../engine.js';
import { cmuRunToEspeak } from './cmu.js';

export interface EspeakPiece {
  /** cosyfleet language code whose espeak voice speaks this piece. */
  language: string;
  /** SSML-escaped espeak input. */
  input: string;
}

export interface EspeakInput {
  pieces: EspeakPiece[];
  warnings: SynthesisWarning[];
}

const PINYIN_INITIALS: ReadonlySet<string> = new Set([
  'b', 'p', 'm', 'f', 'd', 't', 'n', 'l', 'g', 'k', 'h', 'j', 'q', 'x', 'zh', 'ch', 'sh', 'r', 'z', 'c', 's', 'y', 'w',
]);

const TONE_MARKS: Readonly<Record<string, [string, number]>> = {
  ā: ['a', 1], á: ['a', 2], ǎ: ['a', 3], à: ['a', 4],
  ē: ['e', 1], é: ['e', 2], ě: ['e', 3], è: ['e', 4],
  ī: ['i', 1], í: ['i', 2], ǐ: ['i', 3], ì: ['i', 4],
  ō: ['o', 1], ó: ['o', 2], ǒ: ['o', 3], ò: ['o', 4],
  ū: ['u', 1], ú: ['u', 2], ǔ: ['u', 3], ù: ['u', 4],
  ǖ: ['v', 1], ǘ: ['v', 2], ǚ: ['v', 3], ǜ: ['v', 4], ü: ['v', 5],
};

/** Pause that stands in for a paralinguistic event ([breath], [laughter]) espeak cannot voice. */
const EVENT_PAUSE = '<break time="250ms"/>';

function escapeSsml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    // espeak would read whatever follows a literal `[[` as raw phonemes.
    .replace(/\[(?=\[)/g, '[ ')
    .replace(/\](?=\])/g, '] ');
}

/** `ǐ` → `i` + tone 3; a final without a mark is the neutral tone, which espeak numbers 5. */
function finalToNumbered(final: string): string {
  let tone = 5;
  let base = '';
  for (const ch of final.normalize('NFC')) {
    const marked = TONE_MARKS[ch];
    if (marked) {
      base += marked[0];
      if (marked[1] !== 5) tone = marked[1];
    } else {
      base += ch;
    }
  }
  return `${base}${tone}`;
}

/** A pinyin run is initial+final pairs or bare finals: `[n][ǐ][h][ǎo]` → `ni3hao3`. */
export function pinyinRunToNumbered(tokens: readonly string[]): string {
  const bare = tokens.map((t) => t.slice(1, -1));
  let out = '';
  for (let i = 0; i < bare.length; i++) {
    const part = bare[i] ?? '';
    const next = bare[i + 1];
    if (PINYIN_INITIALS.has(part) && next !== undefined && !PINYIN_INITIALS.has(next)) {
      out += part + finalToNumbered(next);
      i++;
    } else {
      out += finalToNumbered(part);
    }
  }
  return out;
}

class PieceBuilder {
  readonly pieces: EspeakPiece[] = [];

  constructor(private readonly language: string) {}

  add(input: string, language = this.language): void {
    const last = this.pieces.at(-1);
    if (last && last.language === language) last.input += input;
    else this.pieces.push({ language, input });
  }

  /** Adds `input` in `language`, as its own piece when that is not the text's own language. */
  addForeign(input: string, language: string): void {
    if (language === this.language) this.add(input);
    else this.add(` ${input} `, language);
  }

  finish(): EspeakPiece[] {
    return this.pieces.filter((p) => p.input.replace(/<[^>]*>/g, '').trim() !== '');
  }
}

export function toEspeakInput(text: string, language: string): EspeakInput {
  const scan = scanAnnotations(text);
  const runByStart = new Map<number, TokenRun>(scan.runs.map((r) => [r.start, r]));
  const ignoredEvents = new Set<string>();
  const ignoredControls = new Set<string>();
  const ignoredMarkup = new Set<string>();
  const out = new PieceBuilder(language);
  let skipUntil = -1;

  const handleToken = (token: AnnotationToken): void => {
    if (!token.known) {
      // Validation rejects unknown tokens before synthesis; anything left is ordinary prose.
      out.add(escapeSsml(token.text));
      return;
    }
    switch (token.kind) {
      case 'markup':
        if (token.text === '<strong>') out.add('<emphasis>');
        else if (token.text === '</strong>') out.add('</emphasis>');
        else ignoredMarkup.add(token.text.replace('/', ''));
        return;
      case 'paralinguistic':
        ignoredEvents.add(token.text);
        out.add(` ${EVENT_PAUSE} `);
        return;
      case 'control':
        ignoredControls.add(token.text);
        out.add(' ');
        return;
      default:
        // A lone CMU/pinyin token that did not form a run is still a run of one.
        speakRun({ kind: token.kind, tokens: [token], start: token.start, end: token.end });
    }
  };

  const speakRun = (run: TokenRun): void => {
    const tokens = run.tokens.map((t) => t.text);
    if (run.kind === 'cmu') out.addForeign(cmuRunToEspeak(tokens), 'en');
    else out.addForeign(pinyinRunToNumbered(tokens), 'cmn');
  };

  for (const span of scan.spans) {
    if (span.start < skipUntil) continue;
    if (span.type === 'text') {
      out.add(escapeSsml(span.text));
      continue;
    }
    const run = runByStart.get(span.start);
    if (run && span.token.known) {
      speakRun(run);
      skipUntil = run.end;
      continue;
    }
    handleToken(span.token);
  }

  // Emphasis needs its closing tag even if the client's pair was unbalanced (validation reports it).
  const pieces = out.finish().map((p) => ({ ...p, input: balanceEmphasis(p.input) }));
  const warnings: SynthesisWarning[] = [];
  if (ignoredEvents.size > 0 || ignoredMarkup.size > 0) {
    warnings.push({
      code: 'paralinguistic_ignored',
      message: `espeak cannot voice ${[...ignoredEvents, ...ignoredMarkup].join(', ')}; events became short pauses, tags were removed (the CosyVoice3 engine voices them).`,
      param: 'text',
    });
  }
  if (ignoredControls.size > 0) {
    warnings.push({
      code: 'control_token_ignored',
      message: `Control tokens ${[...ignoredControls].join(', ')} mean nothing to espeak and were removed.`,
      param: 'text',
    });
  }
  return { pieces, warnings };
}

function balanceEmphasis(input: string): string {
  const opens = input.split('<emphasis>').length - 1;
  const closes = input.split('</emphasis>').length - 1;
  let fixed = input;
  // A close before any open would be an SSML error; drop surplus closes from the front.
  for (let i = 0; i < closes - opens; i++) fixed = fixed.replace('</emphasis>', '');
  return fixed + '</emphasis>'.repeat(Math.max(0, opens - closes));
}
