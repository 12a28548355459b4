// Workload files: YAML and JSON parse to the same spec; every invalid field is named.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { PlannerInputError } from '../../src/planner/validate.js';
import { loadWorkloadFile, parseWorkload, validateWorkload } from '../../src/planner/workload.js';

const yamlText = readFileSync(new URL('../../examples/workload.yaml', import.meta.url), 'utf8');

function problemsOf(text: string, name: string): string[] {
  try {
    parseWorkload(text, name);
  } catch (err) {
    assert.ok(err instanceof PlannerInputError, String(err));
    assert.ok(err.message.includes(name), 'the message names the file');
    return [...err.problems];
  }
  assert.fail('expected the workload to be refused');
}

test('the YAML and JSON forms of a workload give the same spec, with defaults filled in', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cosyfleet-workload-'));
  writeFileSync(join(dir, 'w.yaml'), yamlText);
  writeFileSync(join(dir, 'w.json'), JSON.stringify(parseYaml(yamlText)));
  const fromYaml = loadWorkloadFile(join(dir, 'w.yaml'));
  const fromJson = loadWorkloadFile(join(dir, 'w.json'));
  assert.deepEqual(fromJson, fromYaml);
  assert.equal(fromYaml.weeklyWeights.length, 168);
  assert.equal(fromYaml.weeklyWeights[9], 8, 'Monday 09:00');
  assert.equal(fromYaml.weeklyWeights[5 * 24 + 9], 5, 'Saturday 09:00');
  assert.equal(fromYaml.engine, 'cosyvoice3-trtllm');
  assert.equal(fromYaml.strategies.autoscale.minInstances, 1);
  assert.equal(fromYaml.planning.days, 30);
});

test('invalid fields are named by their path, all at once', () => {
  const bad = yamlText
    .replace('p95FirstAudioMs: 1500', 'p95FirstAudioMs: -5')
    .replace('[1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 8, 8, 8, 8, 8, 7, 6, 5, 4, 3, 2, 1]', '[1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 8, 8, 8, 8, 8, 7, 6, 5, 4, 3, 2]')
    .replace('share: 0.4', 'share: 0.5')
    .replace('charsPerSecond: 15', 'charsPerSecond: "fast"')
    .replace('requestsPerDay: 50000', 'requestPerDay: 50000')
    .replace('format: mp3', 'format: ogg')
    .replace('region: us-east-1', 'region: Virginia');
  const problems = problemsOf(bad, 'bad.yaml');
  const expect = [
    /^slo\.p95FirstAudioMs: must be greater than 0, got -5$/,
    /^hourlyWeights\.weekday: must have exactly 24 entries \(one per hour\), got 23$/,
    /^language\[1\]\.charsPerSecond: must be a number, got "fast"$/,
    /^requestPerDay: unknown field/,
    /^requestsPerDay: is required$/,
    /^storage\.format: must be one of mp3, opus, aac, wav, pcm, flac, got "ogg"$/,
    /^region: has an unexpected form: "Virginia"$/,
  ];
  for (const re of expect) assert.ok(problems.some((p) => re.test(p)), `no problem matches ${re}:\n${problems.join('\n')}`);
});

test('cross-field rules name the field they concern', () => {
  const base = parseYaml(yamlText) as Record<string, unknown>;
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ language: [{ code: 'zh', share: 0.6, charsPerSecond: 4.5 }, { code: 'en', share: 0.3, charsPerSecond: 15 }] }, /^language: shares must add up to 1, got 0\.9$/],
    [{ hourlyWeights: new Array(24).fill(0) }, /^hourlyWeights: must not be all zero$/],
    [{ hourlyWeights: [...new Array(23).fill(1), -1] }, /^hourlyWeights\[23\]: must be at least 0, got -1$/],
    [{ burstFactor: 5, burstShare: 0.25 }, /^burstFactor: burstFactor x burstShare must stay below 1/],
    [{ lengthDistribution: { type: 'buckets', buckets: [{ chars: 100, share: 0.5 }, { chars: 300, share: 0.4 }] } }, /^lengthDistribution\.buckets: shares must add up to 1, got 0\.9$/],
    [{ storage: { retentionDays: 90, lifecycle: [{ afterDays: 30, storageClass: 'GLACIER_DEEP' }] } }, /^storage\.lifecycle\[0\]\.storageClass: must be one of/],
    [{ strategies: { spot: { interruptionsPerInstanceMonth: -1 } } }, /^strategies\.spot\.interruptionsPerInstanceMonth: must be at least 0/],
    [{ profiles: [{ engine: 'cosyvoice3-trtllm', gpu: 'L4', throughput: [{ concurrency: 0, rtf: 0.2 }], firstAudioMs: [{ concurrency: 1, ms: 300 }], source: 'x', sourceDate: 'y' }] }, /^profiles\[0\]\.throughput\[0\]\.concurrency: must be at least 1, got 0$/],
    [{ slo: { p95FirstAudioMs: 1000 } }, /^slo\.p95CompletionMs: is required$/],
  ];
  for (const [patch, re] of cases) {
    const problems = problemsOf(JSON.stringify({ ...base, ...patch }), 'w.json');
    assert.ok(problems.some((p) => re.test(p)), `${JSON.stringify(patch)} -> ${problems.join(' | ')}`);
  }
});

