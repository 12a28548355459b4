// `npm run bench:serving`: what audio work costs the rest of the service. A real server on
// loopback answers /healthz every few ms while it (a) encodes a long MP3 resampled to 24 kHz,
// (b) encodes a long Ogg Opus, (c) decodes and checks a 30 s 96 kHz FLAC voice upload; the
// /healthz latency during each is measured with the audio work on the event loop
// (AUDIO_THREADS=0) and in the audio thread pool, in the same run, alternating, and reported as
// ratios (the machine is shared and noisy). Then long text pipelined across a process-mode
// engine's slots, and short requests while it runs (bench/pipelining.ts). Flags: --rounds N, --json.
// Last, encode + resample cost per audio second of every format against the ffmpeg CLI
// (bench/serving-codecs.ts; --codec-seconds S of speech, default 120).
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { createEncoder } from '../src/audio/encoders.js';
import { measureCodecCost, printCodecCost } from './serving-codecs.js';
import { pipeliningBench, printPipelining } from './pipelining.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, 'codec-seconds': { type: 'string', default: '120' }, json: { type: 'boolean', default: false } } });
const rounds = Math.max(1, Number(values.rounds));

const LONG = Array.from({ length: 12 }, (_, i) => `Paragraph ${i + 1}. A long answer is encoded while other clients ask whether the service is healthy, and they should not have to wait for the encoder.`).join(' ');

async function start(audioThreads: number) {
  const dataDir = mkdtempSync(join(tmpdir(), 'cosyfleet-bench-serving-'));
  const config = loadConfig({ env: {}, overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent', dataDir, audioThreads, maxUploadBytes: 50 * 1_048_576, maxConnectionsPerAddress: 0 } });
  const app = await buildApp(config);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: async () => { await app.close(); rmSync(dataDir, { recursive: true, force: true }); } };
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

const servers = { inline: await start(0), pool: await start(2) };
const results: Record<string, Record<'inline' | 'pool', { p50: number; p99: number; max: number; workMs: number }[]>> = {};
try {
  for (const [name, work] of Object.entries(cases)) {
    results[name] = { inline: [], pool: [] };
    for (const s of Object.values(servers)) await work(s.url); // warm codecs and threads
    for (let r = 0; r < rounds; r++) {
      for (const mode of ['inline', 'pool'] as const) {
        const { latencies, workMs } = await probe(servers[mode].url, () => work(servers[mode].url));
        results[name]?.[mode].push({ p50: pct(latencies, 0.5), p99: pct(latencies, 0.99), max: Math.max(...latencies), workMs });
      }
    }
  }
} finally {
  await Promise.all(Object.values(servers).map((s) => s.close()));
}

const pipelining = await pipeliningBench(rounds);
const codecCost = await measureCodecCost({ rounds, seconds: Math.max(5, Number(values['codec-seconds'])) });

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
if (values.json) console.log(JSON.stringify({ rounds, rows, pipelining, codecCost }, null, 2));
else {
  const f = (n: number) => n.toFixed(1);
  console.log(`/healthz latency while audio work runs (median of ${rounds} rounds; inline = AUDIO_THREADS=0, pool = 2 threads)\n`);
  console.log('| case | healthz max inline ms | healthz max pool ms | inline/pool | p99 inline | p99 pool | work ms inline | work ms pool |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.case} | ${f(r.healthzMaxMsInline)} | ${f(r.healthzMaxMsPool)} | ${r.maxLatencyRatio.toFixed(1)}× | ${f(r.healthzP99MsInline)} | ${f(r.healthzP99MsPool)} | ${f(r.workMsInline)} | ${f(r.workMsPool)} |`);
  }
}
if (!values.json) printPipelining(pipelining);
if (!values.json) printCodecCost(codecCost);
