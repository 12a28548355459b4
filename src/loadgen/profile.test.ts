import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bundledCatalog, findGpu } from '../planner/catalog.js';
import { bundledEngines, loadUserProfiles, resolveProfile } from '../planner/profiles.js';
import { ProfileError, toProfile } from './profile.js';
import type { BenchRun, LevelStats } from './types.js';

function level(concurrency: number, aps: number, o: Partial<LevelStats> = {}): LevelStats {
  return {
    concurrency, rate: null, complete: true, windowS: 10, requests: 10, ok: 10, errors: {}, errorCount: 0, status429: 0, errorShare: 0, aborted: 0, warmup: 0, drained: 0,
    audioSeconds: aps * 10, audioSecondsPerSecond: aps, requestsPerSecond: 1, firstAudioMs: { n: 10, mean: 100 * concurrency, p50: 90 * concurrency, p95: 150 * concurrency, p99: 160 * concurrency },
    completionMs: { n: 10, mean: 1000, p50: 900, p95: 1500, p99: 1600 }, meanRtf: 0.1, errorSamples: {}, ...o,
  };
}

const run: BenchRun = {
  tool: 'cosyfleet bench 0.1.0', mode: 'closed',
  target: { url: 'http://user:secret@gpu-box:8080/?k=1', route: 'tts', path: '/v1/tts', audioFormat: 'pcm' },
  texts: { source: 'fixed', chars: 200, language: 'en' },
  startedAt: '2026-12-04T02:00:00.000Z', endedAt: '2026-12-04T02:03:00.000Z', wallS: 180, stoppedBy: 'errors',
  levels: [level(1, 5), level(2, 9), level(4, 12), level(8, 12.2, { errorShare: 0.1, status429: 1 }), level(16, 3, { complete: false })],
  saturation: { concurrency: 4, saturated: true, reason: 'r' },
  totals: { arrivals: 50, sent: 50, ok: 49, errors: 0, status429: 1, aborted: 0, dropped: 0 },
  charsPerSecond: { en: 15.2, cmn: 0 }, settings: { levelDurationS: 10, warmupS: 3 }, records: [],
};

test('a closed-loop run becomes a profile the planner reads back as measured', () => {
  const p = toProfile(run, { engine: 'cosyvoice3-trtllm', gpu: 'L4', instanceType: 'g6.xlarge', flags: { precision: 'fp16', workers: 2 }, host: { note: 'x' } });
  // The failing level (10% errors) and the cut-short one are left out.
  assert.deepEqual(p.throughput.map((t) => t.concurrency), [1, 2, 4]);
  assert.deepEqual(p.firstAudioMs[2], { concurrency: 4, ms: 400, p95Ms: 600 });
  assert.equal(p.maxConcurrency, 4);
  assert.equal(p.source, 'cosyfleet bench 0.1.0 against http://gpu-box:8080 /v1/tts');
  assert.equal(p.sourceDate, '2026-12-04');
  assert.deepEqual(p.charsPerSecond, { en: 15.2 });
  assert.equal(p.flags.precision, 'fp16');
  assert.equal(p.flags.route, '/v1/tts');
  assert.equal(p.flags.levelDurationS, 10);
  assert.deepEqual(p.host, { note: 'x' });

  const dir = mkdtempSync(join(tmpdir(), 'bench-profile-'));
  try {
    const file = join(dir, 'p.json');
    writeFileSync(file, JSON.stringify(p));
    const [curve] = loadUserProfiles(file);
    assert.equal(curve?.engine, 'cosyvoice3-trtllm');
    assert.equal(curve?.measurement?.profileSource, 'measured');
    assert.equal(curve?.measurement?.instanceType, 'g6.xlarge');
    const catalog = bundledCatalog();
    const engine = bundledEngines().find((e) => e.engine === 'cosyvoice3-trtllm');
    const r = resolveProfile({ engine: engine!, gpu: findGpu(catalog, 'L4')!, catalog, userCurves: [curve!] });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.profile.source, 'measured');
    assert.equal(r.profile.maxConcurrency, 4);
    assert.equal(r.profile.throughput[4], 12);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('provenance stays within the planner\'s bounds; --local adds this machine', () => {
  const flags = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`k${i}`, 'v'.repeat(300)]));
  const p = toProfile(run, { engine: 'e', gpu: 'g', flags, local: true });
  assert.equal(Object.keys(p.flags).length, 64);
  assert.ok(Object.values(p.flags).every((v) => String(v).length <= 200));
  assert.equal(typeof p.host.cpus, 'number');
  assert.equal(p.host.node, process.version);
  assert.ok(['cpuModel', 'memoryGiB', 'arch', 'os'].every((k) => k in p.host));
});

