// `npm run bench:serving`: what audio work costs the rest of the service. A real server on
// loopback answers /healthz every few ms while it (a) encodes long MP3s resampled to 24 kHz,
// (b) encodes long Ogg Opus, (c) decodes and checks 30 s 96 kHz FLAC voice uploads — as many at
// once as the machine has cores (and /healthz on an idle server for the baseline); the
// /healthz latency during each is measured with the audio work on the event loop
// (AUDIO_THREADS=0) and in the audio thread pool, in the same run, alternating, and reported as
// ratios (the machine is shared and noisy). Then long text pipelined across a process-mode
// engine's slots, and short requests while it runs (bench/pipelining.ts). Flags: --rounds N, --json.
// Then encode + resample cost per audio second of every format against the ffmpeg CLI
// (bench/serving-codecs.ts; --codec-seconds S of speech, default 120). Last, MP3 audio-s/s
// through /v1/tts and /v1/audio/speech at full load vs the engine alone (bench/serving-gateway.ts).
// --only healthz,pipelining,codecs,gateway runs some of the sections.
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createEncoder } from '../src/audio/encoders.js';
import { measureCodecCost, printCodecCost } from './serving-codecs.js';
import { pipeliningBench, printPipelining } from './pipelining.js';
import { gatewayThroughput, type GatewayRow } from './serving-gateway.js';
import { availableParallelism } from 'node:os';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, 'codec-seconds': { type: 'string', default: '120' }, only: { type: 'string', default: 'healthz,pipelining,codecs,gateway' }, json: { type: 'boolean', default: false } },
});
const rounds = Math.max(1, Number(values.rounds));
const only = new Set(values.only.split(','));
/** The audio work runs this many at once: every core busy. */
const parallel = availableParallelism();

const LONG = Array.from({ length: 12 }, (_, i) => `Paragraph ${i + 1}. A long answer is encoded while other clients ask whether the service is healthy, and they should not have to wait for the encoder.`).join(' ');

