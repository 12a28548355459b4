// The gateway-throughput part of `npm run bench:serving`: audio seconds per second delivered as
// MP3 through POST /v1/tts and POST /v1/audio/speech at full load, against the engine alone
// (the same engine called directly, as many calls at once as it has slots). The engine is the
// synthetic one with CosyVoice3's published L20 batch-1 RTF (a GPU model spends no CPU here, so
// what the gateway costs — HTTP, planning, scheduling, resampling and MP3 encoding in the audio
// threads — is what the ratio shows; target >= 95%). Both are measured in the same run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { SyntheticEngine, L20_COSYVOICE3_PROFILE, type SyntheticProfile } from '../src/workers/synthetic-engine.js';
import { MP3_BITRATE_KBPS } from '../src/audio/mp3.js';

const TEXT = 'Speech synthesis turns written text into audio that a listener can follow without reading it.';

export interface GatewayRow {
  route: string;
  audioPerSecond: number;
  engineAlonePerSecond: number;
  ratio: number;
}

export interface GatewayOptions {
  /** Engine slots (concurrent calls); clients are twice that, so the queue never runs dry. */
  slots?: number;
  /** Requests per measurement. */
  requests?: number;
}

function profile(slots: number): SyntheticProfile {
  return { ...L20_COSYVOICE3_PROFILE, maxBatch: 1, concurrency: slots, timeScale: 1 };
}

/** Runs `n` jobs with `concurrency` at once; returns the summed result and the wall seconds. */
async function closedLoop(n: number, concurrency: number, job: () => Promise<number>): Promise<{ total: number; seconds: number }> {
  let next = 0;
  let total = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        // Not `total += await job()`: that reads `total` before the await and loses the others' sums.
        const got = await job();
        total += got;
      }
    }),
  );
  return { total, seconds: (performance.now() - t0) / 1000 };
}

async function engineAlone(slots: number, requests: number): Promise<number> {
  const engine = new SyntheticEngine(profile(slots));
  await engine.start();
  const { total, seconds } = await closedLoop(requests, slots, async () => {
    let samples = 0;
    for await (const c of engine.synthesize({ text: TEXT, mode: 'preset', voice: 'tone', language: 'en', speed: 1 })) samples += c.samples.length;
    return samples / engine.capabilities.sampleRate;
  });
  await engine.close();
  return total / seconds;
}

async function throughGateway(slots: number, requests: number, route: 'tts' | 'openai'): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cosyfleet-bench-gateway-'));
  const config = loadConfig({ env: {}, overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent', dataDir, maxConnectionsPerAddress: 0, queueMax: 10_000 } });
  const app = await buildApp(config, { engine: new SyntheticEngine(profile(slots)), logger: pino({ level: 'silent' }) });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const post = async (): Promise<number> => {
      const [path, body] =
        route === 'tts'
          ? ['/v1/tts', { text: TEXT, format: 'mp3', language: 'en' }]
          : ['/v1/audio/speech', { model: 'tts-1', input: TEXT, voice: 'tone', response_format: 'mp3' }];
      const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      const bytes = (await res.arrayBuffer()).byteLength;
      // CBR: the duration is in the byte count (within a frame).
      return (bytes * 8) / (MP3_BITRATE_KBPS * 1000);
    };
    await closedLoop(slots, slots, post); // warm codecs and threads
    const { total, seconds } = await closedLoop(requests, slots * 2, post);
    return total / seconds;
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function gatewayThroughput(options: GatewayOptions = {}): Promise<GatewayRow[]> {
  const slots = options.slots ?? 4;
  const requests = options.requests ?? slots * 15;
  const rows: GatewayRow[] = [];
  for (const [route, name] of [
    ['tts', `POST /v1/tts (mp3), ${slots} slots`],
    ['openai', `POST /v1/audio/speech (mp3), ${slots} slots`],
  ] as const) {
    // Engine alone right before each gateway run, so both see the same machine.
    const alone = await engineAlone(slots, requests);
    const through = await throughGateway(slots, requests, route);
    rows.push({ route: name, audioPerSecond: through, engineAlonePerSecond: alone, ratio: through / alone });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const slots = Number(process.argv[2] ?? 4);
  for (const r of await gatewayThroughput({ slots })) console.log(`${r.route}: ${r.audioPerSecond.toFixed(1)} audio-s/s vs engine alone ${r.engineAlonePerSecond.toFixed(1)} (${(r.ratio * 100).toFixed(1)}%)`);
}
