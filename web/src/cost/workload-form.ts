// The Cost page's form as data: what the person types (strings, as the inputs hold them), the
// workload the planner reads built from it, and which form field a server refusal's `param`
// (a workload field path such as `slo.p95FirstAudioMs` or `language[1].share`) belongs to.
// The server is the validator: a number that is not one is sent as typed so the planner names
// it, and an empty field is left out so the planner says it is required.
import type { LexiconLanguage } from '../api/client.js';
import type { WorkloadBody } from './plan-api.js';

/** Every language the planner knows: a Record, so the type-check fails when the API gains one. */
export const LANGUAGES = Object.keys({ en: 1, cmn: 1, yue: 1, ja: 1, ko: 1, de: 1, es: 1, fr: 1, it: 1, ru: 1 } satisfies Record<LexiconLanguage, 1>) as LexiconLanguage[];

/**
 * Characters per second of speech the form starts a language with: English and Mandarin are the
 * figures the docs and `cosyfleet bench` measure (15 and 4.5); the rest is a starting point for
 * the person to correct (the help says to measure it).
 */
export function defaultCharsPerSecond(code: string): number {
  return code === 'en' ? 15 : code === 'cmn' || code === 'yue' ? 4.5 : 12;
}

/** Daily shapes in the person's local time (relative weights, midnight first). */
export const SHAPES = {
  flat: Array<number>(24).fill(1),
  daytime: [1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 8, 8, 8, 8, 8, 7, 6, 5, 4, 3, 2, 1],
  office: [1, 1, 1, 1, 1, 1, 2, 4, 7, 9, 10, 10, 9, 10, 10, 9, 8, 6, 4, 3, 2, 2, 1, 1],
  evening: [2, 1, 1, 1, 1, 1, 2, 3, 4, 4, 5, 5, 5, 5, 5, 5, 6, 7, 8, 9, 10, 9, 6, 3],
} as const satisfies Record<string, readonly number[]>;
export type ShapeId = keyof typeof SHAPES;
export const SHAPE_IDS = Object.keys(SHAPES) as ShapeId[];

/** Regions of the bundled catalog, as suggestions: the planner says which it has prices for. */
export const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-northeast-1', 'ap-southeast-1'];
export const ENGINES = ['cosyvoice3-trtllm', 'cosyvoice3-vllm-omni', 'espeak-embedded'];
export const STORAGE_FORMATS = ['mp3', 'opus', 'aac', 'wav', 'pcm', 'flac'];

export interface LanguageRow {
  code: string;
  /** Percent. */
  share: string;
  charsPerSecond: string;
}

export interface Draft {
  name: string;
  volume: 'day' | 'peak';
  requestsPerDay: string;
  /** The busiest hour's average, requests per second. */
  peakRate: string;
  shape: ShapeId;
  /** Hours east of UTC of the local time the shape is drawn in. */
  utcOffset: number;
  meanChars: string;
  languages: LanguageRow[];
  /** Percent. */
  streaming: string;
  sloFirst: string;
  sloDone: string;
  region: string;
  engine: string;
  /** Comma- or space-separated; empty: every instance type of the catalog. */
  instanceTypes: string;
  /** Percent per month. */
  growth: string;
  minInstances: string;
  /** Percent. */
  headroom: string;
  idleMinutes: string;
  spotInterruptions: string;
  retentionDays: string;
  storageFormat: string;
  days: string;
  seed: string;
}

/** The browser's offset from UTC today, in whole hours (the weights are hourly). */
export function localUtcOffset(): number {
  return Math.max(-12, Math.min(14, Math.round(-new Date().getTimezoneOffset() / 60)));
}

export function initialDraft(utcOffset: number): Draft {
  return {
    name: 'studio',
    volume: 'day',
    requestsPerDay: '50000',
    peakRate: '',
    shape: 'daytime',
    utcOffset,
    meanChars: '180',
    languages: [
      { code: 'cmn', share: '60', charsPerSecond: '4.5' },
      { code: 'en', share: '40', charsPerSecond: '15' },
    ],
    streaming: '70',
    sloFirst: '1500',
    sloDone: '20000',
    region: 'us-east-1',
    engine: 'cosyvoice3-trtllm',
    instanceTypes: '',
    growth: '0',
    minInstances: '1',
    headroom: '10',
    idleMinutes: '15',
    spotInterruptions: '0.1',
    retentionDays: '0',
    storageFormat: 'mp3',
    days: '30',
    seed: '1',
  };
}

