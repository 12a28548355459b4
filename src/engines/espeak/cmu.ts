// CMU (ARPAbet) phoneme runs from CosyVoice-style annotations, `[M][AY0][N][UW1][T]`, turned
// into espeak-ng's phoneme input `[[m,aIn'u:t]]` so the embedded English voice says what the
// client spelled. Mnemonics are espeak's English phoneme names (phsource/ph_english*), checked
// against what espeak itself produces for dictionary words (see cmu.test.ts).
import { scanAnnotations } from '../../text/annotations.js';

/** Stressed (or stress-unspecified) quality of each CMU base phoneme as an espeak mnemonic. */
export const CMU_TO_ESPEAK: Readonly<Record<string, string>> = {
  AA: 'A:', AE: 'a', AH: 'V', AO: 'O:', AW: 'aU', AY: 'aI', EH: 'E', ER: '3:', EY: 'eI', IH: 'I', IY: 'i:',
  OW: 'oU', OY: 'OI', UH: 'U', UW: 'u:',
  B: 'b', CH: 'tS', D: 'd', DH: 'D', F: 'f', G: 'g', HH: 'h', JH: 'dZ', K: 'k', L: 'l', M: 'm', N: 'n', NG: 'N',
  P: 'p', R: 'r', S: 's', SH: 'S', T: 't', TH: 'T', V: 'v', W: 'w', Y: 'j', Z: 'z', ZH: 'Z',
};

/**
 * Stress 0 changes the vowel itself for these: CMU writes schwa as AH0 and the r-coloured schwa
 * as ER0, and an unstressed final IY is the short "happY" vowel espeak calls `i`.
 */
export const CMU_UNSTRESSED_TO_ESPEAK: Readonly<Record<string, string>> = { AH: '@', ER: '3', IY: 'i' };

/**
 * A vowel followed by R that does not start the next syllable is one r-coloured vowel in
 * espeak's English ("car" is k'A@, not k'A:r); espeak's plain `r` after a vowel is only a
 * linking r, which the American voice renders as a trill-like consonant.
 */
const RHOTIC: Readonly<Record<string, string>> = {
  AA: 'A@', AO: 'o@', OW: 'o@', EH: 'e@', EY: 'e@', IH: 'i@3', IY: 'i@3', UH: 'U@', UW: 'U@', AY: 'aI3', AW: 'aU3',
};

const VOWELS: ReadonlySet<string> = new Set(['AA', 'AE', 'AH', 'AO', 'AW', 'AY', 'EH', 'ER', 'EY', 'IH', 'IY', 'OW', 'OY', 'UH', 'UW']);

interface CmuPhoneme {
  base: string;
  /** 0, 1, 2, or undefined when the token carries no stress digit (`[AA]`). */
  stress: number | undefined;
}

function parsePhoneme(token: string): CmuPhoneme {
  const bare = token.startsWith('[') && token.endsWith(']') ? token.slice(1, -1) : token;
  const m = /^([A-Z]{1,2})([012])?$/.exec(bare);
  const base = m?.[1];
  if (base === undefined || CMU_TO_ESPEAK[base] === undefined || (m?.[2] !== undefined && !VOWELS.has(base))) {
    throw new RangeError(`Unknown CMU phoneme ${JSON.stringify(token)}`);
  }
  return { base, stress: m?.[2] === undefined ? undefined : Number(m[2]) };
}

function stressMark(stress: number | undefined): string {
  if (stress === 1) return "'";
  if (stress === 2) return ',';
  return '';
}

/**
 * The espeak phoneme mnemonics for a CMU run, without the `[[ ]]` wrapper. Stress marks go
 * immediately before the vowel, which is where espeak's own `-x` output puts them. A run with
 * no stress digits at all is left for espeak's stress rules to place.
 */
export function cmuRunToEspeakPhonemes(tokens: readonly string[]): string {
  const phonemes = tokens.map(parsePhoneme);
  let out = '';
  for (let i = 0; i < phonemes.length; i++) {
    const p = phonemes[i];
    if (!p) continue;
    if (!VOWELS.has(p.base)) {
      out += CMU_TO_ESPEAK[p.base] ?? '';
      continue;
    }
    const next = phonemes[i + 1];
    const afterNext = phonemes[i + 2];
    const rhotic = RHOTIC[p.base];
    if (rhotic !== undefined && next?.base === 'R' && !(afterNext && VOWELS.has(afterNext.base))) {
      out += stressMark(p.stress) + rhotic;
      i++;
      continue;
    }
    // Unstressed AH + L closing a syllable is espeak's syllabic l (`@L`, "table" t'eIb@L).
    if (p.base === 'AH' && p.stress === 0 && next?.base === 'L' && !(afterNext && VOWELS.has(afterNext.base))) {
      out += '@L';
      i++;
      continue;
    }
    const reduced = p.stress === 0 ? CMU_UNSTRESSED_TO_ESPEAK[p.base] : undefined;
    out += stressMark(p.stress) + (reduced ?? CMU_TO_ESPEAK[p.base] ?? '');
  }
  return out;
}

/**
 * `['M','AY0','N','UW1','T']` (or `['[M]', ...]`) → `[[maIn'u:t]]`, ready to embed in espeak
 * text input (synthesis must run with espeak's phoneme-input flag, which the WASM worker sets).
 * Throws RangeError on a token that is not a CMU phoneme; validate annotations first.
 */
export function cmuRunToEspeak(tokens: readonly string[]): string {
  if (tokens.length === 0) throw new RangeError('Empty CMU run');
  return `[[${cmuRunToEspeakPhonemes(tokens)}]]`;
}

/**
 * Replaces every CMU run in annotated text with its espeak phoneme input. Literal `[[`/`]]` in
 * the rest of the text are broken up, because espeak would otherwise read whatever follows as
 * raw phonemes. Other annotation tokens are left as they are for the caller to handle.
 */
export function substituteCmuRuns(text: string): string {
  const neutralize = (s: string): string => s.replace(/\[(?=\[)/g, '[ ').replace(/\](?=\])/g, '] ');
  const pieces: string[] = [];
  let pos = 0;
  for (const run of scanAnnotations(text).runs) {
    if (run.kind !== 'cmu') continue;
    pieces.push(neutralize(text.slice(pos, run.start)), cmuRunToEspeak(run.tokens.map((t) => t.text)));
    pos = run.end;
  }
  pieces.push(neutralize(text.slice(pos)));
  // A stray bracket glued to the inserted `[[`/`]]` would make a triple bracket; pad it.
  return pieces.reduce((acc, p) => acc + (/[[\]]$/.test(acc) && /^[[\]]/.test(p) ? ' ' : '') + p, '');
}
