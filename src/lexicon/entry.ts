// A lexicon entry and the rules for what may go in one. A pronunciation is spoken in place of
// the term, so it must be something every engine can read: CosyVoice3 phoneme tokens only, and
// of one kind, since a CMU run is an English word and a pinyin run Mandarin syllables.
import { AppError } from '../errors/app-error.js';
import { scanAnnotations, validateAnnotations } from '../text/annotations.js';
import { PINYIN_INITIALS } from '../text/tokens.js';
import { foldTerm } from './matcher.js';

/** Entries are scoped by owner so that per-key lexicons can come later; today everything is 'default'. */
export const DEFAULT_OWNER = 'default';

export const MAX_TERM_CHARS = 100;
export const MAX_PRONUNCIATION_CHARS = 300;

export type PronunciationKind = 'cmu' | 'pinyin';

export interface LexiconEntry {
  readonly id: string;
  readonly owner: string;
  readonly term: string;
  readonly pronunciation: string;
  /** The entry applies only to requests in this language; null: every language. */
  readonly language: string | null;
  readonly caseSensitive: boolean;
  readonly wholeWord: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What a client sends to create or replace an entry (the route schema supplies the defaults). */
export interface LexiconEntryInput {
  term: string;
  pronunciation: string;
  language?: string | null;
  caseSensitive?: boolean;
  wholeWord?: boolean;
}

export interface ValidEntryFields {
  term: string;
  pronunciation: string;
  kind: PronunciationKind;
  language: string | null;
  caseSensitive: boolean;
  wholeWord: boolean;
}

// Line breaks and other control characters would let a term match across what the client
// meant as separate lines, and cannot be typed into a term on purpose.
const CONTROL = /\p{Cc}/u;

const codePoints = (s: string): number => [...s].length;

/** Checks and normalizes an entry; throws the AppError a client should see. */
export function validateEntryInput(input: LexiconEntryInput): ValidEntryFields {
  const term = input.term.trim();
  if (term === '') throw new AppError('invalid_value', 'term must contain something other than whitespace.', { param: 'term' });
  if (codePoints(term) > MAX_TERM_CHARS) {
    throw new AppError('invalid_value', `term has ${codePoints(term)} characters; at most ${MAX_TERM_CHARS} are allowed.`, { param: 'term' });
  }
  if (CONTROL.test(term)) throw new AppError('invalid_value', 'term must not contain line breaks or control characters.', { param: 'term' });
  const inTerm = scanAnnotations(term).tokens[0];
  if (inTerm) {
    throw new AppError('invalid_value', `term must be plain text; it contains the annotation token ${inTerm.text} at position ${inTerm.start}.`, {
      param: 'term',
    });
  }
  const { pronunciation, kind } = validatePronunciation(input.pronunciation);
  return {
    term,
    pronunciation,
    kind,
    language: input.language ?? null,
    caseSensitive: input.caseSensitive ?? false,
    wholeWord: input.wholeWord ?? true,
  };
}

/**
 * A pronunciation is one or more runs of CMU phoneme tokens (`[M][AY0][N][UW1][T]`) or of pinyin
 * tokens (`[j][ǐ]`), runs separated by whitespace (one CMU run is one spoken word), nothing else.
 * Returned with whitespace collapsed to single spaces and in NFC, the form the token list uses.
 */
export function validatePronunciation(raw: string): { pronunciation: string; kind: PronunciationKind } {
  const pronunciation = raw.normalize('NFC').trim().replace(/\s+/g, ' ');
  const fail = (message: string): never => {
    throw new AppError('invalid_pronunciation', message, { param: 'pronunciation' });
  };
  if (pronunciation === '') fail('pronunciation must hold CMU phoneme or pinyin tokens, e.g. [M][AY0][N][UW1][T] or [j][ǐ].');
  if (codePoints(pronunciation) > MAX_PRONUNCIATION_CHARS) {
    throw new AppError('invalid_value', `pronunciation has ${codePoints(pronunciation)} characters; at most ${MAX_PRONUNCIATION_CHARS} are allowed.`, {
      param: 'pronunciation',
    });
  }
  const scan = scanAnnotations(pronunciation);
  const issue = validateAnnotations(pronunciation, scan)[0];
  if (issue) {
    const hint = issue.suggestion ? ` Did you mean ${issue.suggestion}?` : '';
    throw new AppError('invalid_token', `Invalid token ${issue.token} at position ${issue.position}: ${issue.message}.${hint}`, {
      param: 'pronunciation',
    });
  }
  for (const span of scan.spans) {
    if (span.type === 'text' && span.text.trim() !== '') {
      fail(`pronunciation must consist of tokens only; "${span.text.trim()}" at position ${span.start} is not a token (write [M][AY0][N][UW1][T] or [j][ǐ]).`);
    }
    if (span.type === 'token' && span.token.kind !== 'cmu' && span.token.kind !== 'pinyin') {
      fail(`pronunciation may hold only CMU phoneme or pinyin tokens; ${span.token.text} at position ${span.start} is a ${span.token.kind} token.`);
    }
  }
  const first = scan.tokens[0];
  const other = scan.tokens.find((t) => t.kind !== first?.kind);
  if (!first) return fail('pronunciation must hold CMU phoneme or pinyin tokens.');
  if (other) {
    fail(
      `pronunciation mixes CMU phoneme and pinyin tokens (${first.text} at position ${first.start}, ${other.text} at position ${other.start}); use one kind.`,
    );
  }
  const kind = first.kind as PronunciationKind;
  if (kind === 'pinyin') {
    // An initial alone is no syllable; espeak and CosyVoice would both misread it.
    for (const run of scan.runs) {
      run.tokens.forEach((t, i) => {
        const next = run.tokens[i + 1];
        if (PINYIN_INITIALS.has(t.text) && (!next || PINYIN_INITIALS.has(next.text))) {
          fail(`pinyin initial ${t.text} at position ${t.start} must be followed by a final (e.g. [j][ǐ]).`);
        }
      });
    }
  }
  return { pronunciation, kind };
}

/**
 * Two entries are duplicates when they would compete for the same text with no rule to pick
 * one: same owner and language, and the same term under the same case rule (exactly equal when
 * both are case-sensitive, equal ignoring case when both are not). A case-sensitive `US` may sit
 * beside a case-insensitive `us`: where both match, the case-sensitive one wins.
 */
export function isDuplicate(a: Omit<LexiconEntry, 'id' | 'createdAt' | 'updatedAt'>, b: Omit<LexiconEntry, 'id' | 'createdAt' | 'updatedAt'>): boolean {
  if (a.owner !== b.owner || a.language !== b.language || a.caseSensitive !== b.caseSensitive) return false;
  return a.caseSensitive ? a.term.normalize('NFC') === b.term.normalize('NFC') : foldTerm(a.term) === foldTerm(b.term);
}