/** A typed number, or the text itself when it is not one (the planner then names the field). */
function value(text: string, scale = 1): number | string | undefined {
  const s = text.trim();
  if (s === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? round(n * scale) : s;
}

/** Percent → share without 0.1 + 0.2 noise (shares must add up to 1 within 0.001). */
function round(n: number): number {
  return Math.round(n * 1e9) / 1e9;
}

/** The shape, in UTC hours as the workload wants them: UTC hour h is local hour h + offset. */
export function utcWeights(shape: ShapeId, utcOffset: number): number[] {
  const local = SHAPES[shape];
  return Array.from({ length: 24 }, (_, h) => local[(((h + utcOffset) % 24) + 24) % 24] as number);
}

/** Requests a day whose busiest hour averages `peak` requests/s under these weights. */
export function requestsPerDayFromPeak(peak: number, weights: readonly number[]): number {
  const sum = weights.reduce((s, w) => s + w, 0);
  const max = Math.max(...weights);
  return max > 0 ? Math.round((peak * 3600 * sum) / max) : 0;
}

function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function workloadOf(d: Draft): WorkloadBody {
  const hourlyWeights = utcWeights(d.shape, d.utcOffset);
  const peak = value(d.peakRate);
  const requestsPerDay = d.volume === 'day' ? value(d.requestsPerDay) : typeof peak === 'number' ? requestsPerDayFromPeak(peak, hourlyWeights) : peak;
  const types = d.instanceTypes.split(/[\s,]+/).filter(Boolean);
  return defined({
    name: d.name.trim() || undefined,
    requestsPerDay,
    meanChars: value(d.meanChars),
    language: d.languages.map((l) => defined({ code: l.code, share: value(l.share, 0.01), charsPerSecond: value(l.charsPerSecond) })),
    hourlyWeights,
    streamingShare: value(d.streaming, 0.01),
    slo: defined({ p95FirstAudioMs: value(d.sloFirst), p95CompletionMs: value(d.sloDone) }),
    region: d.region.trim(),
    growthPerMonth: value(d.growth, 0.01),
    engine: d.engine.trim() || undefined,
    instanceTypes: types.length > 0 ? types : undefined,
    storage: defined({ retentionDays: value(d.retentionDays), format: d.storageFormat }),
    strategies: {
      autoscale: defined({ minInstances: value(d.minInstances), headroom: value(d.headroom, 0.01) }),
      scaleToZero: defined({ idleMinutes: value(d.idleMinutes) }),
      spot: defined({ interruptionsPerInstanceMonth: value(d.spotInterruptions) }),
    },
    planning: defined({ days: value(d.days), seed: value(d.seed) }),
  }) as WorkloadBody;
}

/** The form's fields by the workload path each one writes. */
const FIELD_PATHS: Readonly<Record<string, string>> = {
  name: 'name',
  meanChars: 'meanChars',
  shape: 'hourlyWeights',
  languages: 'language',
  streaming: 'streamingShare',
  sloFirst: 'slo.p95FirstAudioMs',
  sloDone: 'slo.p95CompletionMs',
  region: 'region',
  engine: 'engine',
  instanceTypes: 'instanceTypes',
  growth: 'growthPerMonth',
  minInstances: 'strategies.autoscale.minInstances',
  headroom: 'strategies.autoscale.headroom',
  idleMinutes: 'strategies.scaleToZero.idleMinutes',
  spotInterruptions: 'strategies.spot.interruptionsPerInstanceMonth',
  retentionDays: 'storage.retentionDays',
  storageFormat: 'storage.format',
  days: 'planning.days',
  seed: 'planning.seed',
};

/**
 * The form field a refusal's `param` is about: the field that writes that path, else the one
 * that writes the nearest enclosing path (`hourlyWeights[3]` → the daily shape); null when no
 * field of the form writes it (it is then shown above the button).
 */
export function fieldOfParam(param: string | null, d: Draft): string | null {
  if (!param) return null;
  const paths: Record<string, string> = { ...FIELD_PATHS, [d.volume === 'day' ? 'requestsPerDay' : 'peakRate']: 'requestsPerDay' };
  d.languages.forEach((_, i) => {
    for (const part of ['code', 'share', 'charsPerSecond']) paths[`language-${i}-${part}`] = `language[${i}].${part}`;
  });
  let best: { field: string; length: number } | null = null;
  for (const [field, path] of Object.entries(paths)) {
    const encloses = param === path || param.startsWith(`${path}.`) || param.startsWith(`${path}[`);
    if (encloses && (!best || path.length > best.length)) best = { field, length: path.length };
  }
  return best?.field ?? null;
}
