// `npm run bench:scheduler`: the scheduler and the worker supervisor in front of one synthetic
// worker process whose service time follows CosyVoice3's published L20 figures (Triton +
// TensorRT-LLM: RTF 0.109 at batch 1 down to 0.050 at batch 16), time-scaled so a run takes about
// a minute. It reports, in one run:
//   - the worker's saturated throughput called directly over the worker protocol (no gateway),
//     with and without batching;
//   - through the whole gateway (HTTP, planning, scheduler, supervisor): throughput vs offered
//     load (open-loop Poisson arrivals), p50/p95/p99 queue wait and time to first byte;
//   - delivered / direct throughput at full load (target >= 95%) and the batching gain;
//   - gateway overhead per request (gateway latency - direct latency, rounds at low load after a
//     warm-up; target p99 < 2 ms), next to the floor of a bare node:http server in front of its
//     own worker: what any HTTP gateway costs on the machine at hand.
// Flags: --time-scale X (default 0.1), --requests N (per load point, default 150), --rounds N
// (overhead rounds, default 400), --json.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { buildApp } from '../src/app.js';
import { loadConfig, type Config } from '../src/config/config.js';
import { float32ToS16le } from '../src/audio/s16le.js';
import { processEngineFromConfig, workerEnv } from '../src/workers/from-config.js';
import { builtinWorkerCommand } from '../src/workers/process-engine.js';
import { SyntheticEngine, L20_COSYVOICE3_PROFILE, type SyntheticProfile } from '../src/workers/synthetic-engine.js';
import { WorkerProcess } from '../src/workers/worker-process.js';
import type { WireRequest } from '../src/workers/protocol.js';
import type { SegmentDoneEvent } from '../src/workers/supervisor.js';

const { values } = parseArgs({
  options: {
    'time-scale': { type: 'string', default: '0.1' },
    requests: { type: 'string', default: '150' },
    rounds: { type: 'string', default: '400' },
    json: { type: 'boolean', default: false },
  },
});
const timeScale = Number(values['time-scale']);
const perPoint = Math.max(20, Number(values.requests));
const rounds = Math.max(50, Number(values.rounds));
const WARM_UP_ROUNDS = 20;
const TEXT = 'Speech synthesis turns written text into audio that a listener can follow without reading it.';
const OVERHEAD_TEXT = 'Hello there.';

const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
};
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const spread = (xs: number[]) => ({ p50: round(percentile(xs, 50)), p95: round(percentile(xs, 95)), p99: round(percentile(xs, 99)) });

function profile(batching: boolean): SyntheticProfile {
  return { ...L20_COSYVOICE3_PROFILE, timeScale, maxBatch: batching ? 16 : 1, concurrency: 1 };
}

function config(dataDir: string): Config {
  return loadConfig({
    env: {},
    overrides: {
      port: 0,
      logLevel: 'silent',
      dataDir,
      workers: 'process',
      workerProcesses: 1,
      workerConcurrency: 1,
      queueMax: 100_000,
      queueDeadlineMs: 3_600_000,
      segmentGapMs: 0,
      batchMaxQueueDelayMs: 5,
      // One loopback client stands in for many: the per-address connection bound would refuse its load.
      maxConnectionsPerAddress: 0,
    },
  });
}

/** The worker called directly over the protocol: one call at a time, as the supervisor does. */
class DirectWorker {
  private worker: WorkerProcess;
  constructor(cfg: Config, p: SyntheticProfile) {
    const { command, args } = builtinWorkerCommand();
    this.worker = new WorkerProcess('direct', 0, { command, args, env: workerEnv(cfg, 'synthetic', 0, process.env, { COSYFLEET_SYNTHETIC_PROFILE: JSON.stringify(p) }) }, { startTimeoutMs: 60_000, heartbeatMs: 10_000, heartbeatMisses: 5 }, () => {});
  }
  start() {
    return this.worker.start();
  }
  /** One engine call (a batch when texts > 1); resolves with the audio seconds made. */
  call(texts: string[]): Promise<number> {
    const rate = L20_COSYVOICE3_PROFILE.sampleRate;
    return new Promise((resolve, reject) => {
      let left = texts.length;
      let samples = 0;
      const sink = {
        chunk: (s: Float32Array) => (samples += s.length),
        done: () => {
          if (--left === 0) resolve(samples / rate);
        },
        error: reject,
      };
      if (texts.length === 1) this.worker.synth(request(texts[0] as string), sink);
      else this.worker.synthBatch(texts.map((t) => ({ request: request(t), sink })));
    });
  }
  /** One segment, its audio to `chunk` as it arrives; resolves with the worker's own time for it (ms). */
  segment(text: string, chunk: (samples: Float32Array) => void = () => {}): Promise<number> {
    return new Promise((resolve, reject) => this.worker.synth(request(text), { chunk, done: (r) => resolve(r.ms), error: reject }));
  }
  stop() {
    return this.worker.stop(1000);
  }
}

