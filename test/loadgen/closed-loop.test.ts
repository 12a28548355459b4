// cosyfleet bench's closed loop against the real service (espeak) on loopback: the levels it
// measures, the profile it writes, and the planner reading that profile and planning with it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';
import { runClosedLoop, toProfile, renderJson, renderMarkdown, renderTable, runBenchCommand, fixedTexts, sampleText, type BenchEvent, type BenchRun } from '../../src/loadgen/index.js';
import { LANGUAGE_CODES } from '../../src/text/language.js';
import { bundledCatalog, findGpu } from '../../src/planner/catalog.js';
import { bundledEngines, loadUserProfiles, resolveProfile } from '../../src/planner/profiles.js';
import { validateWorkload } from '../../src/planner/workload.js';
import { plan } from '../../src/planner/plan.js';

describe('cosyfleet bench, closed loop, against the real service', () => {
  let server: TestServer;
  let dir: string;
  before(async () => {
    server = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'bench-closed-'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('speaks every language\'s sample text without warnings (nothing skipped that would shorten the audio)', async () => {
    for (const language of LANGUAGE_CODES) {
      const res = await postJson(`${server.url}/v1/tts`, { text: sampleText(language, 40), language, format: 'pcm' });
      assert.equal(res.status, 200, language);
      assert.equal(res.headers.get('x-warnings'), null, `${language}: ${res.headers.get('x-warnings')}`);
      assert.ok((await res.arrayBuffer()).byteLength > 0, language);
    }
  });

  let run: BenchRun;
  it('measures each level: positive throughput, first audio before completion, no errors', async () => {
    const events: BenchEvent[] = [];
    run = await runClosedLoop({
      target: { url: server.url, route: 'tts', audioFormat: 'pcm' },
      texts: fixedTexts(40, 'en'),
      concurrency: [1, 2],
      // Windows end by count, so a slow machine changes the numbers, never what is measured.
      levelDurationS: 60,
      levelRequests: 4,
      warmupS: 0.2,
      onEvent: (e) => events.push(e),
    });
    assert.equal(run.mode, 'closed');
    assert.equal(run.stoppedBy, 'completed');
    assert.deepEqual(run.levels.map((l) => l.concurrency), [1, 2]);
    for (const l of run.levels) {
      assert.ok(l.complete, `level ${l.concurrency} complete`);
      assert.ok(l.ok > 0 && l.audioSecondsPerSecond > 0 && l.requestsPerSecond > 0, JSON.stringify(l));
      assert.equal(l.errorCount + l.status429 + l.aborted, 0);
      assert.ok(l.firstAudioMs && l.completionMs && l.meanRtf !== null);
    }
    for (const r of run.records.filter((x) => x.outcome === 'ok')) {
      assert.ok((r.firstAudioMs as number) <= (r.completionMs as number), `request ${r.id}`);
      assert.ok((r.audioSeconds as number) > 0);
    }
    assert.equal(run.totals.sent, run.records.length);
    assert.equal(run.totals.ok, run.totals.sent);
    assert.ok((run.charsPerSecond.en ?? 0) > 0);
    // Each level starts, opens its window after the warm-up, and ends, in that order.
    assert.deepEqual(events.filter((e) => e.type.startsWith('level') || e.type === 'window-start').map((e) => e.type), ['level-start', 'window-start', 'level-end', 'level-start', 'window-start', 'level-end']);
    assert.equal(events.filter((e) => e.type === 'request-start').length, run.totals.sent);
    // The reports carry every level.
    assert.equal(JSON.parse(renderJson(run)).levels.length, 2);
    assert.equal(JSON.parse(renderJson(run)).records, undefined);
    assert.equal(JSON.parse(renderJson(run, { records: true })).records.length, run.totals.sent);
    assert.match(renderTable(run), /^\s+2\s+/m);
    assert.match(renderMarkdown(run), /^\| 2 \|/m);
  });

  it('writes a profile the planner reads back as measured and plans with', () => {
    const profile = toProfile(run, { engine: 'cosyvoice3-trtllm', gpu: 'L4', instanceType: 'g6.xlarge', local: true, flags: { espeakWorkers: 2 } });
    const file = join(dir, 'measured.json');
    writeFileSync(file, JSON.stringify(profile, null, 2));
    const [curve] = loadUserProfiles(file);
    assert.ok(curve);
    assert.deepEqual(curve.throughput.map((t) => t.concurrency), [1, 2]);
    assert.ok(curve.throughput.every((t) => t.audioSecondsPerSecond > 0));
    assert.equal(curve.maxConcurrency, 2);
    assert.equal(curve.measurement?.profileSource, 'measured');
    assert.equal(curve.measurement?.host.node, process.version);
    assert.ok((curve.measurement?.charsPerSecond?.en ?? 0) > 0);
    assert.match(curve.source, /^cosyfleet bench \S+ against http:\/\/127\.0\.0\.1:\d+ \/v1\/tts$/);

    const catalog = bundledCatalog();
    const engine = bundledEngines().find((e) => e.engine === 'cosyvoice3-trtllm');
    assert.ok(engine);
    const resolved = resolveProfile({ engine, gpu: findGpu(catalog, 'L4')!, catalog, userCurves: [curve] });
    assert.ok(resolved.ok, JSON.stringify(resolved));
    assert.equal(resolved.profile.source, 'measured');

    const workload = validateWorkload({
      requestsPerDay: 1000, meanChars: 40, lengthDistribution: { type: 'fixed' }, language: [{ code: 'en', share: 1, charsPerSecond: curve.measurement?.charsPerSecond?.en }],
      hourlyWeights: new Array(24).fill(1), streamingShare: 1, slo: { p95FirstAudioMs: 5000, p95CompletionMs: 20000 }, region: 'us-east-1',
      engine: 'cosyvoice3-trtllm', instanceTypes: ['g6.xlarge'], planning: { days: 1 },
    });
    const result = plan({ workload, userProfiles: [curve], strategies: ['always-on'], sensitivityTop: 0 });
    assert.equal(result.options[0]?.profileSource, 'measured');
  });

  it('as a command: an HTML report with both charts and the profile file', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const html = join(dir, 'report.html');
    const profile = join(dir, 'cli-profile.json');
    const code = await runBenchCommand(
      ['--url', server.url, '--concurrency', '1,2', '--level-duration', '60', '--level-requests', '3', '--warmup', '0', '--chars', '30', '--format', 'html', '--out', html, '--profile-out', profile, '--engine', 'cosyvoice3-trtllm', '--gpu', 'L4', '--flag', 'espeakWorkers=2'],
      { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env: {} },
    );
    assert.equal(code, 0, err.join(''));
    assert.equal(out.join(''), '');
    const page = readFileSync(html, 'utf8');
    assert.equal(page.match(/<svg/g)?.length, 2);
    assert.match(page, /Throughput vs concurrency/);
    assert.match(page, /Latency vs concurrency/);
    const [curve] = loadUserProfiles(profile);
    assert.equal(curve?.measurement?.flags.espeakWorkers, 2);
    assert.equal(curve?.measurement?.flags.route, '/v1/tts');
    assert.match(err.join(''), /wrote .*cli-profile\.json/);
  });
});