/** The server runs in its own process (bench/serving-server.ts): the client here must not slow its event loop. */
async function start(audioThreads: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./serving-server.ts', import.meta.url)), JSON.stringify({ audioThreads, maxUploadBytes: 50 * 1_048_576, maxConnectionsPerAddress: 0 })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  return {
    url: line.trim(),
    close: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** Runs `work` while polling /healthz back to back; returns the poll latencies (ms) and the work's time. */
async function probe(url: string, work: () => Promise<void>): Promise<{ latencies: number[]; workMs: number }> {
  const latencies: number[] = [];
  let done = false;
  const poller = (async () => {
    while (!done) {
      const t = performance.now();
      await (await fetch(`${url}/healthz`)).arrayBuffer();
      latencies.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const t = performance.now();
  await work();
  const workMs = performance.now() - t;
  done = true;
  await poller;
  return { latencies, workMs };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
};

async function tts(url: string, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${url}/v1/tts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`tts ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

async function flacUpload(): Promise<Uint8Array> {
  // 30 s of a voice-like signal at 96 kHz, stereo mixed by the server: harmonics with a slow vibrato.
  const rate = 96000;
  const n = rate * 30;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    const f = 140 + 20 * Math.sin(2 * Math.PI * 3 * t);
    x[i] = 0.2 * Math.sin(2 * Math.PI * f * t) + 0.1 * Math.sin(4 * Math.PI * f * t) + 0.05 * Math.sin(6 * Math.PI * f * t);
  }
  const enc = await createEncoder('flac', { sampleRate: rate, streaming: false });
  return Buffer.concat([...enc.write(x), ...enc.end()]);
}

async function upload(url: string, bytes: Uint8Array): Promise<void> {
  const form = new FormData();
  for (const [k, v] of Object.entries({ name: 'Bench', transcript: 'A bench recording of a steady voice.', language: 'en', consent: 'true' })) form.append(k, v);
  form.append('audio', new Blob([bytes], { type: 'audio/flac' }), 'bench.flac');
  const res = await fetch(`${url}/v1/voices`, { method: 'POST', body: form });
  if (res.status !== 201) throw new Error(`upload ${res.status}: ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  await fetch(`${url}/v1/voices/${id}`, { method: 'DELETE' });
}

const flac = await flacUpload();
const cases: Record<string, (url: string) => Promise<void>> = {
  'mp3 24 kHz (long text)': (url) => tts(url, { text: LONG, language: 'en', format: 'mp3', sample_rate: 24000 }),
  'opus (long text)': (url) => tts(url, { text: LONG, language: 'en', format: 'opus' }),
  'upload: 30 s 96 kHz FLAC': (url) => upload(url, flac),
};

const results: Record<string, Record<'inline' | 'pool', { p50: number; p99: number; max: number; workMs: number }[]>> = {};
const idle: { p50: number; p99: number; max: number }[] = [];
if (only.has('healthz')) {
  const servers = { inline: await start(0), pool: await start(Math.max(1, parallel - 1)) };
  try {
    for (let r = 0; r < rounds; r++) {
      const { latencies } = await probe(servers.pool.url, () => new Promise((done) => setTimeout(done, 2000)));
      idle.push({ p50: pct(latencies, 0.5), p99: pct(latencies, 0.99), max: Math.max(...latencies) });
    }
    for (const [name, work] of Object.entries(cases)) {
      results[name] = { inline: [], pool: [] };
      for (const s of Object.values(servers)) await work(s.url); // warm codecs and threads
      for (let r = 0; r < rounds; r++) {
        for (const mode of ['inline', 'pool'] as const) {
          const url = servers[mode].url;
          const { latencies, workMs } = await probe(url, async () => {
            await Promise.all(Array.from({ length: parallel }, () => work(url)));
          });
          results[name]?.[mode].push({ p50: pct(latencies, 0.5), p99: pct(latencies, 0.99), max: Math.max(...latencies), workMs });
        }
      }
    }
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.close()));
  }
}

const pipelining = only.has('pipelining') ? await pipeliningBench(rounds) : null;
const codecCost = only.has('codecs') ? await measureCodecCost({ rounds, seconds: Math.max(5, Number(values['codec-seconds'])) }) : null;
const gateway: GatewayRow[] = only.has('gateway') ? [...(await gatewayThroughput({ slots: 4 })), ...(await gatewayThroughput({ slots: 16 }))] : [];

const median = (xs: number[]) => pct(xs, 0.5);
const rows = Object.entries(results).map(([name, r]) => {
  const m = (mode: 'inline' | 'pool', k: 'p50' | 'p99' | 'max' | 'workMs') => median(r[mode].map((x) => x[k]));
  return {
    case: name,
    healthzMaxMsInline: m('inline', 'max'),
    healthzMaxMsPool: m('pool', 'max'),
    healthzP99MsInline: m('inline', 'p99'),
    healthzP99MsPool: m('pool', 'p99'),
    maxLatencyRatio: m('inline', 'max') / m('pool', 'max'),
    workMsInline: m('inline', 'workMs'),
    workMsPool: m('pool', 'workMs'),
  };
});
const idleP99 = median(idle.map((x) => x.p99));
if (values.json) console.log(JSON.stringify({ rounds, parallel, idle: { p99: idleP99, max: median(idle.map((x) => x.max)) }, rows, pipelining, codecCost, gateway }, null, 2));
else {
  const f = (n: number) => n.toFixed(1);
  if (rows.length > 0) {
    console.log(`/healthz latency while audio work runs, ${parallel} at once (median of ${rounds} rounds; inline = AUDIO_THREADS=0, pool = ${Math.max(1, parallel - 1)} threads; target p99 <= 20 ms)\n`);
    console.log(`idle server: p99 ${f(idleP99)} ms, max ${f(median(idle.map((x) => x.max)))} ms (target <= 5 ms)\n`);
    console.log('| case | healthz p99 pool ms | target | p99 inline | healthz max pool | max inline | inline/pool (max) | work ms pool | work ms inline |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      console.log(`| ${r.case} | ${f(r.healthzP99MsPool)} | ${r.healthzP99MsPool <= 20 ? 'met' : 'missed'} | ${f(r.healthzP99MsInline)} | ${f(r.healthzMaxMsPool)} | ${f(r.healthzMaxMsInline)} | ${r.maxLatencyRatio.toFixed(1)}× | ${f(r.workMsPool)} | ${f(r.workMsInline)} |`);
    }
  }
  if (pipelining) printPipelining(pipelining);
  if (codecCost) printCodecCost(codecCost);
  if (gateway.length > 0) {
    console.log('\nMP3 through the gateway at full load vs the engine alone (synthetic engine, CosyVoice3 L20 batch-1 RTF; target >= 95%)\n');
    console.log('| route | audio-s/s through the gateway | engine alone | ratio | target |');
    console.log('|---|---|---|---|---|');
    for (const g of gateway) console.log(`| ${g.route} | ${f(g.audioPerSecond)} | ${f(g.engineAlonePerSecond)} | ${(g.ratio * 100).toFixed(1)}% | ${g.ratio >= 0.95 ? 'met' : 'missed'} |`);
  }
}
