// `cosyfleet bench` flags: parsed and checked as a whole, so every problem is reported at once
// (exit 2) before anything is sent. The API key may come from COSYFLEET_BENCH_API_KEY: this is
// a client's own setting, not the server's (src/config/settings.ts), so it is read here.
import { parseArgs, type Flags } from '../planner/command.js';
import { resolveLanguageTag, unknownLanguageMessage } from '../text/language-tags.js';
import type { LanguageCode } from '../text/language.js';
import { BENCH_AUDIO_FORMATS, type BenchAudioFormat } from './audio-length.js';
import { CLOSED_LOOP_DEFAULTS } from './closed-loop.js';
import { OPEN_LOOP_DEFAULTS } from './open-loop.js';
import type { Route, Target } from './request.js';

export const API_KEY_ENV = 'COSYFLEET_BENCH_API_KEY';
export const REPORT_FORMATS = ['table', 'json', 'md', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const BENCH_USAGE = `Usage: cosyfleet bench --url URL [options]

Drives a cosyfleet server (POST /v1/tts or POST /v1/audio/speech) or any OpenAI-compatible
speech server and measures first audio, completion, RTF and audio-s/s. Closed loop by default
(concurrency 1, 2, 4, ... until throughput stops growing); --rate switches to an open loop.

Target
  --url URL                  server origin (http://127.0.0.1:8080) or an OpenAI-style base ending in /v1
  --route tts|openai         POST /v1/tts (default) or the OpenAI-compatible POST /v1/audio/speech
  --api-key KEY              sent as Authorization: Bearer (default: env ${API_KEY_ENV})
  --voice ID                 voice (tts: the engine's first; openai: alloy)
  --model ID                 model on the openai route (default tts-1)
  --audio-format F           ${BENCH_AUDIO_FORMATS.join(', ')} (default pcm; pcm/wav are measured by byte count,
                             the others are decoded after each request)
Closed loop (default)
  --concurrency LIST         levels, e.g. 1,2,4,8 (default 1, 2, 4, ... up to --max-concurrency)
  --max-concurrency N        largest level of the default ramp (default ${CLOSED_LOOP_DEFAULTS.maxConcurrency})
  --level-duration S         measured seconds per level (default ${CLOSED_LOOP_DEFAULTS.levelDurationS})
  --level-requests N         end a level after N measured requests, if that comes first
  --warmup S                 seconds per level before measuring (default ${CLOSED_LOOP_DEFAULTS.warmupS})
Open loop
  --rate R                   Poisson arrivals, R requests per second
  --max-in-flight N          arrivals beyond N in flight are dropped and counted (default ${OPEN_LOOP_DEFAULTS.maxInFlight})
  --seed N                   arrival times and workload draws (default ${OPEN_LOOP_DEFAULTS.seed})
Texts
  --workload FILE            a planner workload (YAML/JSON): its length distribution and language shares
  --chars N                  fixed length instead (default 200)
  --language L               with --chars (default en; tags such as zh-CN work)
Bounds
  --duration S               no request starts after S seconds (open loop: arrivals for S s, default ${OPEN_LOOP_DEFAULTS.durationS})
  --max-requests N           send at most N requests
  --hard-stop S              abort everything in flight at S s (default: duration x 2 + 30)
Output
  --format table|json|md|html   report format (default table); html has charts
  --out FILE                 write the report to FILE instead of stdout
  --records                  json: include every request
  --no-progress              no progress bar on stderr (drawn only when stderr is a terminal)
Profile (closed loop)
  --profile-out FILE         write an engine profile the planner reads (cosyfleet plan --profile FILE)
  --engine NAME, --gpu NAME  the profile's engine and GPU names (required with --profile-out)
  --instance-type T          the instance it ran on
  --flag k=v                 server setting to record (repeatable)
  --host-note k=v            fact about the server's machine (repeatable)
  --local                    the server runs on this machine: record its CPU, memory, arch, Node

Exit codes: 0 done, 1 the server could not be reached or refused the first request,
2 bad flags, 130 interrupted (the report is still written).
`;

export interface BenchArgs {
  target: Target;
  mode: 'closed' | 'open';
  texts: { kind: 'fixed'; chars: number; language: LanguageCode } | { kind: 'workload'; path: string };
  concurrency?: number[];
  maxConcurrency?: number;
  levelDurationS?: number;
  levelRequests?: number;
  warmupS?: number;
  rate?: number;
  maxInFlight?: number;
  seed: number;
  durationS?: number;
  maxRequests?: number;
  hardStopS?: number;
  format: ReportFormat;
  out?: string;
  records: boolean;
  progress: boolean;
  profile?: {
    out: string;
    engine: string;
    gpu: string;
    instanceType?: string;
    flags: Record<string, string | number | boolean>;
    host: Record<string, string | number>;
    local: boolean;
  };
}

const KNOWN = {
  '--url': 'value', '--route': 'value', '--api-key': 'value', '--voice': 'value', '--model': 'value', '--audio-format': 'value',
  '--concurrency': 'value', '--max-concurrency': 'value', '--level-duration': 'value', '--level-requests': 'value', '--warmup': 'value',
  '--rate': 'value', '--max-in-flight': 'value', '--seed': 'value', '--workload': 'value', '--chars': 'value', '--language': 'value',
  '--duration': 'value', '--max-requests': 'value', '--hard-stop': 'value', '--format': 'value', '--out': 'value', '--records': 'bool',
  '--no-progress': 'bool', '--profile-out': 'value', '--engine': 'value', '--gpu': 'value', '--instance-type': 'value', '--flag': 'multi',
  '--host-note': 'multi', '--local': 'bool', '--help': 'bool',
} as const;

/** Bounds that keep a typo from meaning a day-long run or a million sockets. */
const LIMITS = { concurrency: 1024, seconds: 86_400, requests: 10_000_000, rate: 10_000, chars: 100_000, inFlight: 100_000 } as const;

/** A number only where it reads back the same (`8`, `0.5`), so `6.10` or `007` stay as written. */
function scalar(v: string, booleans: boolean): string | number | boolean {
  if (booleans && (v === 'true' || v === 'false')) return v === 'true';
  return v !== '' && String(Number(v)) === v ? Number(v) : v;
}

export function parseBenchArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): { args?: BenchArgs; problems: string[]; help: boolean } {
  const { positional, flags, problems } = parseArgs(argv, KNOWN);
  if (flags.has('--help')) return { problems: [], help: true };
  const one = (name: string) => flags.get(name)?.[0];
  if (positional.length > 0) problems.push(`unexpected argument ${positional.join(' ')}`);
  const num = (name: string, o: { int?: boolean; min: number; max: number; exclusiveMin?: boolean }): number | undefined => {
    const text = one(name);
    if (text === undefined) return undefined;
    const v = Number(text);
    const ok = text.trim() !== '' && Number.isFinite(v) && (!o.int || Number.isInteger(v)) && (o.exclusiveMin ? v > o.min : v >= o.min) && v <= o.max;
    if (!ok) problems.push(`${name} must be ${o.int ? 'a whole number' : 'a number'} ${o.exclusiveMin ? 'above' : 'from'} ${o.min}${o.exclusiveMin ? ' and at most' : ' to'} ${o.max}, got ${text}`);
    return ok ? v : undefined;
  };
  const choice = <T extends string>(name: string, choices: readonly T[], dflt: T): T => {
    const v = one(name) ?? dflt;
    if (!(choices as readonly string[]).includes(v)) problems.push(`${name} must be ${choices.join(', ')}, got ${v}`);
    return v as T;
  };

  const url = one('--url');
  if (url === undefined) problems.push('--url is required (e.g. --url http://127.0.0.1:8080)');
  else {
    let ok = false;
    try {
      ok = ['http:', 'https:'].includes(new URL(url).protocol);
    } catch {
      ok = false;
    }
    if (!ok) problems.push(`--url must be an http:// or https:// URL, got ${url}`);
  }
  const route = choice<Route>('--route', ['tts', 'openai'], 'tts');
  const audioFormat = choice<BenchAudioFormat>('--audio-format', BENCH_AUDIO_FORMATS, 'pcm');
  if (flags.has('--model') && route !== 'openai') problems.push('--model applies to --route openai only');
  const apiKey = one('--api-key') ?? env[API_KEY_ENV];

  const rate = num('--rate', { min: 0, max: LIMITS.rate, exclusiveMin: true });
  const mode = flags.has('--rate') ? 'open' : 'closed';
  const closedOnly = ['--concurrency', '--max-concurrency', '--level-duration', '--level-requests', '--warmup'];
  const openOnly = ['--max-in-flight'];
  for (const f of mode === 'open' ? closedOnly : openOnly) if (flags.has(f)) problems.push(`${f} is for the ${mode === 'open' ? 'closed loop; --rate runs an open loop' : 'open loop (with --rate)'}`);
  let concurrency: number[] | undefined;
  const list = one('--concurrency');
  if (list !== undefined) {
    const parts = list.split(',').map((s) => s.trim());
    const values = parts.map(Number);
    const valid = parts.length > 0 && values.every((v, i) => parts[i] !== '' && Number.isInteger(v) && v >= 1 && v <= LIMITS.concurrency);
    if (!valid) problems.push(`--concurrency must be a comma-separated list of whole numbers from 1 to ${LIMITS.concurrency}, got ${list}`);
    else if (values.some((v, i) => i > 0 && v <= (values[i - 1] as number))) problems.push(`--concurrency must increase from one level to the next, got ${list}`);
    else concurrency = values;
    if (flags.has('--max-concurrency')) problems.push('give --concurrency or --max-concurrency, not both');
  }
  const maxConcurrency = num('--max-concurrency', { int: true, min: 1, max: LIMITS.concurrency });

  let texts: BenchArgs['texts'] = { kind: 'fixed', chars: 200, language: 'en' };
  const workload = one('--workload');
  if (workload !== undefined) {
    if (flags.has('--chars') || flags.has('--language')) problems.push('--workload sets the lengths and languages; leave out --chars and --language');
    texts = { kind: 'workload', path: workload };
  } else {
    const chars = num('--chars', { int: true, min: 1, max: LIMITS.chars }) ?? 200;
    const tag = one('--language') ?? 'en';
    const language = resolveLanguageTag(tag);
    if (language === null) problems.push(`--language: ${unknownLanguageMessage(tag)}`);
    texts = { kind: 'fixed', chars, language: language ?? 'en' };
  }

  const format = choice<ReportFormat>('--format', REPORT_FORMATS, 'table');
  if (flags.has('--records') && format !== 'json') problems.push('--records goes with --format json');
  const profile = profileArgs(flags, one, problems, mode);

  const args: BenchArgs = {
    target: { url: url ?? '', route, audioFormat, ...(apiKey ? { apiKey } : {}), ...(one('--voice') ? { voice: one('--voice') as string } : {}), ...(one('--model') ? { model: one('--model') as string } : {}) },
    mode,
    texts,
    seed: num('--seed', { int: true, min: 0, max: 0xffffffff }) ?? OPEN_LOOP_DEFAULTS.seed,
    format,
    records: flags.has('--records'),
    progress: !flags.has('--no-progress'),
  };
  const optional: [keyof BenchArgs, number | undefined][] = [
    ['maxConcurrency', maxConcurrency],
    ['levelDurationS', num('--level-duration', { min: 0, max: LIMITS.seconds, exclusiveMin: true })],
    ['levelRequests', num('--level-requests', { int: true, min: 1, max: LIMITS.requests })],
    ['warmupS', num('--warmup', { min: 0, max: LIMITS.seconds })],
    ['rate', rate],
    ['maxInFlight', num('--max-in-flight', { int: true, min: 1, max: LIMITS.inFlight })],
    ['durationS', num('--duration', { min: 0, max: LIMITS.seconds, exclusiveMin: true })],
    ['maxRequests', num('--max-requests', { int: true, min: 1, max: LIMITS.requests })],
    ['hardStopS', num('--hard-stop', { min: 0, max: LIMITS.seconds * 2 + 30, exclusiveMin: true })],
  ];
  for (const [k, v] of optional) if (v !== undefined) (args as unknown as Record<string, unknown>)[k] = v;
  if (concurrency) args.concurrency = concurrency;
  if (one('--out')) args.out = one('--out') as string;
  if (profile) args.profile = profile;
  return problems.length > 0 ? { problems, help: false } : { args, problems, help: false };
}

