// Whether text holds anything an engine turns into speech. Text made only of sound events an
// engine cannot voice, control tokens, markup tags, punctuation and spaces would come back as an
// empty audio file, which a client cannot tell from a broken server; synthesis refuses it instead.
import { scanAnnotations, type TokenKind } from './annotations.js';

// Letters, digits and symbols (`$`, `%`, `+` are read out); punctuation, separators, control and
// format characters are not spoken on their own.
const SPOKEN_CHAR = /[\p{L}\p{N}\p{S}]/u;

/**
 * True when `text` holds a letter, digit or symbol outside annotation tokens, a CMU or pinyin
 * token (every engine speaks those), or a token of a kind in `voiced` (an engine that voices
 * `[breath]` lists `paralinguistic`). Control tokens and markup tags never count on their own.
 */
export function hasSpeakableContent(text: string, voiced: readonly TokenKind[]): boolean {
  for (const span of scanAnnotations(text).spans) {
    if (span.type === 'text') {
      if (SPOKEN_CHAR.test(span.text)) return true;
      continue;
    }
    const kind = span.token.kind;
    if (kind === 'cmu' || kind === 'pinyin') return true;
    if (kind === 'paralinguistic' && voiced.includes(kind)) return true;
  }
  return false;
}
