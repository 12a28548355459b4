// The workload spec (YAML or JSON): traffic, text lengths, languages, SLO, region, growth,
// output storage and delivery, plus optional planning knobs. `parseWorkload` reports every
// problem with the path of the field it concerns.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import { resolveLanguageTag, unknownLanguageMessage } from '../text/language-tags.js';
import { LANGUAGES, type LanguageCode } from '../text/language.js';
import { parseUserProfiles, type MeasuredCurve } from './profiles.js';
import { MAX_FLEET_GPUS } from './sizing.js';
import { Fields, PlannerInputError, join, type Obj } from './validate.js';

export const AUDIO_FORMATS = ['mp3', 'opus', 'aac', 'wav', 'pcm', 'flac'] as const;
export type AudioFormat = (typeof AUDIO_FORMATS)[number];
export const STORAGE_CLASSES = ['STANDARD_IA', 'ONEZONE_IA', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'] as const;

export type LengthDistribution =
  | { type: 'fixed' }
  | { type: 'lognormal'; cv: number; maxChars: number }
  | { type: 'buckets'; buckets: { chars: number; share: number }[] };

export interface Workload {
  name: string;
  requestsPerDay: number;
  meanChars: number;
  lengthDistribution: LengthDistribution;
  /** `code` is the engine code the tag resolved to; `tag` the tag as written, when it differs. */
  language: { code: LanguageCode; tag?: string; share: number; charsPerSecond: number }[];
  /** 168 weights, Monday 00:00 first (a 24-value list is used for every day). */
  weeklyWeights: number[];
  burstFactor: number;
  burstShare: number;
  streamingShare: number;
  slo: { p95FirstAudioMs: number; p95CompletionMs: number };
  region: string;
  growthPerMonth: number;
  storage: { retentionDays: number; format: AudioFormat; lifecycle: { afterDays: number; storageClass: string }[] | 'cheapest' };
  delivery: { cdnShare: number; downloadsPerOutput: number };
  engine: string;
  coldStartS?: number;
  instanceTypes?: string[];
  strategies: {
    autoscale: { minInstances: number; scaleInAfterMinutes: number; headroom: number };
    scaleToZero: { idleMinutes: number };
    spot: { interruptionsPerInstanceMonth: number; onDemandBase?: number };
  };
  planning: { maxUtilization: number; seed: number; month: number; days: number };
  profiles: (MeasuredCurve & { engine: string })[];
}

/**
 * The largest values the planner's model can mean (docs/planner.md, "Input bounds"). Past them
 * a number is either a typo or a workload the planner cannot size in reasonable time, so it is
 * refused naming the field and the bound, never planned for minutes.
 */
export const WORKLOAD_LIMITS = {
  /** ~11,600 requests/s on average: beyond one region's fleet of MAX_FLEET_GPUS for any text. */
  requestsPerDay: 1e9,
  /** MAX_TEXT_CHARS's own ceiling: no request to the service can be longer. */
  chars: 1_000_000,
  /** Latency targets past a day are not latency targets. */
  sloMs: 86_400_000,
  /** Relative weights: their ratios matter, and sums must stay finite. */
  weight: 1e6,
  downloadsPerOutput: 1e6,
  /** One lifecycle rule per storage class at most. */
  lifecycleRules: STORAGE_CLASSES.length,
  lifecycleDays: 3650,
  /** The length quantile table has 256 points: more buckets add nothing. */
  buckets: 256,
  languages: 64,
  instanceTypes: 256,
  /** The largest fleet the planner sizes (MAX_FLEET_GPUS) holds no more instances. */
  instances: MAX_FLEET_GPUS,
  /** The random generator takes 32-bit seeds. */
  seed: 0xffffffff,
  stringChars: 200,
} as const;

const TOP_FIELDS = [
  'name', 'requestsPerDay', 'meanChars', 'lengthDistribution', 'language', 'hourlyWeights', 'burstFactor', 'burstShare',
  'streamingShare', 'slo', 'region', 'growthPerMonth', 'storage', 'delivery', 'engine', 'coldStartS', 'instanceTypes',
  'strategies', 'planning', 'profiles',
];

export function loadWorkloadFile(path: string): Workload {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PlannerInputError(`workload ${path}`, [`cannot read the file: ${(err as Error).message}`]);
  }
  return parseWorkload(text, path);
}

