// The long-text section of `npm run bench:serving` (issue 13, item 3): a 5,000-character text
// streamed through POST /v1/tts from a process-mode engine (synthetic worker processes with
// CosyVoice3's L20 profile at half its time, batching off, segments cut at CosyVoice3's
// 120-character limit), alone on 4 worker slots vs one slot, both at the default
// SEGMENT_LOOKAHEAD. Then short requests back to back from one client while that long text runs
// on the 4-slot server, against the same requests on the idle server: their p50/p95 latency
// (time to the whole response), and the long text's completion beside them; the same on 4 slots
// with look-ahead off (1: the old one-segment-at-a-time behaviour) for reference. Median of
// `rounds` rounds. The server and the client share one process, as in the rest of the bench:
// on a small machine their CPU, not the engine, limits the 4-slot figure at shorter time scales.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { processEngineFromConfig } from '../src/workers/from-config.js';
import { SyntheticEngine, L20_COSYVOICE3_PROFILE, type SyntheticProfile } from '../src/workers/synthetic-engine.js';

/** Profile time scale: 0.5 = twice as fast as an L20, so a round takes under a minute. */
const TIME_SCALE = 0.5;
const SHORT = 'Hello there, how are you today?';

export interface PipeliningResult {
  readonly chars: number;
  readonly segments: number;
  /** Median completion time of the long text (ms): alone, and beside the short requests. */
  readonly longMs: { readonly slots4: number; readonly slots1: number; readonly slots4BesideShorts: number; readonly slots4NoLookaheadBesideShorts: number };
  /** slots1 / slots4: the target is >= 3. */
  readonly speedup: number;
  /** Short-request latency (ms) on the 4-slot server: idle, and while the long text runs. */
  readonly short: { readonly idle: Spread; readonly duringLong: Spread; readonly duringLongNoLookahead: Spread };
  readonly preemptions: number;
  readonly lookahead: number;
}

interface Spread {
  readonly p50: number;
  readonly p95: number;
  readonly n: number;
}

/** About 5,000 characters of prose in paragraphs: sentences, clauses, a few long sentences. */
export function longText(limit = 5000): string {
  const subjects = ['The old lighthouse keeper', 'A quiet train', 'Every morning the market', 'The river', 'Our small team', 'The city library'];
  const verbs = ['watched the harbour', 'crossed the valley', 'opened before dawn', 'carried the last of the snow', 'rebuilt the bridge', 'kept its lamps burning'];
  const tails = [
    'and nobody seemed to notice',
    'while the gulls argued over the nets, the ferries came and went, and the clock above the station kept a time of its own that no one had set for years',
    'though the weather had turned',
    'until the evening bells rang',
  ];
  const paragraphs: string[] = [];
  let text = '';
  for (let p = 0; text.length < limit; p++) {
    const sentences: string[] = [];
    for (let s = 0; s < 5; s++) {
      const i = p * 5 + s;
      sentences.push(`${subjects[i % subjects.length]} ${verbs[(i * 7) % verbs.length]}, ${tails[(i * 3) % tails.length]}.`);
    }
    paragraphs.push(sentences.join(' '));
    text = paragraphs.join('\n\n');
  }
  // Cut back to the last sentence end within the limit.
  const cut = text.slice(0, limit);
  return cut.slice(0, cut.lastIndexOf('.') + 1);
}

async function server(slots: number, lookahead?: number) {
  const dataDir = mkdtempSync(join(tmpdir(), 'cosyfleet-bench-pipelining-'));
  const config = loadConfig({
    env: {},
    overrides: {
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent',
      dataDir,
      workers: 'process',
      workerProcesses: slots,
      workerConcurrency: 1,
      ...(lookahead === undefined ? {} : { segmentLookahead: lookahead }),
      maxSegmentChars: 120,
      queueMax: 10_000,
      queueDeadlineMs: 3_600_000,
      maxConnectionsPerAddress: 0,
    },
  });
  const profile: SyntheticProfile = { ...L20_COSYVOICE3_PROFILE, timeScale: TIME_SCALE, maxBatch: 1, concurrency: 1 };
  const engine = processEngineFromConfig(config, new SyntheticEngine(profile), { env: { COSYFLEET_SYNTHETIC_PROFILE: JSON.stringify(profile) } });
  const app = await buildApp(config, { engine, logger: pino({ level: 'silent' }) });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url,
    lookahead: config.segmentLookahead,
    preemptions: () => app.engine.scheduler.stats().preemptions,
    close: async () => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Streams one request to its end; its wall time (ms) and segment count. */
async function tts(url: string, text: string): Promise<{ ms: number; segments: number }> {
  const t = performance.now();
  const res = await fetch(`${url}/v1/tts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text, language: 'en', format: 'pcm', stream: true }) });
  if (res.status !== 200) throw new Error(`tts ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
  return { ms: performance.now() - t, segments: Number(res.headers.get('x-segments')) };
}

/** Short requests back to back until `until` settles (or `count` when none is given). */
async function shorts(url: string, until: Promise<unknown> | null, count = 20): Promise<number[]> {
  const latencies: number[] = [];
  let done = false;
  void until?.finally(() => (done = true));
  while (until ? !done : latencies.length < count) {
    latencies.push((await tts(url, SHORT)).ms);
    await new Promise((r) => setTimeout(r, 10));
  }
  return latencies;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)] ?? NaN;
};
const spread = (xs: number[]): Spread => ({ p50: pct(xs, 0.5), p95: pct(xs, 0.95), n: xs.length });

