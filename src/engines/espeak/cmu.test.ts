import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { CMU_BASE_PHONEMES, CMU_TOKENS } from '../../text/tokens.js';
import {
  CMU_TO_ESPEAK,
  CMU_UNSTRESSED_TO_ESPEAK,
  cmuRunToEspeak,
  cmuRunToEspeakPhonemes,
  substituteCmuRuns,
} from './cmu.js';

const run = (s: string): string => cmuRunToEspeak(s.split(' '));

describe('CMU → espeak mapping', () => {
  it('covers every CMU base phoneme in the token data', () => {
    assert.equal(CMU_BASE_PHONEMES.length, 39);
    for (const base of CMU_BASE_PHONEMES) assert.ok(CMU_TO_ESPEAK[base], `no mapping for ${base}`);
    assert.deepEqual(Object.keys(CMU_TO_ESPEAK).sort(), [...CMU_BASE_PHONEMES].sort());
  });

  it('converts every CMU token in the data, with or without brackets', () => {
    for (const token of CMU_TOKENS) {
      assert.match(cmuRunToEspeak([token]), /^\[\[[',]?\S+\]\]$/);
      assert.equal(cmuRunToEspeak([token]), cmuRunToEspeak([token.slice(1, -1)]));
    }
  });

  it('uses espeak English mnemonics and stress marks before the vowel', () => {
    assert.equal(run('M AY0 N UW1 T'), "[[maIn'u:t]]");
    assert.equal(run('M IH1 N AH0 T'), "[[m'In@t]]");
    assert.equal(run('IH2 N F ER0 M EY1 SH AH0 N'), "[[,Inf3m'eIS@n]]");
    assert.equal(run('W ER1 L D'), "[[w'3:ld]]");
    assert.equal(run('JH AH1 JH'), "[[dZ'VdZ]]");
    assert.equal(run('TH AE1 NG K'), "[[T'aNk]]");
    assert.equal(run('HH AE1 P IY0'), "[[h'api]]");
    assert.equal(run('B OY1 Z'), "[[b'OIz]]");
  });

  it('reduces AH0/ER0/IY0 and keeps the full quality when no stress digit is given', () => {
    assert.deepEqual(CMU_UNSTRESSED_TO_ESPEAK, { AH: '@', ER: '3', IY: 'i' });
    assert.equal(cmuRunToEspeakPhonemes(['AH0', 'AH1', 'AH2', 'AH']), "@'V,VV");
    assert.equal(cmuRunToEspeakPhonemes(['ER0', 'ER1', 'ER']), "3'3:3:");
  });

  it('merges a vowel with a syllable-final R into espeak’s r-coloured vowel', () => {
    assert.equal(run('K AA1 R'), "[[k'A@]]");
    assert.equal(run('G AA1 R D AH0 N'), "[[g'A@d@n]]");
    assert.equal(run('HH IY1 R'), "[[h'i@3]]");
    // R that starts the next syllable stays a consonant.
    assert.equal(run('K EH1 R IY0'), "[[k'Eri]]");
    assert.equal(run('Z IY1 B R AH0'), "[[z'i:br@]]");
  });

  it('writes a syllabic l for unstressed AH + final L', () => {
    assert.equal(run('T EY1 B AH0 L'), "[[t'eIb@L]]");
    assert.equal(run('AH0 L AW1'), "[[@l'aU]]");
  });

  it('rejects unknown phonemes and stress digits on consonants', () => {
    assert.throws(() => run('M AY3'), RangeError);
    assert.throws(() => run('XX1'), RangeError);
    assert.throws(() => run('T1'), RangeError);
    assert.throws(() => run('m ay1'), RangeError);
    assert.throws(() => cmuRunToEspeak([]), RangeError);
  });

  it('substitutes CMU runs in annotated text and defuses literal [[ ]]', () => {
    assert.equal(substituteCmuRuns('I need a [M][AY0][N][UW1][T].'), "I need a [[maIn'u:t]].");
    assert.equal(substituteCmuRuns('say [[raw]] [breath] ok'), 'say [ [raw] ] [breath] ok');
    assert.equal(substituteCmuRuns('x[[M][AY1]]'), "x[ [[m'aI]] ]");
    assert.equal(substituteCmuRuns('no runs'), 'no runs');
  });
});

// --- Against the real engine: the WASM espeak-ng the service embeds. ---

interface EspeakEvent {
  type: string;
  id: string | number | undefined;
  text_position: number;
}
interface EspeakWorker {
  set_voice(name: string): unknown;
  get_samplerate(): number;
  synthesize(text: string, callback: (samples: Int16Array, events: EspeakEvent[]) => number): void;
}
interface EspeakModule {
  eSpeakNGWorker: new () => EspeakWorker;
}

interface Synthesis {
  samples: number;
  /** IPA of each phoneme event, stress marks removed. */
  phonemes: string[];
}

function synthesize(worker: EspeakWorker, text: string): Synthesis {
  let samples = 0;
  const phonemes: string[] = [];
  worker.synthesize(text, (chunk, events) => {
    samples += chunk.length;
    for (const e of events) {
      if (e.type === 'phoneme' && typeof e.id === 'string' && e.id.trim() !== '') phonemes.push(e.id.replace(/[ˈˌ]/g, '').trim());
    }
    return 0;
  });
  return { samples, phonemes };
}

function containsSequence(haystack: readonly string[], needle: readonly string[]): boolean {
  return haystack.some((_, i) => needle.every((n, j) => haystack[i + j] === n));
}

describe('CMU → espeak with the embedded espeak-ng', () => {
  let worker: EspeakWorker;

  before(async () => {
    // The package ships no type declarations; import by variable and describe what we use.
    const specifier: string = '@echogarden/espeak-ng-emscripten';
    const mod = (await import(specifier)) as { default: () => Promise<EspeakModule> };
    const instance = await mod.default();
    worker = new instance.eSpeakNGWorker();
    assert.equal(worker.set_voice('en-us'), 0);
  });

  it('speaks a substituted CMU run with the expected phonemes', () => {
    const input = substituteCmuRuns('I need a [M][AY0][N][UW1][T].');
    const out = synthesize(worker, input);
    assert.ok(out.samples > 0, 'no audio');
    assert.ok(containsSequence(out.phonemes, ['m', 'aɪ', 'n', 'uː', 't']), out.phonemes.join(' '));
    // The same sentence spelled normally lasts about as long (it says "minute", not garbage).
    const plain = synthesize(worker, 'I need a minute.');
    const ratio = out.samples / plain.samples;
    assert.ok(ratio > 0.7 && ratio < 1.4, `duration ratio ${ratio}`);
  });

  it('accepts every mnemonic the mapping can emit, in en-us and en-gb', () => {
    const mnemonics = new Set([
      ...Object.values(CMU_TO_ESPEAK),
      ...Object.values(CMU_UNSTRESSED_TO_ESPEAK),
      'A@', 'o@', 'e@', 'i@3', 'U@', 'aI3', 'aU3', '@L',
    ]);
    for (const voice of ['en-us', 'en']) {
      assert.equal(worker.set_voice(voice), 0, `voice ${voice} missing`);
      for (const m of mnemonics) {
        // espeak stops at an unknown mnemonic, so the closing `d` only sounds if `m` parsed.
        const out = synthesize(worker, `[[b'${m}d]]`);
        assert.equal(out.phonemes.at(-1), 'd', `${voice}: ${m} → ${out.phonemes.join(' ')}`);
      }
    }
    worker.set_voice('en-us');
  });

  it('matches espeak’s own pronunciation of dictionary words', () => {
    // CMUdict pronunciations of words where CMU and espeak's lexicon agree on the vowels;
    // they differ elsewhere by choice ("minute" IH vs @, "about" ɐ vs ə), not by mapping.
    const words: Record<string, string> = {
      hello: 'HH AH0 L OW1', world: 'W ER1 L D', computer: 'K AH0 M P Y UW1 T ER0', water: 'W AO1 T ER0',
      father: 'F AA1 DH ER0', measure: 'M EH1 ZH ER0', church: 'CH ER1 CH', voice: 'V OY1 S', house: 'HH AW1 S',
      time: 'T AY1 M', say: 'S EY1', boat: 'B OW1 T', book: 'B UH1 K', sing: 'S IH1 NG', she: 'SH IY1', yes: 'Y EH1 S',
      car: 'K AA1 R', four: 'F AO1 R', there: 'DH EH1 R', here: 'HH IY1 R', poor: 'P UH1 R', city: 'S IH1 T IY0',
      table: 'T EY1 B AH0 L', question: 'K W EH1 S CH AH0 N', because: 'B IH0 K AH1 Z', garden: 'G AA1 R D AH0 N',
      thought: 'TH AO1 T', rhythm: 'R IH1 DH AH0 M', fire: 'F AY1 ER0', information: 'IH2 N F ER0 M EY1 SH AH0 N',
      morning: 'M AO1 R N IH0 NG', teacher: 'T IY1 CH ER0', window: 'W IH1 N D OW0', judge: 'JH AH1 JH',
    };
    const mismatches: string[] = [];
    for (const [word, pron] of Object.entries(words)) {
      const own = synthesize(worker, word).phonemes.join(' ');
      const ours = synthesize(worker, run(pron)).phonemes.join(' ');
      if (own !== ours) mismatches.push(`${word}: espeak ${own} / cmu ${ours}`);
    }
    assert.deepEqual(mismatches, []);
  });
});