/** Parses YAML (.yaml/.yml) or JSON text and validates it. */
export function parseWorkloadText(text: string, name: string): unknown {
  const ext = extname(name).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') {
    const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) throw new PlannerInputError(`workload ${name}`, doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`));
    return doc.toJS();
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new PlannerInputError(`workload ${name}`, [`JSON: ${(err as Error).message}`]);
  }
}

export function parseWorkload(text: string, name: string): Workload {
  return validateWorkload(parseWorkloadText(text, name), name);
}

export function validateWorkload(raw: unknown, fallbackName = 'workload'): Workload {
  const f = new Fields();
  const o = f.object(raw, '');
  if (!o) return f.throwIfAny(`workload ${fallbackName}`) as never;
  f.known(o, '', TOP_FIELDS);

  const name = f.string(o, 'name', '', { optional: true, maxLength: WORKLOAD_LIMITS.stringChars }) ?? fallbackName;
  const requestsPerDay = f.number(o, 'requestsPerDay', '', { min: 0, max: WORKLOAD_LIMITS.requestsPerDay }) ?? 0;
  const meanChars = f.number(o, 'meanChars', '', { min: 1, max: WORKLOAD_LIMITS.chars }) ?? 1;
  const lengthDistribution = parseLength(f, o.lengthDistribution, meanChars);
  const language = parseLanguages(f, o.language);
  const weeklyWeights = parseWeights(f, o.hourlyWeights);
  const burstFactor = f.number(o, 'burstFactor', '', { min: 1, max: 20, optional: true }) ?? 1;
  const burstShare = f.number(o, 'burstShare', '', { exclusiveMin: 0, max: 0.5, optional: true }) ?? 0.05;
  if (burstFactor * burstShare >= 1) f.add('burstFactor', `burstFactor x burstShare must stay below 1 so the other minutes keep a positive rate (${burstFactor} x ${burstShare})`);
  const streamingShare = f.number(o, 'streamingShare', '', { min: 0, max: 1 }) ?? 0;

  const sloObj = f.object(o.slo, 'slo') ?? {};
  f.known(sloObj, 'slo', ['p95FirstAudioMs', 'p95CompletionMs']);
  const slo = {
    p95FirstAudioMs: f.number(sloObj, 'p95FirstAudioMs', 'slo', { exclusiveMin: 0, max: WORKLOAD_LIMITS.sloMs }) ?? 1,
    p95CompletionMs: f.number(sloObj, 'p95CompletionMs', 'slo', { exclusiveMin: 0, max: WORKLOAD_LIMITS.sloMs }) ?? 1,
  };
  const region = f.string(o, 'region', '', { pattern: /^[a-z]{2}(-[a-z]+)+-\d$/, maxLength: WORKLOAD_LIMITS.stringChars }) ?? 'us-east-1';
  const growthPerMonth = f.number(o, 'growthPerMonth', '', { min: -0.9, max: 10, optional: true }) ?? 0;

  const st = o.storage === undefined ? {} : (f.object(o.storage, 'storage') ?? {});
  f.known(st, 'storage', ['retentionDays', 'format', 'lifecycle']);
  const storage: Workload['storage'] = {
    retentionDays: f.number(st, 'retentionDays', 'storage', { min: 0, max: 3650, optional: true }) ?? 0,
    format: (f.string(st, 'format', 'storage', { choices: AUDIO_FORMATS, optional: true }) ?? 'mp3') as AudioFormat,
    lifecycle: parseLifecycle(f, st.lifecycle),
  };
  const dl = o.delivery === undefined ? {} : (f.object(o.delivery, 'delivery') ?? {});
  f.known(dl, 'delivery', ['cdnShare', 'downloadsPerOutput']);
  const delivery = {
    cdnShare: f.number(dl, 'cdnShare', 'delivery', { min: 0, max: 1, optional: true }) ?? 0,
    downloadsPerOutput: f.number(dl, 'downloadsPerOutput', 'delivery', { min: 0, max: WORKLOAD_LIMITS.downloadsPerOutput, optional: true }) ?? 1,
  };

  const engine = f.string(o, 'engine', '', { optional: true, maxLength: WORKLOAD_LIMITS.stringChars }) ?? 'cosyvoice3-trtllm';
  const coldStartS = f.number(o, 'coldStartS', '', { min: 0, max: 3600, optional: true });
  let instanceTypes: string[] | undefined;
  const it = f.array(o, 'instanceTypes', '', { optional: true, minLength: 1, maxLength: WORKLOAD_LIMITS.instanceTypes });
  if (it) instanceTypes = it.flatMap((v, i) => f.stringValue(v, join('instanceTypes', i), { maxLength: WORKLOAD_LIMITS.stringChars }) ?? []);

  const strategies = parseStrategies(f, o.strategies);
  const pl = o.planning === undefined ? {} : (f.object(o.planning, 'planning') ?? {});
  f.known(pl, 'planning', ['maxUtilization', 'seed', 'month', 'days']);
  const planning = {
    maxUtilization: f.number(pl, 'maxUtilization', 'planning', { exclusiveMin: 0, max: 0.99, optional: true }) ?? 0.85,
    seed: f.number(pl, 'seed', 'planning', { min: 0, max: WORKLOAD_LIMITS.seed, int: true, optional: true }) ?? 1,
    month: f.number(pl, 'month', 'planning', { min: 0, max: 120, int: true, optional: true }) ?? 0,
    days: f.number(pl, 'days', 'planning', { min: 1, max: 31, int: true, optional: true }) ?? 30,
  };
  const profiles = o.profiles === undefined ? [] : parseUserProfiles(f, o.profiles, 'profiles');

  // Growth compounds over planning.month and the simulated month: the traffic actually planned
  // must stay within the bound, not only month 0's.
  const planned = requestsPerDay * (1 + growthPerMonth) ** (planning.month + 1);
  if (requestsPerDay <= WORKLOAD_LIMITS.requestsPerDay && !(planned <= WORKLOAD_LIMITS.requestsPerDay)) {
    f.add('growthPerMonth', `compounds requestsPerDay ${requestsPerDay} to ${planned.toPrecision(3)} a day by the end of planning.month ${planning.month}; the planner models at most ${WORKLOAD_LIMITS.requestsPerDay} a day`);
  }

  f.throwIfAny(`workload ${fallbackName}`);
  const w: Workload = {
    name,
    requestsPerDay, meanChars, lengthDistribution, language, weeklyWeights, burstFactor, burstShare, streamingShare, slo,
    region, growthPerMonth, storage, delivery, engine, strategies, planning, profiles,
  };
  if (coldStartS !== undefined) w.coldStartS = coldStartS;
  if (instanceTypes) w.instanceTypes = instanceTypes;
  return w;
}

function parseLength(f: Fields, raw: unknown, meanChars: number): LengthDistribution {
  if (raw === undefined) return { type: 'lognormal', cv: 0.6, maxChars: Math.min(WORKLOAD_LIMITS.chars, Math.max(meanChars * 10, 2000)) };
  const o = f.object(raw, 'lengthDistribution');
  if (!o) return { type: 'fixed' };
  const type = f.string(o, 'type', 'lengthDistribution', { choices: ['fixed', 'lognormal', 'buckets'] });
  if (type === 'fixed') {
    f.known(o, 'lengthDistribution', ['type']);
    return { type: 'fixed' };
  }
  if (type === 'buckets') {
    f.known(o, 'lengthDistribution', ['type', 'buckets']);
    const buckets: { chars: number; share: number }[] = [];
    (f.array(o, 'buckets', 'lengthDistribution', { minLength: 1, maxLength: WORKLOAD_LIMITS.buckets }) ?? []).forEach((b, i) => {
      const p = join('lengthDistribution.buckets', i);
      const bo = f.object(b, p);
      if (!bo) return;
      f.known(bo, p, ['chars', 'share']);
      const chars = f.number(bo, 'chars', p, { min: 1, max: WORKLOAD_LIMITS.chars });
      const share = f.number(bo, 'share', p, { min: 0, max: 1 });
      if (chars !== undefined && share !== undefined) buckets.push({ chars, share });
    });
    const total = buckets.reduce((s, b) => s + b.share, 0);
    if (buckets.length > 0 && Math.abs(total - 1) > 1e-3) f.add('lengthDistribution.buckets', `shares must add up to 1, got ${round(total)}`);
    const mean = buckets.reduce((s, b) => s + b.chars * b.share, 0);
    if (buckets.length > 0 && Math.abs(mean - meanChars) > 0.02 * meanChars) f.add('meanChars', `must match the buckets' mean (${round(mean)}), got ${meanChars}`);
    return { type: 'buckets', buckets };
  }
  f.known(o, 'lengthDistribution', ['type', 'cv', 'maxChars']);
  const cv = f.number(o, 'cv', 'lengthDistribution', { exclusiveMin: 0, max: 3 }) ?? 0.6;
  const maxChars = f.number(o, 'maxChars', 'lengthDistribution', { exclusiveMin: meanChars, max: WORKLOAD_LIMITS.chars, optional: true }) ?? Math.min(WORKLOAD_LIMITS.chars, Math.max(meanChars * 10, 2000));
  return { type: 'lognormal', cv, maxChars };
}

