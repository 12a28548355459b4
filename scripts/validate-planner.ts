// `npm run validate:planner`: the planner checked where it can be checked, on this machine.
// 1. A real cosyfleet server (the embedded espeak engine, in a process of its own) is measured
//    with `cosyfleet bench`'s closed loop: an engine profile, as a user would make one.
// 2. The planner, given that profile and the CPU instance type, predicts p95 first audio and
//    p95 completion for a steady workload at 30%, 60% and 90% of the capacity it derives, and
//    how many instances each needs.
// 3. Each workload is replayed with `cosyfleet bench`'s open loop (Poisson arrivals) against the
//    same server, and an overload run measures what one instance really sustains.
// 4. Predicted and measured side by side, with a bootstrap interval of each measured p95 (how
//    far the measurement itself can be trusted); exit 1 when any prediction is off by more than
//    the target (latencies 15%, capacity 10%), 0 otherwise.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixedTexts, runClosedLoop, runOpenLoop, toProfile, type BenchRun, type Target } from '../src/loadgen/index.js';
import { bundledCatalog } from '../src/planner/catalog.js';
import { plan } from '../src/planner/plan.js';
import { parseUserProfiles } from '../src/planner/profiles.js';
import { exactQuantile } from '../src/planner/queueing.js';
import { Rng } from '../src/planner/rng.js';
import { Fields } from '../src/planner/validate.js';
import { validateWorkload } from '../src/planner/workload.js';

interface Size {
  /** Seconds per closed-loop level when measuring the profile. */
  profileLevelS: number;
  /** Requests measured per load level, after the warm-up (the duration follows from the rate). */
  requests: number;
  /**
   * Seconds of each replay before its measurement starts: a queue near capacity takes tens of
   * seconds to reach its steady state (M/D/1 at 90%: ~1/(μ(1−√ρ)²) ≈ 30 s here), and the
   * planner predicts the steady state.
   */
  warmupS: number;
  /** Seconds of the overload run. */
  overloadS: number;
}

const SIZES: Record<string, Size> = {
  // The pipeline end to end in a minute and a half (its test): too few requests to judge the model.
  tiny: { profileLevelS: 3, requests: 40, warmupS: 2, overloadS: 4 },
  small: { profileLevelS: 10, requests: 400, warmupS: 20, overloadS: 15 },
  full: { profileLevelS: 30, requests: 1000, warmupS: 40, overloadS: 40 },
};
const TARGET = { latency: 0.15, capacity: 0.1 };
const LOADS = [0.3, 0.6, 0.9];
/** One segment of the espeak engine (its limit is 400): one engine call per request. */
const CHARS = 350;

export interface Row {
  load: number;
  rate: number;
  what: string;
  predicted: number;
  measured: number;
  /** Bootstrap 95% interval of the measured value (latencies). */
  interval: [number, number] | null;
  target: number;
  ok: boolean;
}

function parseArgs(argv: string[]): { size: Size; sizeName: string; out?: string; instanceType: string; workers: number } {
  const get = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const sizeName = get('--size') ?? 'full';
  const size = SIZES[sizeName];
  if (!size) throw new Error(`--size must be tiny, small or full, got ${sizeName}`);
  // One engine thread by default: on a 2-core machine the other core is the server's HTTP work
  // and the load generator's; the engine is then the one bottleneck, as a GPU is.
  const workers = Number(get('--workers') ?? 1);
  if (!Number.isInteger(workers) || workers < 1) throw new Error('--workers must be a whole number');
  const out = get('--out');
  return { size, sizeName, instanceType: get('--instance-type') ?? 'c7i.large', workers, ...(out ? { out } : {}) };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The real CLI (`cosyfleet serve`) in its own process, the engine with `workers` threads. */
async function startServer(workers: number): Promise<{ url: string; child: ChildProcess; dataDir: string }> {
  const port = await freePort();
  const root = fileURLToPath(new URL('..', import.meta.url));
  const cli = join(root, 'src', 'cli.ts');
  const dataDir = mkdtempSync(join(tmpdir(), 'cosyfleet-validate-'));
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'serve'], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ESPEAK_WORKERS: String(workers),
      QUEUE_MAX: '100000',
      QUEUE_DEADLINE_MS: '3600000',
      DATA_DIR: dataDir,
    },
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) return { url, child, dataDir };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error('the server did not answer /healthz within 60 s');
}