test('no profile from an open loop or from a run without a clean level', () => {
  assert.throws(() => toProfile({ ...run, mode: 'open' }, { engine: 'e', gpu: 'g' }), ProfileError);
  assert.throws(() => toProfile({ ...run, levels: [level(1, 5, { errorShare: 0.5 })] }, { engine: 'e', gpu: 'g' }), /no level can go into a profile/);
});

test("the profile's throughput is the server's, with c requests in it: the client's gaps between requests do not count", () => {
  // Two clients; each request is 10 s of audio done in 0.5 s, and the client takes 0.5 s more
  // before its next one: the wall clock sees 20 audio-s/s, the server ran 2 x 10 / 0.5 = 40.
  const rec = (id: number) => ({
    id, concurrency: 2, language: 'en' as const, chars: 150, sentAtMs: id * 1000, endedAtMs: id * 1000 + 500, phase: 'window' as const,
    outcome: 'ok' as const, status: 200, firstAudioMs: 50, completionMs: 500, audioSeconds: 10, rtf: 0.05,
  });
  const gappy: BenchRun = {
    ...run,
    levels: [level(1, 5), level(2, 20)],
    saturation: { concurrency: 2, saturated: false, reason: 'r' },
    records: [rec(1), rec(2), rec(3), rec(4), { ...rec(5), phase: 'warmup' }, { ...rec(6), outcome: 'http_error' as const, audioSeconds: null, completionMs: null }],
  };
  const p = toProfile(gappy, { engine: 'cosyvoice3-trtllm', gpu: 'L4' });
  assert.deepEqual(p.throughput, [{ concurrency: 1, audioSecondsPerSecond: 5 }, { concurrency: 2, audioSecondsPerSecond: 40 }]);
});

test("the profile carries the spread of one request's time at one stream (fixed texts), which the planner's queues wait on", () => {
  // 20 requests at one stream taking 80 or 120 ms (mean 100, sample variance 400·20/19): scv 0.0421.
  const rec = (id: number, ms: number, o: { concurrency?: number; phase?: 'window' | 'warmup' } = {}) => ({
    id, concurrency: o.concurrency ?? 1, language: 'en' as const, chars: 200, sentAtMs: id * 200, endedAtMs: id * 200 + ms, phase: o.phase ?? ('window' as const),
    outcome: 'ok' as const, status: 200, firstAudioMs: 10, completionMs: ms, audioSeconds: 10, rtf: 0.05,
  });
  const times = Array.from({ length: 20 }, (_, i) => rec(i + 1, i % 2 ? 120 : 80));
  // Requests at another concurrency or in the warm-up do not count.
  const records = [...times, rec(30, 5000, { concurrency: 2 }), rec(31, 5000, { phase: 'warmup' })];
  const p = toProfile({ ...run, records }, { engine: 'cosyvoice3-trtllm', gpu: 'L4' });
  assert.equal(p.serviceScv, Math.round(((400 * 20) / 19 / 100 ** 2) * 1000) / 1000);
  // Too few requests, or texts whose lengths already vary (a workload's): no figure.
  assert.equal(toProfile({ ...run, records: times.slice(0, 19) }, { engine: 'cosyvoice3-trtllm', gpu: 'L4' }).serviceScv, undefined);
  const workloadTexts = { source: 'workload' as const, name: 'w', meanChars: 200, languages: { en: 1 } };
  assert.equal(toProfile({ ...run, records, texts: workloadTexts } as BenchRun, { engine: 'cosyvoice3-trtllm', gpu: 'L4' }).serviceScv, undefined);

  // The planner reads it back into the profile it plans with.
  const catalog = bundledCatalog();
  const engine = bundledEngines().find((e) => e.engine === 'cosyvoice3-trtllm')!;
  const dir = mkdtempSync(join(tmpdir(), 'bench-profile-'));
  try {
    const file = join(dir, 'p.json');
    writeFileSync(file, JSON.stringify(p));
    const [curve] = loadUserProfiles(file);
    const r = resolveProfile({ engine, gpu: findGpu(catalog, 'L4')!, catalog, userCurves: [curve!] });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.profile.serviceScv, p.serviceScv);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