function parseLanguages(f: Fields, raw: unknown): Workload['language'] {
  if (!Array.isArray(raw)) {
    f.add('language', raw === undefined ? 'is required' : 'must be a list of {code, share, charsPerSecond}');
    return [];
  }
  if (raw.length === 0) f.add('language', 'must have at least 1 entry');
  if (raw.length > WORKLOAD_LIMITS.languages) {
    f.add('language', `must have at most ${WORKLOAD_LIMITS.languages} entries, got ${raw.length}`);
    return [];
  }
  const out: Workload['language'] = [];
  const seen = new Map<LanguageCode, { index: number; tag: string }>();
  raw.forEach((l, i) => {
    const p = join('language', i);
    const o = f.object(l, p);
    if (!o) return;
    f.known(o, p, ['code', 'share', 'charsPerSecond']);
    const tag = f.string(o, 'code', p, { maxLength: WORKLOAD_LIMITS.stringChars });
    const share = f.number(o, 'share', p, { min: 0, max: 1 });
    const charsPerSecond = f.number(o, 'charsPerSecond', p, { exclusiveMin: 0, max: 100 });
    // Tags as people write them (`zh-CN`, `EN`, `zh-HK`), read as every route reads them.
    const code = tag === undefined ? null : resolveLanguageTag(tag);
    if (tag !== undefined && code === null) f.add(join(p, 'code'), unknownLanguageMessage(tag));
    if (code === null || tag === undefined) return;
    // Two tags for one language (`zh` and `zh-CN`) would be two rows with one meaning and maybe
    // two speaking rates; which rate was meant is the writer's call, so it is refused, not merged.
    const earlier = seen.get(code);
    if (earlier) {
      f.add(join(p, 'code'), `"${tag}" is ${code} (${languageName(code)}), which ${join('language', earlier.index)} already lists as "${earlier.tag}"; list each language once (add up the shares, pick one charsPerSecond)`);
      return;
    }
    seen.set(code, { index: i, tag });
    if (share !== undefined && charsPerSecond !== undefined) out.push({ code, ...(tag === code ? {} : { tag }), share, charsPerSecond });
  });
  const total = out.reduce((s, l) => s + l.share, 0);
  if (out.length === raw.length && out.length > 0 && Math.abs(total - 1) > 1e-3) f.add('language', `shares must add up to 1, got ${round(total)}`);
  return out;
}