function request(text: string): WireRequest {
  return { text, mode: 'preset', voice: 'tone', language: 'en', speed: 1 };
}

async function directSaturated(cfg: Config, batching: boolean, requests: number): Promise<number> {
  const w = new DirectWorker(cfg, profile(batching));
  await w.start();
  const size = batching ? 16 : 1;
  await w.call([TEXT]);
  const t0 = performance.now();
  let audio = 0;
  for (let sent = 0; sent < requests; sent += size) {
    const made = await w.call(Array.from({ length: Math.min(size, requests - sent) }, () => TEXT));
    audio += made;
  }
  const wall = (performance.now() - t0) / 1000;
  await w.stop();
  return audio / wall;
}

/** Where the client posts: parsed once, so the client's URL handling is not billed to the server. */
type Endpoint = http.RequestOptions;

function endpoint(url: string, path: string): Endpoint {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port), path, method: 'POST', agent };
}

/** An HTTP server in front of a worker. */
interface Server {
  endpoint: Endpoint;
  /** The worker's own time for the segment it finished last (ms). */
  lastWorkerMs(): number;
  close(): Promise<void>;
}

interface Gateway extends Server {
  waits: number[];
}

async function gateway(cfg: Config, batching: boolean): Promise<Gateway> {
  const p = profile(batching);
  const engine = processEngineFromConfig(cfg, new SyntheticEngine(p), { env: { COSYFLEET_SYNTHETIC_PROFILE: JSON.stringify(p) } });
  const app = await buildApp(cfg, { engine, logger: pino({ level: 'silent' }) });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const waits: number[] = [];
  app.engine.scheduler.observe({ started: (_job, ms) => waits.push(ms) });
  let workerMs = NaN;
  engine.supervisor.on('segment-done', (e: SegmentDoneEvent) => (workerMs = e.ms));
  return { endpoint: endpoint(url, '/v1/tts'), waits, lastWorkerMs: () => workerMs, close: () => app.close() };
}

/**
 * The floor under any HTTP gateway on this machine: a bare node:http server that parses the
 * body, sends the text to its own worker, turns the audio into s16le as it arrives and answers
 * with it. No validation, planning, queue or metrics.
 */
