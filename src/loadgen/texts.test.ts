import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectLanguage, LANGUAGE_CODES } from '../text/language.js';
import { validateWorkload } from '../planner/workload.js';
import { fixedTexts, sampleText, SAMPLE_PASSAGES, workloadTexts } from './texts.js';

test('every language has a passage, cut to at most the asked length at a word boundary', () => {
  for (const lang of LANGUAGE_CODES) {
    const passage = SAMPLE_PASSAGES[lang];
    for (const chars of [1, 7, 40, 199, 200, 1000]) {
      const text = sampleText(lang, chars);
      const n = [...text].length;
      assert.ok(n >= 1 && n <= chars, `${lang} ${chars}: ${n} characters`);
      assert.equal(text, text.trim(), `${lang} ${chars}: no outer spaces`);
      if (chars >= 40) assert.ok(n >= chars - 20, `${lang} ${chars}: ${n} characters, too short`);
      // Spaced scripts end on a whole word of the passage (as written there).
      if (!['cmn', 'yue', 'ja'].includes(lang) && chars >= 40) {
        const words = new Set(passage.split(' '));
        assert.ok(words.has(text.split(' ').at(-1) as string), `${lang} ${chars}: ends mid-word: …${text.slice(-20)}`);
      }
    }
  }
});

test('the passages read as their own language to the service\'s detector (the OpenAI route sends no language)', () => {
  for (const lang of LANGUAGE_CODES) assert.equal(detectLanguage(sampleText(lang, 120)), lang, lang);
});

test('fixed texts repeat one item; workload texts follow the length table and language shares, the same for the same seed', () => {
  const fixed = fixedTexts(80, 'de');
  assert.equal(fixed.next(), fixed.next());
  assert.equal(fixed.next().language, 'de');
  const w = validateWorkload({
    name: 'mix', requestsPerDay: 1000, meanChars: 100, lengthDistribution: { type: 'buckets', buckets: [{ chars: 50, share: 0.5 }, { chars: 150, share: 0.5 }] },
    language: [{ code: 'zh-CN', share: 0.25, charsPerSecond: 4.5 }, { code: 'en', share: 0.75, charsPerSecond: 15 }],
    hourlyWeights: new Array(24).fill(1), streamingShare: 1, slo: { p95FirstAudioMs: 1000, p95CompletionMs: 5000 }, region: 'us-east-1',
  });
  const a = workloadTexts(w, 3);
  const b = workloadTexts(w, 3);
  const draws = Array.from({ length: 2000 }, () => a.next());
  assert.deepEqual(draws.slice(0, 50), Array.from({ length: 50 }, () => b.next()));
  const zh = draws.filter((d) => d.language === 'cmn').length / draws.length;
  assert.ok(zh > 0.2 && zh < 0.3, `cmn share ${zh}`);
  assert.deepEqual(new Set(draws.map((d) => d.language)), new Set(['cmn', 'en']));
  const lengths = draws.map((d) => d.chars);
  assert.ok(lengths.every((n) => n <= 150 && n > 30), 'lengths within the buckets');
  const short = lengths.filter((n) => n <= 50).length / lengths.length;
  assert.ok(short > 0.4 && short < 0.6, `short share ${short}`);
  assert.deepEqual(a.describe, { source: 'workload', name: 'mix', meanChars: 100, languages: { cmn: 0.25, en: 0.75 } });
});
