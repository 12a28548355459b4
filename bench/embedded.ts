// `npm run bench:embedded`: the embedded espeak engine's real-time factor (synthesis time /
// audio time) for a short and a long text, and throughput with a pool of 1 worker vs one per
// core. Both pools are measured in the same run, alternating, so the ratio survives a noisy
// shared machine better than absolute numbers do. Flags: --rounds N, --jobs N, --json.
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { EspeakEngine } from '../src/engines/espeak/engine.js';
import type { SynthesisRequest } from '../src/engines/engine.js';

const SHORT = 'The quick brown fox jumps over the lazy dog.';
const LONG = [
  'Speech synthesis turns written text into audio that a listener can follow without reading.',
  'A service that does it well has to be fast, predictable under load, and honest about its limits.',
  'This paragraph is long enough that start-up costs no longer dominate the measurement.',
  'It covers numbers like 42 and 3.14, abbreviations such as Dr. Smith, and a question or two?',
  'Every sentence adds a little more audio, so the real-time factor settles to its steady value.',
].join(' ');

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    jobs: { type: 'string', default: '' },
    json: { type: 'boolean', default: false },
  },
});
const rounds = Math.max(1, Number(values.rounds));
const cores = availableParallelism();
// Rounds of a few seconds each: sub-second rounds measure scheduler noise, not the pool.
const jobs = Math.max(cores * 16, Number(values.jobs) || 0);

function request(text: string): SynthesisRequest {
  return { text, mode: 'preset', voice: 'mei', language: 'en', speed: 1 };
}

async function synthesize(engine: EspeakEngine, text: string): Promise<number> {
  let samples = 0;
  for await (const chunk of engine.synthesize(request(text))) samples += chunk.samples.length;
  return samples / engine.capabilities.sampleRate;
}

/** Sequential RTF on one worker: median of `rounds` runs after one warm-up. */
async function rtf(engine: EspeakEngine, text: string): Promise<{ audioSeconds: number; rtf: number }> {
  await synthesize(engine, text);
  const ratios: number[] = [];
  let audioSeconds = 0;
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    audioSeconds = await synthesize(engine, text);
    ratios.push((performance.now() - t0) / 1000 / audioSeconds);
  }
  ratios.sort((a, b) => a - b);
  return { audioSeconds, rtf: ratios[Math.floor(ratios.length / 2)] ?? NaN };
}

/** Audio seconds produced per wall second with `jobs` concurrent requests of the long text. */
async function throughput(engine: EspeakEngine): Promise<number> {
  const t0 = performance.now();
  const audio = await Promise.all(Array.from({ length: jobs }, () => synthesize(engine, LONG)));
  const wall = (performance.now() - t0) / 1000;
  return audio.reduce((a, b) => a + b, 0) / wall;
}

async function main(): Promise<void> {
  const single = new EspeakEngine({ workers: 1 });
  const multi = new EspeakEngine({ workers: cores });
  await Promise.all([single.start(), multi.start()]);
  try {
    const short = await rtf(single, SHORT);
    const long = await rtf(single, LONG);
    // Warm both pools, then alternate so drift on a shared machine hits both alike.
    await throughput(single);
    await throughput(multi);
    const one: number[] = [];
    const all: number[] = [];
    for (let i = 0; i < rounds; i++) {
      one.push(await throughput(single));
      all.push(await throughput(multi));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    const result = {
      machine: { cores, node: process.version },
      rounds,
      jobs,
      rtf: {
        short: { chars: SHORT.length, audioSeconds: round(short.audioSeconds), rtf: round(short.rtf, 4) },
        long: { chars: LONG.length, audioSeconds: round(long.audioSeconds), rtf: round(long.rtf, 4) },
      },
      throughput: {
        workers1AudioSecondsPerSecond: round(median(one)),
        [`workers${cores}AudioSecondsPerSecond`]: round(median(all)),
        ratio: round(median(all) / median(one)),
        perRoundRatios: one.map((o, i) => round((all[i] ?? NaN) / o)),
      },
      targets: { rtfPerWorker: 0.05, ratioWith2Workers: 1.7 },
    };
    if (values.json) {
      console.log(JSON.stringify(result, null, 2));
      return;
    }
    console.log(`espeak embedded engine — ${cores} cores, Node ${process.version}, ${rounds} rounds`);
    console.log(`RTF (1 worker, median)   short ${SHORT.length} chars / ${round(short.audioSeconds)} s audio: ${round(short.rtf, 4)}`);
    console.log(`                         long ${LONG.length} chars / ${round(long.audioSeconds)} s audio: ${round(long.rtf, 4)}   (target ≤ 0.05)`);
    console.log(`Throughput, ${jobs} concurrent long requests (audio s per wall s, median):`);
    console.log(`  1 worker:  ${round(median(one))}`);
    console.log(`  ${cores} workers: ${round(median(all))}`);
    console.log(`  ratio:     ${round(median(all) / median(one))}×   per round: ${result.throughput.perRoundRatios.join(', ')}   (target ≥ 1.7× with 2 workers)`);
  } finally {
    await Promise.all([single.close(), multi.close()]);
  }
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

await main();