async function bareServer(worker: DirectWorker): Promise<Server> {
  let workerMs = NaN;
  const server = http.createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (b: Buffer) => body.push(b));
    req.on('end', () => {
      const { text } = JSON.parse(Buffer.concat(body).toString('utf8')) as { text: string };
      const pcm: Buffer[] = [];
      worker.segment(text, (samples) => pcm.push(float32ToS16le(samples))).then(
        (ms) => {
          workerMs = ms;
          const audio = Buffer.concat(pcm);
          res.writeHead(200, { 'content-type': 'audio/pcm', 'content-length': audio.length }).end(audio);
        },
        () => res.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: endpoint(`http://127.0.0.1:${port}`, '/'),
    lastWorkerMs: () => workerMs,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Shot {
  ttfbMs: number;
  totalMs: number;
  audioSeconds: number;
  status: number;
}

// node:http with keep-alive: fetch's own client costs about a millisecond per request, which
// would be billed to the gateway. Node 20 sets TCP_NODELAY on both ends by default.
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function shot(to: Endpoint, text: string, stream: boolean): Promise<Shot> {
  const body = JSON.stringify({ text, voice: 'tone', language: 'en', format: 'pcm', stream });
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request({ ...to, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let ttfbMs = NaN;
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        if (Number.isNaN(ttfbMs)) ttfbMs = performance.now() - t0;
        bytes += chunk.length;
      });
      res.on('end', () => {
        const rate = Number(res.headers['x-sample-rate'] ?? L20_COSYVOICE3_PROFILE.sampleRate);
        resolve({ ttfbMs, totalMs: performance.now() - t0, audioSeconds: res.statusCode === 200 ? bytes / 2 / rate : 0, status: res.statusCode ?? 0 });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Open-loop Poisson arrivals at `rate` requests/s; streaming requests. */
async function openLoop(g: Gateway, rate: number, n: number) {
  g.waits.length = 0;
  const shots: Promise<Shot>[] = [];
  const t0 = performance.now();
  let next = 0;
  for (let i = 0; i < n; i++) {
    next += -Math.log(1 - Math.random()) / rate;
    const delay = t0 + next * 1000 - performance.now();
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    shots.push(shot(g.endpoint, TEXT, true));
  }
  const done = await Promise.all(shots);
  const wall = (performance.now() - t0) / 1000;
  const ok = done.filter((s) => s.status === 200);
  return {
    offered: rate,
    throughputAudioSps: ok.reduce((a, s) => a + s.audioSeconds, 0) / wall,
    completed: ok.length,
    rejected: done.length - ok.length,
    queueWaitMs: { p50: percentile(g.waits, 50), p95: percentile(g.waits, 95), p99: percentile(g.waits, 99) },
    ttfbMs: { p50: percentile(ok.map((s) => s.ttfbMs), 50), p95: percentile(ok.map((s) => s.ttfbMs), 95), p99: percentile(ok.map((s) => s.ttfbMs), 99) },
  };
}

/** Closed loop: `clients` back-to-back clients until `n` requests are done; audio seconds per second. */
async function fullLoad(g: Gateway, clients: number, n: number): Promise<number> {
  let started = 0;
  let audio = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (started < n) {
        started++;
        const done = await shot(g.endpoint, TEXT, false);
        audio += done.audioSeconds;
      }
    }),
  );
  return audio / ((performance.now() - t0) / 1000);
}

/** One request's latency and the worker's own time for its segment. */
interface Timed {
  ms: number;
  workerMs: number;
}

/**
 * Per-request overhead at low load: rounds of one tiny request direct to a worker over the
 * protocol, one through the bare HTTP server and one through the gateway, in rotating order so
 * that none is always the first after the previous round's pause, after a warm-up. Each side
 * waits for all of the audio. Besides the plain latency differences, the differences of latency
 * minus the worker's own time for that request: the synthetic worker's timers jitter by a
 * millisecond or two per call on both sides, which would otherwise be most of a difference's tail
 * (a plain difference goes below zero as often as the jitter allows).
 */
async function overhead(cfg: Config, g: Gateway, n: number) {
  const direct = new DirectWorker(cfg, profile(false));
  const floorWorker = new DirectWorker(cfg, profile(false));
  await Promise.all([direct.start(), floorWorker.start()]);
  const bare = await bareServer(floorWorker);
  const viaHttp = async (to: Server): Promise<Timed> => {
    const s = await shot(to.endpoint, OVERHEAD_TEXT, false);
    if (s.status !== 200) throw new Error(`overhead request failed with ${s.status}`);
    return { ms: s.totalMs, workerMs: to.lastWorkerMs() };
  };
  const sides: (() => Promise<Timed>)[] = [
    async () => {
      const t0 = performance.now();
      const workerMs = await direct.segment(OVERHEAD_TEXT);
      return { ms: performance.now() - t0, workerMs };
    },
    () => viaHttp(bare),
    () => viaHttp(g),
  ];
  const timed: Timed[][] = sides.map(() => []);
  for (let i = 0; i < WARM_UP_ROUNDS + n; i++) {
    for (let k = 0; k < sides.length; k++) {
      const side = (i + k) % sides.length;
      const t = await (sides[side] as () => Promise<Timed>)();
      if (i >= WARM_UP_ROUNDS) timed[side]?.push(t);
    }
  }
  await Promise.all([direct.stop(), floorWorker.stop(), bare.close()]);
  const [d, b, gw] = timed as [Timed[], Timed[], Timed[]];
  const minus = (xs: Timed[], f: (t: Timed) => number) => xs.map((x, i) => f(x) - f(d[i] as Timed));
  const outsideWorker = (t: Timed) => t.ms - t.workerMs;
  return {
    gateway: { raw: minus(gw, (t) => t.ms), adjusted: minus(gw, outsideWorker) },
    bare: { raw: minus(b, (t) => t.ms), adjusted: minus(b, outsideWorker) },
    directOutsideWorker: d.map(outsideWorker),
  };
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'cosyfleet-bench-'));
  const cfg = config(dataDir);
  try {
    const directBatched = await directSaturated(cfg, true, perPoint * 2);
    const directSingle = await directSaturated(cfg, false, Math.ceil(perPoint / 2));
    const audioPerRequest = new SyntheticEngine(profile(true)).audioSeconds({ text: TEXT, mode: 'preset', voice: 'tone', language: 'en', speed: 1 });
    const capacityRps = directBatched / audioPerRequest;

    const batched = await gateway(cfg, true);
    const sweep = [];
    for (const f of [0.25, 0.5, 0.75, 1.0, 1.25]) sweep.push({ load: f, ...(await openLoop(batched, f * capacityRps, perPoint)) });
    const deliveredBatched = await fullLoad(batched, 64, perPoint * 2);
    await batched.close();

    const single = await gateway(cfg, false);
    const deliveredSingle = await fullLoad(single, 16, Math.ceil(perPoint / 2));
    // Measured without batching: a batching engine's lone request waits BATCH_MAX_QUEUE_DELAY_MS
    // for company by design, which is policy, not gateway overhead.
    const over = await overhead(cfg, single, rounds);
    await single.close();

    const result = {
      profile: 'CosyVoice3, 1x L20, Triton + TRT-LLM (published RTF by batch size)',
      timeScale,
      audioSecondsPerRequest: round(audioPerRequest),
      direct: { batchedAudioSps: round(directBatched), unbatchedAudioSps: round(directSingle) },
      gateway: {
        sweep: sweep.map((p) => ({
          load: p.load,
          offeredRps: round(p.offered),
          throughputAudioSps: round(p.throughputAudioSps),
          completed: p.completed,
          rejected: p.rejected,
          queueWaitMs: { p50: round(p.queueWaitMs.p50, 1), p95: round(p.queueWaitMs.p95, 1), p99: round(p.queueWaitMs.p99, 1) },
          ttfbMs: { p50: round(p.ttfbMs.p50, 1), p95: round(p.ttfbMs.p95, 1), p99: round(p.ttfbMs.p99, 1) },
        })),
        fullLoadBatchedAudioSps: round(deliveredBatched),
        fullLoadUnbatchedAudioSps: round(deliveredSingle),
      },
      deliveredVsDirect: { batched: round(deliveredBatched / directBatched, 3), unbatched: round(deliveredSingle / directSingle, 3), target: 0.95 },
      batchingGain: round(deliveredBatched / deliveredSingle, 2),
      overheadRounds: rounds,
      // Latency minus the worker's own time, gateway minus direct (see overhead()).
      gatewayOverheadMs: { ...spread(over.gateway.adjusted), target: { p99: 2 } },
      gatewayOverheadPlainMs: spread(over.gateway.raw),
      bareHttpOverheadMs: spread(over.bare.adjusted),
      bareHttpOverheadPlainMs: spread(over.bare.raw),
      directOutsideWorkerMs: spread(over.directOutsideWorker),
    };
    if (values.json) {
      agent.destroy();
      console.log(JSON.stringify(result, null, 2));
      return;
    }
    console.log(`Scheduler benchmark — ${result.profile}, time scale ${timeScale}; ${result.audioSecondsPerRequest} s of audio per request\n`);
    console.log(`Direct worker, saturated: ${result.direct.batchedAudioSps} audio s/s batched (16), ${result.direct.unbatchedAudioSps} unbatched`);
    console.log('\n| load | offered req/s | audio s/s | done | 429 | queue wait p50/p95/p99 ms | TTFB p50/p95/p99 ms |');
    console.log('|---|---|---|---|---|---|---|');
    for (const p of result.gateway.sweep) {
      console.log(`| ${p.load}× | ${p.offeredRps} | ${p.throughputAudioSps} | ${p.completed} | ${p.rejected} | ${p.queueWaitMs.p50} / ${p.queueWaitMs.p95} / ${p.queueWaitMs.p99} | ${p.ttfbMs.p50} / ${p.ttfbMs.p95} / ${p.ttfbMs.p99} |`);
    }
    console.log(`\nFull load through the gateway: ${result.gateway.fullLoadBatchedAudioSps} audio s/s batched = ${(result.deliveredVsDirect.batched * 100).toFixed(1)}% of direct (target ≥ 95%); unbatched ${result.gateway.fullLoadUnbatchedAudioSps} = ${(result.deliveredVsDirect.unbatched * 100).toFixed(1)}%`);
    console.log(`Batching gain (full load, batched ÷ unbatched): ${result.batchingGain}×`);
    agent.destroy();
    const ms = (x: { p50: number; p95: number; p99: number }) => `p50 ${x.p50} / p95 ${x.p95} / p99 ${x.p99} ms`;
    console.log(`\nOverhead per request over a direct protocol call (${rounds} rounds after ${WARM_UP_ROUNDS} warm-up; latency minus the worker's own time):`);
    console.log(`  gateway:          ${ms(result.gatewayOverheadMs)} (target p99 < 2 ms); plain latency difference ${ms(result.gatewayOverheadPlainMs)}`);
    console.log(`  bare HTTP server: ${ms(result.bareHttpOverheadMs)}; plain ${ms(result.bareHttpOverheadPlainMs)}`);
    console.log(`  (the direct call itself, outside the worker's own time: ${ms(result.directOutsideWorkerMs)})`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