test('syntax errors say which format and where', () => {
  const yamlProblems = problemsOf('requestsPerDay: 5\nslo: {p95FirstAudioMs: 1\n', 'broken.yaml');
  assert.match(yamlProblems[0] ?? '', /^YAML: .*line 3/);
  const jsonProblems = problemsOf('{"requestsPerDay": 5,', 'broken.json');
  assert.match(jsonProblems[0] ?? '', /^JSON: /);
  const dup = problemsOf('requestsPerDay: 5\nrequestsPerDay: 6\n', 'dup.yml');
  assert.match(dup[0] ?? '', /^YAML: .*(unique|Map keys)/i);
});

test('every number is bounded by what the model can mean, and the problem names the field and the bound', () => {
  const base = parseYaml(yamlText) as Record<string, unknown>;
  const profile = { engine: 'cosyvoice3-trtllm', gpu: 'L4', throughput: [{ concurrency: 1, rtf: 0.2 }], firstAudioMs: [{ concurrency: 1, ms: 300 }], source: 'x', sourceDate: 'y' };
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ requestsPerDay: 1e12 }, /^requestsPerDay: must be at most 1000000000, got 1000000000000$/],
    [{ meanChars: 5e6 }, /^meanChars: must be at most 1000000, got 5000000$/],
    [{ lengthDistribution: { type: 'lognormal', cv: 0.5, maxChars: 1e7 } }, /^lengthDistribution\.maxChars: must be at most 1000000, got 10000000$/],
    [{ lengthDistribution: { type: 'buckets', buckets: Array.from({ length: 300 }, () => ({ chars: 180, share: 1 / 300 })) } }, /^lengthDistribution\.buckets: must have at most 256 entries, got 300$/],
    [{ slo: { p95FirstAudioMs: 1500, p95CompletionMs: 1e12 } }, /^slo\.p95CompletionMs: must be at most 86400000, got 1000000000000$/],
    [{ hourlyWeights: [...new Array(23).fill(1), 1e300] }, /^hourlyWeights\[23\]: must be at most 1000000, got 1e\+300$/],
    [{ delivery: { downloadsPerOutput: 1e9 } }, /^delivery\.downloadsPerOutput: must be at most 1000000/],
    [{ strategies: { autoscale: { minInstances: 1e6 } } }, /^strategies\.autoscale\.minInstances: must be at most 1000, got 1000000$/],
    [{ strategies: { spot: { onDemandBase: 5000 } } }, /^strategies\.spot\.onDemandBase: must be at most 1000, got 5000$/],
    [{ planning: { seed: 2 ** 40 } }, /^planning\.seed: must be at most 4294967295/],
    [{ storage: { lifecycle: [1, 2, 3, 4, 5, 6].map((i) => ({ afterDays: i * 30, storageClass: 'STANDARD_IA' })) } }, /^storage\.lifecycle: must have at most 5 transitions/],
    [{ instanceTypes: ['g5.xlarge', 'x'.repeat(300)] }, /^instanceTypes\[1\]: must be at most 200 characters, got 300$/],
    [{ name: 'n'.repeat(1000) }, /^name: must be at most 200 characters, got 1000$/],
    [{ language: Array.from({ length: 100 }, () => ({ code: 'en', share: 0.01, charsPerSecond: 15 })) }, /^language: must have at most 64 entries, got 100$/],
    [{ profiles: [{ ...profile, maxConcurrency: 1e6 }] }, /^profiles\[0\]\.maxConcurrency: must be at most 1024, got 1000000$/],
    [{ profiles: [{ ...profile, throughput: [{ concurrency: 1, rtf: 1e-300 }] }] }, /^profiles\[0\]\.throughput\[0\]\.rtf: must be at least 0\.00001, got 1e-300$/],
    // month 0 within the bound, but growth compounds it past the bound by the planned month.
    [{ requestsPerDay: 5e8, growthPerMonth: 10, planning: { month: 2 } }, /^growthPerMonth: compounds requestsPerDay 500000000 to 6\.66e\+11 a day by the end of planning\.month 2; the planner models at most 1000000000 a day$/],
  ];
  for (const [patch, re] of cases) {
    const problems = problemsOf(JSON.stringify({ ...base, ...patch }), 'w.json');
    assert.ok(problems.some((p) => re.test(p)), `${JSON.stringify(patch).slice(0, 200)} -> ${problems.join(' | ').slice(0, 600)}`);
  }
  // The bounds themselves are accepted.
  validateWorkload({ ...base, requestsPerDay: 1e9, growthPerMonth: 0, meanChars: 1e6, lengthDistribution: { type: 'fixed' } });
});

