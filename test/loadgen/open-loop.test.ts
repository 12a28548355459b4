// bench's open loop: Poisson arrivals at a rate (times from the seed alone), texts from a planner
// workload file, and counts that add up: arrivals = sent + dropped, sent = ok + errors + 429 +
// aborted, nothing lost at the in-flight bound.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import { pino } from 'pino';
import { answerPcm, stubServer } from './stub-server.js';
import { startTestServer } from '../helpers/server.js';
import { metricValue } from '../helpers/wait.js';
import { poissonArrivals, runOpenLoop, runBenchCommand, fixedTexts, workloadTexts, type BenchEvent } from '../../src/loadgen/index.js';
import { loadWorkloadFile } from '../../src/planner/workload.js';

const WORKLOAD = `name: bench-mix
requestsPerDay: 1000
meanChars: 24
lengthDistribution: { type: buckets, buckets: [{ chars: 12, share: 0.5 }, { chars: 36, share: 0.5 }] }
language:
  - { code: zh-CN, share: 0.5, charsPerSecond: 4.5 }
  - { code: en, share: 0.5, charsPerSecond: 15 }
hourlyWeights: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
streamingShare: 1
slo: { p95FirstAudioMs: 2000, p95CompletionMs: 10000 }
region: us-east-1
`;

describe('bench, open loop', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-open-'));
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of closers) await c();
    rmSync(dir, { recursive: true, force: true });
  });

  it('arrivals follow the seed; past --max-in-flight they are dropped and counted', async () => {
    // Holds every request until the arrivals are over, so exactly maxInFlight are ever in flight.
    const held: ServerResponse[] = [];
    const gate = await stubServer((res) => held.push(res));
    closers.push(gate.close);
    const events: BenchEvent[] = [];
    const run = await runOpenLoop({
      target: { url: gate.url, route: 'tts', audioFormat: 'pcm' }, texts: fixedTexts(20, 'en'), rate: 40, durationS: 0.5, seed: 7, maxInFlight: 2,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'arrivals-end') for (const res of held) answerPcm(res);
      },
    });
    const expected = poissonArrivals(40, 0.5, 7).length;
    assert.ok(expected > 2, `${expected} arrivals`);
    assert.deepEqual(run.totals, { arrivals: expected, sent: 2, ok: 2, errors: 0, status429: 0, aborted: 0, dropped: expected - 2 });
    const [level] = run.levels;
    assert.deepEqual([level?.arrivals, level?.sent, level?.dropped, level?.rate], [expected, 2, expected - 2, 40]);
    assert.equal(events.filter((e) => e.type === 'drop').length, expected - 2);
    assert.equal(gate.received.length, 2);
    assert.equal(run.stoppedBy, 'completed');
  });

  it('draws texts from a workload file against a real server; every arrival is accounted for', async () => {
    const server = await startTestServer();
    closers.push(server.close);
    const file = join(dir, 'workload.yaml');
    writeFileSync(file, WORKLOAD);
    const run = await runOpenLoop({ target: { url: server.url, route: 'tts', audioFormat: 'wav' }, texts: workloadTexts(loadWorkloadFile(file), 3), rate: 5, durationS: 1.5, seed: 3 });
    const t = run.totals;
    assert.equal(t.arrivals, poissonArrivals(5, 1.5, 3).length);
    assert.equal(t.arrivals, t.sent + t.dropped);
    assert.equal(t.sent, t.ok + t.errors + t.status429 + t.aborted);
    assert.equal(t.sent, run.records.length);
    assert.ok(t.ok > 0);
    assert.ok(run.records.every((r) => ['en', 'cmn'].includes(r.language) && r.chars <= 36), JSON.stringify(run.records.map((r) => [r.language, r.chars])));
    assert.deepEqual(run.texts, { source: 'workload', name: 'bench-mix', meanChars: 24, languages: { cmn: 0.5, en: 0.5 } });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.equal(metricValue(metrics, 'cosyfleet_jobs_total', { engine: 'espeak', outcome: 'completed' }), t.ok);
  });

  it('records the server\'s request id, under which its log has the job\'s wait and engine time', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
    const server = await startTestServer({}, { logger });
    closers.push(server.close);
    const run = await runOpenLoop({ target: { url: server.url, route: 'tts', audioFormat: 'pcm' }, texts: fixedTexts(120, 'en'), rate: 8, durationS: 1, seed: 5 });
    const ok = run.records.filter((r) => r.outcome === 'ok');
    assert.ok(ok.length >= 3, `${ok.length} requests`);
    assert.equal(new Set(ok.map((r) => r.requestId)).size, ok.length, 'one id each');
    const finished = new Map(lines.filter((l) => l.msg === 'job finished').map((l) => [l.reqId, l]));
    for (const r of ok) {
      const job = finished.get(r.requestId);
      assert.ok(job, `the server logged request ${r.requestId}`);
      const { engineMs, waitMs, totalMs } = job as { engineMs: number; waitMs: number; totalMs: number };
      assert.ok(engineMs > 0 && engineMs <= totalMs && waitMs >= 0 && waitMs <= totalMs, JSON.stringify(job));
      assert.ok(totalMs <= (r.completionMs as number), `the server's ${totalMs} ms fit in the client's ${r.completionMs} ms`);
    }
  });

  it('as a command: --rate with --workload, JSON on stdout', async () => {
    const server = await startTestServer();
    closers.push(server.close);
    const file = join(dir, 'cli-workload.yaml');
    writeFileSync(file, WORKLOAD);
    const out: string[] = [];
    const err: string[] = [];
    const code = await runBenchCommand(['--url', server.url, '--rate', '4', '--duration', '0.8', '--seed', '11', '--workload', file, '--format', 'json', '--records'], {
      stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env: {},
    });
    assert.equal(code, 0, err.join(''));
    const run = JSON.parse(out.join(''));
    assert.equal(run.mode, 'open');
    assert.equal(run.totals.arrivals, poissonArrivals(4, 0.8, 11).length);
    assert.equal(run.totals.arrivals, run.totals.sent + run.totals.dropped);
    assert.equal(run.records.length, run.totals.sent);
    assert.equal(run.settings.rate, 4);
  });
});
