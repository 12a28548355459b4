// What the embedded espeak-ng reads aloud in each language voice cosyfleet uses: the scripts
// declared in capabilities.readable (src/engines/engine.ts); the service removes the rest before
// the text reaches espeak (src/text/unreadable.ts). Found by asking this build
// (@echogarden/espeak-ng-emscripten 0.3) for the phonemes of a word in each script with each
// voice (convert_to_phonemes, as `espeak-ng -v ja --ipa 漢字` does), and listening to what
// synthesize makes of it:
// - Every voice reads Latin: the cmn, yue, ko and ru voices switch to English for it; the ja
//   voice spells it with English letter names ("iPhone" -> "I P H O N E"), which is how it
//   reads an acronym and still intelligible.
// - Letters of a script a voice has no rules for are named, not read: kanji with `ja` (and Han
//   with `ko`, `en`, `de`, ...) comes out as "Chinese letter" once per character (in English,
//   German "chinesisches Schriftzeichen", Spanish "chino símbolo"); kana with `cmn` or `ko` as
//   "Japanese letter"; Cyrillic in every voice but `ru` as "Cyrillic П, Cyrillic Р, ..."; Thai,
//   Lao, Khmer, Myanmar, Tibetan, Ethiopic, Syriac, Thaana, Oriya, Mongolian, Hebrew, Arabic
//   and Braille as "<script> letter" plus the code point's hex digits ("Thai letter e 2 8 ...").
//   Bopomofo is read by `cmn` only ("ㄅㄆㄇ" -> bo po mo). Cherokee gives nothing at all.
// - espeak switches to its own voice of the language for Hangul (ko), Armenian (hy), Georgian
//   (ka), Devanagari (hi), Bengali (bn), Gurmukhi (pa), Gujarati (gu), Tamil (ta), Kannada (kn),
//   Malayalam (ml) and Sinhala (si), in every voice, so those are read; Telugu switches but is
//   spelled with letter names, so it is not. Greek switches to `el` in every voice but `en`,
//   which names the letters instead ("α" -> "alpha": what a Greek letter in English text usually
//   means), so Greek counts as read everywhere.
// - Emoji: `en` says CLDR-like names for some ("grinning face", "thumbs medium"), `ja`, `cmn`
//   and the others say nothing at all; so emoji never reach espeak (skipped, or named by the
//   service on request, in the request's language).
// Common-script characters are always passed on: digits, punctuation, and symbols espeak reads
// by name in English (`$` dollar, `%` percent, `€` euros, `√` square root) or skips silently
// (`♪`, `★`, `✓`: a text of nothing else is refused after synthesis as nothing_to_speak).
import type { ReadableText } from '../engine.js';
import { ESPEAK_LANGUAGE_VOICES } from './voices.js';

/** Scripts every espeak voice reads, by switching to espeak's own voice for them (see above). */
const SWITCHED = ['Latin', 'Greek', 'Hangul', 'Armenian', 'Georgian', 'Devanagari', 'Bengali', 'Gurmukhi', 'Gujarati', 'Tamil', 'Kannada', 'Malayalam', 'Sinhala'] as const;

/** Scripts a language voice reads with its own rules, beyond SWITCHED. */
const OWN: Readonly<Record<string, readonly string[]>> = {
  en: [],
  cmn: ['Han', 'Bopomofo'],
  yue: ['Han'],
  // Not Han: the ja voice names every kanji "Chinese letter" (it has no kanji readings).
  ja: ['Hiragana', 'Katakana'],
  // Not Han: hanja in Korean text is named "Chinese letter" too.
  ko: [],
  de: [],
  es: [],
  fr: [],
  it: [],
  ru: ['Cyrillic'],
};

export const ESPEAK_READABLE: ReadableText = Object.freeze({
  scripts: Object.freeze(
    Object.fromEntries(Object.keys(ESPEAK_LANGUAGE_VOICES).map((language) => [language, Object.freeze([...(OWN[language] ?? []), ...SWITCHED])])),
  ),
  emoji: false,
});