function parseWeights(f: Fields, raw: unknown): number[] {
  const list = (v: unknown, p: string): number[] | undefined => {
    if (!Array.isArray(v)) return void f.add(p, v === undefined ? 'is required' : 'must be a list of 24 numbers');
    if (v.length !== 24) return void f.add(p, `must have exactly 24 entries (one per hour), got ${v.length}`);
    const out = v.map((x, i) => f.numberValue(x, join(p, i), { min: 0, max: WORKLOAD_LIMITS.weight }) ?? 0);
    return out;
  };
  let weekday: number[] | undefined;
  let weekend: number[] | undefined;
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const o = raw as Obj;
    f.known(o, 'hourlyWeights', ['weekday', 'weekend']);
    weekday = list(o.weekday, 'hourlyWeights.weekday');
    weekend = o.weekend === undefined ? weekday : list(o.weekend, 'hourlyWeights.weekend');
  } else {
    weekday = weekend = list(raw, 'hourlyWeights');
  }
  if (!weekday || !weekend) return new Array<number>(168).fill(1);
  const week = [...Array(5).fill(weekday).flat(), ...Array(2).fill(weekend).flat()] as number[];
  if (week.every((w) => w === 0)) f.add('hourlyWeights', 'must not be all zero');
  return week;
}

function parseLifecycle(f: Fields, raw: unknown): Workload['storage']['lifecycle'] {
  if (raw === undefined || raw === 'cheapest') return 'cheapest';
  if (!Array.isArray(raw)) {
    f.add('storage.lifecycle', 'must be "cheapest" or a list of {afterDays, storageClass}');
    return 'cheapest';
  }
  if (raw.length > WORKLOAD_LIMITS.lifecycleRules) {
    f.add('storage.lifecycle', `must have at most ${WORKLOAD_LIMITS.lifecycleRules} transitions (one per storage class), got ${raw.length}`);
    return 'cheapest';
  }
  const out: { afterDays: number; storageClass: string }[] = [];
  raw.forEach((r, i) => {
    const p = join('storage.lifecycle', i);
    const o = f.object(r, p);
    if (!o) return;
    f.known(o, p, ['afterDays', 'storageClass']);
    const afterDays = f.number(o, 'afterDays', p, { min: 0, max: WORKLOAD_LIMITS.lifecycleDays, int: true });
    const storageClass = f.string(o, 'storageClass', p, { choices: STORAGE_CLASSES });
    if (afterDays !== undefined && storageClass) out.push({ afterDays, storageClass });
  });
  for (let i = 1; i < out.length; i++) {
    if (out[i]!.afterDays <= out[i - 1]!.afterDays) f.add(join('storage.lifecycle', i), 'afterDays must increase from one transition to the next');
  }
  return out;
}