function p95(xs: number[]): number {
  return exactQuantile(Float64Array.from(xs).sort(), 0.95);
}

/** Percentile bootstrap interval (95%) of the p95 of `xs`. */
function bootstrapP95(xs: number[], seed: number): [number, number] {
  const rng = new Rng(seed, 5);
  const est: number[] = [];
  for (let b = 0; b < 400; b++) {
    const sample = xs.map(() => xs[Math.floor(rng.next() * xs.length)] as number);
    est.push(p95(sample));
  }
  est.sort((a, b) => a - b);
  return [est[9] as number, est[390] as number];
}

function okValues(run: BenchRun, key: 'firstAudioMs' | 'completionMs', afterS: number): number[] {
  return run.records.filter((r) => r.outcome === 'ok' && r[key] !== null && r.sentAtMs >= afterS * 1000).map((r) => r[key] as number);
}

export async function validatePlanner(argv: string[], log: (s: string) => void = (s) => process.stderr.write(`${s}\n`)): Promise<{ rows: Row[]; ok: boolean; report: string }> {
  const { size, sizeName, instanceType, workers } = parseArgs(argv);
  const catalog = bundledCatalog();
  const instance = catalog.instances.find((i) => i.instanceType === instanceType);
  if (!instance) throw new Error(`${instanceType} is not in the bundled catalog`);
  const server = await startServer(workers);
  const target: Target = { url: server.url, route: 'tts', audioFormat: 'pcm' };
  const texts = fixedTexts(CHARS, 'en');
  try {
    // 1. The profile: the closed-loop ramp as a user runs it, a little past the engine's
    //    threads (the server's HTTP work overlaps the engine's), until throughput stops growing.
    const levels = Array.from({ length: workers + 2 }, (_, i) => i + 1);
    log(`measuring the espeak profile: closed loop at ${levels.join(', ')} streams, ${size.profileLevelS} s each`);
    const ramp = await runClosedLoop({ target, texts, concurrency: levels, levelDurationS: size.profileLevelS, warmupS: 2 });
    const profile = toProfile(ramp, { engine: 'espeak-embedded', gpu: instance.gpu, instanceType, local: true, flags: { ESPEAK_WORKERS: workers, chars: CHARS } });
    const f = new Fields();
    const curves = parseUserProfiles(f, profile, 'profile');
    f.throwIfAny('measured profile');
    const charsPerSecond = profile.charsPerSecond?.en;
    if (!charsPerSecond) throw new Error('the profile run made no English audio');

    // 2. The planner's predictions, one workload per load level.
    const atCap = profile.throughput.find((t) => t.concurrency === profile.maxConcurrency) ?? profile.throughput[profile.throughput.length - 1]!;
    const capacityRps = (atCap.audioSecondsPerSecond * charsPerSecond) / CHARS;
    const predict = (rate: number) => {
      const w = validateWorkload({
        name: `validate ${rate.toFixed(3)}/s`,
        requestsPerDay: rate * 86400,
        meanChars: CHARS,
        lengthDistribution: { type: 'fixed' },
        language: [{ code: 'en', share: 1, charsPerSecond }],
        hourlyWeights: new Array(24).fill(1),
        streamingShare: 1,
        slo: { p95FirstAudioMs: 600_000, p95CompletionMs: 600_000 },
        region: 'us-east-1',
        engine: 'espeak-embedded',
        instanceTypes: [instanceType],
        planning: { maxUtilization: 0.95, days: 2 },
        burstFactor: 1,
      });
      const r = plan({ workload: w, catalog, userProfiles: curves, strategies: ['always-on'], sensitivityTop: 0 });
      const o = r.options[0];
      if (!o) throw new Error(`the planner made no plan for ${instanceType}: ${r.excluded.map((e) => e.reason).join('; ')}`);
      return o;
    };

    const rows: Row[] = [];
    for (const load of LOADS) {
      const rate = capacityRps * load;
      const o = predict(rate);
      const durationS = size.warmupS + size.requests / rate;
      log(`replaying ${(load * 100).toFixed(0)}% of capacity: ${rate.toFixed(2)} requests/s, Poisson, ${durationS.toFixed(0)} s (the first ${size.warmupS} s not measured)`);
      const run = await runOpenLoop({ target, texts, rate, durationS, seed: 11 + Math.round(load * 100) });
      const fa = okValues(run, 'firstAudioMs', size.warmupS);
      const done = okValues(run, 'completionMs', size.warmupS);
      const faInt = bootstrapP95(fa, 1);
      const doneInt = bootstrapP95(done, 2);
      rows.push(row(load, rate, 'p95 first audio (ms)', o.p95FirstAudioMs ?? NaN, p95(fa), faInt, TARGET.latency));
      rows.push(row(load, rate, 'p95 completion (ms)', o.p95CompletionMs, p95(done), doneInt, TARGET.latency));
      // Instances: what the planner sizes vs whether one instance kept up with the arrivals
      // (every request served, none left behind).
      const keptUp = run.totals.ok === run.totals.sent && run.totals.dropped === 0 && run.totals.aborted === 0;
      rows.push({ load, rate, what: 'instances needed', predicted: o.peakInstances, measured: keptUp ? 1 : 2, interval: null, target: 0, ok: o.peakInstances === (keptUp ? 1 : 2) });
    }

    // 3. Capacity: overload one instance (1.4x the predicted capacity) and count completions.
    const over = capacityRps * 1.4;
    log(`overload: ${over.toFixed(2)} requests/s for ${size.overloadS} s to measure what one instance sustains`);
    const heavy = await runOpenLoop({ target, texts, rate: over, durationS: size.overloadS, seed: 99, maxInFlight: 10_000 });
    const ends = heavy.records.filter((r) => r.outcome === 'ok').map((r) => r.endedAtMs).sort((a, b) => a - b);
    // Completions per second between the 20th and the last arrival window: the server's pace
    // once its queue is full, not the warm-up.
    const from = Math.floor(ends.length * 0.2);
    const to = ends.length - 1;
    const sustained = to > from ? ((to - from) / ((ends[to] as number) - (ends[from] as number))) * 1000 : 0;
    rows.push(row(1, over, 'capacity (requests/s per instance)', capacityRps, sustained, null, TARGET.capacity));

    const ok = rows.every((r) => r.ok);
    const report = render(rows, { sizeName, workers, instanceType, profile: profile as unknown as Record<string, unknown> });
    return { rows, ok, report };
  } finally {
    server.child.kill('SIGTERM');
    if (server.child.exitCode === null) await new Promise((r) => server.child.once('exit', r));
    rmSync(server.dataDir, { recursive: true, force: true });
  }
}