function profileArgs(flags: Flags, one: (name: string) => string | undefined, problems: string[], mode: 'closed' | 'open'): BenchArgs['profile'] {
  const out = one('--profile-out');
  const needsOut = ['--engine', '--gpu', '--instance-type', '--flag', '--host-note', '--local'].filter((f) => flags.has(f));
  if (out === undefined) {
    if (needsOut.length > 0) problems.push(`${needsOut.join(', ')}: only with --profile-out`);
    return undefined;
  }
  if (mode === 'open') problems.push('--profile-out needs the closed-loop ramp (throughput by concurrency); leave out --rate');
  const engine = one('--engine');
  const gpu = one('--gpu');
  if (!engine) problems.push('--profile-out needs --engine (the planner\'s engine name, e.g. cosyvoice3-trtllm)');
  if (!gpu) problems.push('--profile-out needs --gpu (the catalog\'s GPU name, e.g. L4)');
  const pairs = (name: string, booleans: boolean) => {
    const out: Record<string, string | number | boolean> = {};
    for (const kv of flags.get(name) ?? []) {
      const eq = kv.indexOf('=');
      const key = eq > 0 ? kv.slice(0, eq) : '';
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(key)) problems.push(`${name} takes key=value with a key of letters, digits, _ . - (at most 64), got ${kv}`);
      else out[key] = scalar(kv.slice(eq + 1), booleans);
    }
    return out;
  };
  const instanceType = one('--instance-type');
  return {
    out,
    engine: engine ?? '',
    gpu: gpu ?? '',
    ...(instanceType ? { instanceType } : {}),
    flags: pairs('--flag', true),
    host: pairs('--host-note', false) as Record<string, string | number>,
    local: flags.has('--local'),
  };
}