function parseStrategies(f: Fields, raw: unknown): Workload['strategies'] {
  const o = raw === undefined ? {} : (f.object(raw, 'strategies') ?? {});
  f.known(o, 'strategies', ['autoscale', 'scaleToZero', 'spot']);
  const a = o.autoscale === undefined ? {} : (f.object(o.autoscale, 'strategies.autoscale') ?? {});
  f.known(a, 'strategies.autoscale', ['minInstances', 'scaleInAfterMinutes', 'headroom']);
  const z = o.scaleToZero === undefined ? {} : (f.object(o.scaleToZero, 'strategies.scaleToZero') ?? {});
  f.known(z, 'strategies.scaleToZero', ['idleMinutes']);
  const s = o.spot === undefined ? {} : (f.object(o.spot, 'strategies.spot') ?? {});
  f.known(s, 'strategies.spot', ['interruptionsPerInstanceMonth', 'onDemandBase']);
  const spot: Workload['strategies']['spot'] = {
    interruptionsPerInstanceMonth: f.number(s, 'interruptionsPerInstanceMonth', 'strategies.spot', { min: 0, max: 100, optional: true }) ?? 0.1,
  };
  const base = f.number(s, 'onDemandBase', 'strategies.spot', { min: 0, max: WORKLOAD_LIMITS.instances, int: true, optional: true });
  if (base !== undefined) spot.onDemandBase = base;
  return {
    autoscale: {
      minInstances: f.number(a, 'minInstances', 'strategies.autoscale', { min: 1, max: WORKLOAD_LIMITS.instances, int: true, optional: true }) ?? 1,
      scaleInAfterMinutes: f.number(a, 'scaleInAfterMinutes', 'strategies.autoscale', { min: 1, max: 240, int: true, optional: true }) ?? 15,
      headroom: f.number(a, 'headroom', 'strategies.autoscale', { min: 0, max: 2, optional: true }) ?? 0.1,
    },
    scaleToZero: { idleMinutes: f.number(z, 'idleMinutes', 'strategies.scaleToZero', { min: 1, max: 240, int: true, optional: true }) ?? 15 },
    spot,
  };
}

export function languageName(code: LanguageCode): string {
  return LANGUAGES.find((l) => l.code === code)?.name ?? code;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