test('a body nested thousands of levels deep is refused field by field, without recursing into it', () => {
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = { a: deep };
  const base = parseYaml(yamlText) as Record<string, unknown>;
  const problems = (() => {
    try {
      validateWorkload({ ...base, name: deep, profiles: deep, extra: deep });
    } catch (err) {
      assert.ok(err instanceof PlannerInputError);
      return err.problems;
    }
    return assert.fail('expected the workload to be refused');
  })();
  assert.ok(problems.includes('name: must be a non-empty string, got an object'), problems.join(' | '));
  assert.ok(problems.some((p) => /^profiles\.a: unknown field/.test(p)), problems.join(' | '));
  assert.ok(problems.some((p) => /^extra: unknown field/.test(p)), problems.join(' | '));
});

test('language codes are read as people write tags: each resolves to the engine code, the tag kept as written', () => {
  const base = parseYaml(yamlText) as Record<string, unknown>;
  const cases: [string, string][] = [
    ['zh', 'cmn'], ['zh-CN', 'cmn'], ['zh-Hans', 'cmn'], ['cmn-Hans-CN', 'cmn'], ['ZH-cn', 'cmn'], ['Mandarin', 'cmn'],
    ['zh-HK', 'yue'], ['zh-yue', 'yue'], ['yue', 'yue'],
    ['en-US', 'en'], ['EN', 'en'], ['en_GB', 'en'], ['ja-JP', 'ja'], ['ko-KR', 'ko'], ['de-DE', 'de'], ['fr-CA', 'fr'],
  ];
  for (const [tag, code] of cases) {
    const w = validateWorkload({ ...base, language: [{ code: tag, share: 1, charsPerSecond: 10 }] });
    assert.deepEqual(w.language, [{ code, ...(tag === code ? {} : { tag }), share: 1, charsPerSecond: 10 }], tag);
  }
  // The example file writes `zh` and `en`.
  const example = validateWorkload(base);
  assert.deepEqual(example.language.map((l) => [l.code, l.tag]), [['cmn', 'zh'], ['en', undefined]]);
});

test('an unknown language tag names the closest supported language; two tags for one language are refused', () => {
  const base = parseYaml(yamlText) as Record<string, unknown>;
  const unknown = problemsOf(JSON.stringify({ ...base, language: [{ code: 'jp', share: 0.5, charsPerSecond: 5 }, { code: 'klingon', share: 0.5, charsPerSecond: 15 }] }), 'w.json');
  assert.ok(unknown.some((p) => /^language\[0\]\.code: Language "jp" is not supported; the closest is "ja" \(Japanese\)/.test(p)), unknown.join(' | '));
  assert.ok(unknown.some((p) => /^language\[1\]\.code: Language "klingon" is not supported; the closest is "en" \(English\)/.test(p)), unknown.join(' | '));

  const twice = problemsOf(JSON.stringify({ ...base, language: [{ code: 'zh', share: 0.3, charsPerSecond: 4.5 }, { code: 'en', share: 0.4, charsPerSecond: 15 }, { code: 'zh-CN', share: 0.3, charsPerSecond: 4 }] }), 'w.json');
  assert.deepEqual(twice, ['language[2].code: "zh-CN" is cmn (Mandarin Chinese), which language[0] already lists as "zh"; list each language once (add up the shares, pick one charsPerSecond)']);
  // Mandarin and Cantonese are two languages, however both are written.
  const both = validateWorkload({ ...base, language: [{ code: 'zh-CN', share: 0.5, charsPerSecond: 4.5 }, { code: 'zh-HK', share: 0.5, charsPerSecond: 4.5 }] });
  assert.deepEqual(both.language.map((l) => l.code), ['cmn', 'yue']);
});