export async function pipeliningBench(rounds: number): Promise<PipeliningResult> {
  const text = longText();
  const servers = { slots4: await server(4), slots1: await server(1), slots4NoLookahead: await server(4, 1) };
  const long = { slots4: [] as number[], slots1: [] as number[], slots4BesideShorts: [] as number[], slots4NoLookaheadBesideShorts: [] as number[] };
  const idle: number[] = [];
  const during: number[] = [];
  const duringOff: number[] = [];
  let segments = 0;
  /** The long text on `url` with short requests back to back beside it. */
  const beside = async (url: string, into: number[]): Promise<number> => {
    const running = tts(url, text);
    into.push(...(await shorts(url, running)));
    return (await running).ms;
  };
  try {
    // Warm every worker and connection.
    for (const s of Object.values(servers)) await Promise.all([tts(s.url, SHORT), tts(s.url, SHORT), tts(s.url, SHORT), tts(s.url, SHORT)]);
    for (let r = 0; r < rounds; r++) {
      for (const name of ['slots4', 'slots1'] as const) {
        const result = await tts(servers[name].url, text);
        segments = result.segments;
        long[name].push(result.ms);
      }
      idle.push(...(await shorts(servers.slots4.url, null)));
      long.slots4BesideShorts.push(await beside(servers.slots4.url, during));
      long.slots4NoLookaheadBesideShorts.push(await beside(servers.slots4NoLookahead.url, duringOff));
    }
    const median = (xs: number[]) => pct(xs, 0.5);
    const longMs = {
      slots4: median(long.slots4),
      slots1: median(long.slots1),
      slots4BesideShorts: median(long.slots4BesideShorts),
      slots4NoLookaheadBesideShorts: median(long.slots4NoLookaheadBesideShorts),
    };
    return {
      chars: [...text].length,
      segments,
      longMs,
      speedup: longMs.slots1 / longMs.slots4,
      short: { idle: spread(idle), duringLong: spread(during), duringLongNoLookahead: spread(duringOff) },
      preemptions: servers.slots4.preemptions(),
      lookahead: servers.slots4.lookahead,
    };
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.close()));
  }
}

export function printPipelining(r: PipeliningResult): void {
  const f = (n: number) => n.toFixed(0);
  console.log(`\nLong text pipelined (${r.chars} characters, ${r.segments} segments; process-mode synthetic L20 workers at time scale ${TIME_SCALE}, SEGMENT_LOOKAHEAD ${r.lookahead}; median of rounds)\n`);
  console.log('| long text alone | 4 slots | 1 slot | 1 slot / 4 slots (target >= 3) |');
  console.log('|---|---|---|---|');
  console.log(`| completion ms | ${f(r.longMs.slots4)} | ${f(r.longMs.slots1)} | ${r.speedup.toFixed(2)}× |`);
  console.log('\n| 4 slots | short p50 ms | short p95 ms | shorts | long text completion ms |');
  console.log('|---|---|---|---|---|');
  console.log(`| idle server | ${f(r.short.idle.p50)} | ${f(r.short.idle.p95)} | ${r.short.idle.n} | |`);
  console.log(`| while the long text runs | ${f(r.short.duringLong.p50)} | ${f(r.short.duringLong.p95)} | ${r.short.duringLong.n} | ${f(r.longMs.slots4BesideShorts)} |`);
  console.log(`| while it runs, look-ahead off | ${f(r.short.duringLongNoLookahead.p50)} | ${f(r.short.duringLongNoLookahead.p95)} | ${r.short.duringLongNoLookahead.n} | ${f(r.longMs.slots4NoLookaheadBesideShorts)} |`);
  console.log(`\nlook-ahead calls that gave their slot to a short request: ${r.preemptions}`);
}