function row(load: number, rate: number, what: string, predicted: number, measured: number, interval: [number, number] | null, target: number): Row {
  return { load, rate, what, predicted, measured, interval, target, ok: Number.isFinite(predicted) && measured > 0 && Math.abs(predicted / measured - 1) <= target };
}

function render(rows: Row[], meta: { sizeName: string; workers: number; instanceType: string; profile: Record<string, unknown> }): string {
  const fmt = (x: number) => (Number.isFinite(x) ? (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(2)) : '—');
  const lines = [
    `Planner validation (${meta.sizeName}): espeak on ${meta.instanceType}'s profile measured here (${meta.workers} engine threads), ${CHARS}-character English texts`,
    '',
    '| load | rate /s | measure | predicted | measured | measured 95% interval | error | target | agrees |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const err = r.target > 0 ? `${((r.predicted / r.measured - 1) * 100).toFixed(1)}%` : '';
      const interval = r.interval ? `${fmt(r.interval[0])}–${fmt(r.interval[1])}` : '';
      const target = r.target > 0 ? `±${r.target * 100}%` : 'equal';
      return `| ${(r.load * 100).toFixed(0)}% | ${r.rate.toFixed(2)} | ${r.what} | ${fmt(r.predicted)} | ${fmt(r.measured)} | ${interval} | ${err} | ${target} | ${r.ok ? 'yes' : '**no**'} |`;
    }),
    '',
    `profile: ${JSON.stringify({ throughput: meta.profile.throughput, firstAudioMs: meta.profile.firstAudioMs, charsPerSecond: meta.profile.charsPerSecond })}`,
  ];
  return lines.join('\n') + '\n';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2);
  validatePlanner(argv).then(
    ({ ok, report }) => {
      process.stdout.write(report);
      const i = argv.indexOf('--out');
      if (i >= 0 && argv[i + 1]) writeFileSync(argv[i + 1] as string, report);
      process.exitCode = ok ? 0 : 1;
    },
    (err: unknown) => {
      process.stderr.write(`validate:planner: ${(err as Error).message}\n`);
      process.exitCode = 2;
    },
  );
}
