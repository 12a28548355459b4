// Engine profiles: how much audio one GPU makes per second at each concurrency, how soon the
// first audio comes, how much memory it needs and how long a cold start takes. Bundled anchors
// are published figures; other GPUs get an `estimated` profile from the scaling model below;
// a user's measured profile always wins. docs/planner.md explains the model.
import { readFileSync } from 'node:fs';
import bundled from './data/engine-profiles.json' with { type: 'json' };
import type { Catalog, GpuSpec, InstanceType } from './catalog.js';
import { findGpu, HOST_ARCHES, isCpu, type HostArch } from './catalog.js';
import { resolveCpuProfile } from './cpu-profile.js';
import { requirementProblem } from './engine-requirements.js';
import { applyPublishedBounds } from './floors.js';
import { Fields, join, type Obj } from './validate.js';

export interface ThroughputPoint {
  concurrency: number;
  /** Aggregate audio seconds produced per wall second at this concurrency. */
  audioSecondsPerSecond: number;
}

export interface MeasuredCurve {
  gpu: string;
  throughput: ThroughputPoint[];
  /** `ms`: mean first audio with `concurrency` streams in flight; `p95Ms` where measured. */
  firstAudioMs: { concurrency: number; ms: number; p95Ms?: number }[];
  source: string;
  sourceDate: string;
  maxConcurrency?: number;
  coldStartS?: number;
  /** Written by `cosyfleet bench`: how and where the curve was measured. */
  measurement?: Measurement;
  /** CPU engines' anchors: the vCPUs of the host the curve was measured on. */
  vcpus?: number;
  /**
   * How much one request's time varies at one stream with the text length held fixed (squared
   * coefficient of variation; `cosyfleet bench` measures it): the engine's and the host's own
   * variability, which queues wait on as much as on the texts' lengths. 0 when unknown.
   */
  serviceScv?: number;
  /** Where a user profile came from (`profiles[0]`, `my-g6.json`), for error messages. */
  origin?: string;
}

/** Provenance of a profile that `cosyfleet bench` measured (profileSource: measured). */
export interface Measurement {
  profileSource: 'measured';
  measuredAt: string;
  instanceType?: string;
  /** Engine/server settings the run used (engine name, concurrency, precision, ...). */
  flags: Record<string, string | number | boolean>;
  /** The machine the server ran on, as far as the client can tell or was told. */
  host: Record<string, string | number>;
  /** Characters per audio second of the texts sent, by language code: the workload's `charsPerSecond`. */
  charsPerSecond?: Record<string, number>;
}

/** What an engine needs from an instance type; options that lack it are excluded, with the reason. */
export interface EngineRequirements {
  accelerator: 'cuda' | 'cpu';
  /** Host architectures the engine's image is built for. */
  arch: HostArch[];
  archSource: string;
  /** GPU microarchitectures the serving stack supports (absent: any CUDA GPU). */
  gpuArchitectures?: string[];
  gpuArchitecturesSource?: string;
}

/**
 * A published figure that bounds the scaling model: the fastest first audio at one stream and
 * the best per-stream speed anyone has shown for the model on a GPU (any serving stack).
 */
export interface PublishedFloor {
  gpu: string;
  firstAudioMs?: number;
  /** Processing time / audio time with one stream: 1/rtf audio-s/s per stream. */
  rtfAtOneStream?: number;
  /** The setup the figure comes from ("vLLM-Omni, streaming clone, 1 stream"). */
  what: string;
  source: string;
  sourceDate: string;
}

export interface EngineSpec {
  engine: string;
  description: string;
  requires: EngineRequirements;
  /** Published figures that bound this engine's estimated profiles (floors.ts). */
  floors: PublishedFloor[];
  maxConcurrency: number;
  /** CPU engines: most concurrent streams per vCPU (the anchor's range per vCPU). */
  streamsPerVcpu?: number;
  anchors: MeasuredCurve[];
  firstAudioGrowthPerStream: number;
  /** Why this engine's anchors must not be scaled to other GPUs (no estimates then). */
  noEstimates?: string;
  memory: { weightsBf16GiB: number; weightsNoBf16GiB: number; cudaContextGiB: number; runtimeExtraGiB: number; perStreamMiB: number; source: string };
  coldStart: { instanceBootS: number; modelLoadS: number; source: string };
}

/** `measured`: a user profile that `cosyfleet bench` wrote (with its provenance); `user`: any other. */
export type ProfileSource = 'published' | 'estimated' | 'user' | 'measured';

export interface GpuProfile {
  engine: string;
  gpu: string;
  source: ProfileSource;
  citation: string;
  /** Largest concurrency the planner may use: engine cap, curve range and memory. */
  maxConcurrency: number;
  /** True when GPU memory, not the engine or curve, set maxConcurrency. */
  memoryLimited: boolean;
  /** Index c (1..maxConcurrency): aggregate audio-s per s. Index 0 unused. */
  throughput: Float64Array;
  /** Index c: first-audio latency in ms with c streams in flight (no queueing). */
  firstAudioMs: Float64Array;
  coldStartS: number;
  coldStartSource: string;
  memoryGiB: (concurrency: number) => number;
  /**
   * Lowest first audio (ms) any option on this profile may claim: its first audio with one
   * stream in flight. Queueing adds to it; no load model may go below it.
   */
  firstAudioFloorMs: number;
  /** Published figures that clamped this (estimated) profile, each with its source; empty when none did. */
  bounds: string[];
  /** The engine's own service-time variability at a fixed text length (MeasuredCurve.serviceScv); 0 when unknown. */
  serviceScv: number;
  /** CPU profiles depend on the instance's vCPUs: the instance type they were resolved for. */
  instanceType?: string;
  /** For estimated profiles: the anchor and the ratios used. */
  scaling?: { fromGpu: string; bandwidthRatio: number; computeRatio: number; flowPrecision: 'bf16' | 'fp32'; fit: TwoTermFit };
}

/** time per audio second at concurrency c = w + l / c (seconds of GPU wall time). */
export interface TwoTermFit {
  w: number;
  l: number;
}

/** Usable share of GPU memory (allocator fragmentation, other processes). An assumption. */
export const USABLE_MEMORY_SHARE = 0.9;

export function bundledEngines(): EngineSpec[] {
  const f = new Fields();
  const top = f.object(structuredClone(bundled) as unknown, '') as Obj;
  const floors = (f.array(top, 'floors', '') ?? []).map((x, i) => parseFloor(f, x, join('floors', i)));
  const engines = (f.array(top, 'engines', '') ?? []).map((e, i) => parseEngine(f, e, join('engines', i)));
  f.throwIfAny('bundled engine profiles');
  return engines
    .filter((e): e is EngineSpec => e !== undefined)
    .map((e) => ({ ...e, floors: floors.filter((x) => x?.engines.includes(e.engine)).map((x) => x!.floor) }));
}

function parseFloor(f: Fields, raw: unknown, p: string): { engines: string[]; floor: PublishedFloor } | undefined {
  const o = f.object(raw, p);
  if (!o) return undefined;
  const engines = (f.array(o, 'engines', p, { minLength: 1 }) ?? []).flatMap((e, i) => f.stringValue(e, join(join(p, 'engines'), i)) ?? []);
  const firstAudioMs = f.number(o, 'firstAudioMs', p, { exclusiveMin: 0, optional: true });
  const rtfAtOneStream = f.number(o, 'rtfAtOneStream', p, { exclusiveMin: 0, optional: true });
  if (firstAudioMs === undefined && rtfAtOneStream === undefined) f.add(p, 'needs firstAudioMs or rtfAtOneStream');
  return {
    engines,
    floor: {
      gpu: f.string(o, 'gpu', p) ?? '',
      ...(firstAudioMs === undefined ? {} : { firstAudioMs }),
      ...(rtfAtOneStream === undefined ? {} : { rtfAtOneStream }),
      what: f.string(o, 'what', p) ?? '',
      source: f.string(o, 'source', p) ?? '',
      sourceDate: f.string(o, 'sourceDate', p) ?? '',
    },
  };
}

function parseRequirements(f: Fields, raw: unknown, p: string): EngineRequirements {
  const o = f.object(raw, p) ?? {};
  const accelerator = (f.string(o, 'accelerator', p, { choices: ['cuda', 'cpu'] }) ?? 'cuda') as 'cuda' | 'cpu';
  const arch = (f.array(o, 'arch', p, { minLength: 1 }) ?? []).flatMap((a, i) => f.stringValue(a, join(join(p, 'arch'), i), { choices: HOST_ARCHES }) ?? []) as HostArch[];
  const gpuArchitectures = f.array(o, 'gpuArchitectures', p, { optional: true, minLength: 1 })?.flatMap((a, i) => f.stringValue(a, join(join(p, 'gpuArchitectures'), i)) ?? []);
  const gpuArchitecturesSource = f.string(o, 'gpuArchitecturesSource', p, { optional: gpuArchitectures === undefined });
  return {
    accelerator,
    arch,
    archSource: f.string(o, 'archSource', p) ?? '',
    ...(gpuArchitectures ? { gpuArchitectures } : {}),
    ...(gpuArchitecturesSource ? { gpuArchitecturesSource } : {}),
  };
}

function parseEngine(f: Fields, raw: unknown, p: string): EngineSpec | undefined {
  const o = f.object(raw, p);
  if (!o) return undefined;
  const anchors = (f.array(o, 'anchors', p, { minLength: 1 }) ?? []).map((a, i) => {
    const ap = join(join(p, 'anchors'), i);
    const curve = parseCurve(f, a, ap);
    const vcpus = f.number((a ?? {}) as Obj, 'vcpus', ap, { min: 1, int: true, optional: true });
    return curve && vcpus !== undefined ? { ...curve, vcpus } : curve;
  });
  const streamsPerVcpu = f.number(o, 'streamsPerVcpu', p, { exclusiveMin: 0, optional: true });
  const mem = f.object(o.memory, join(p, 'memory')) ?? {};
  const cold = f.object(o.coldStart, join(p, 'coldStart')) ?? {};
  const noEstimates = f.string(o, 'noEstimates', p, { optional: true });
  return {
    ...(noEstimates ? { noEstimates } : {}),
    ...(streamsPerVcpu === undefined ? {} : { streamsPerVcpu }),
    engine: f.string(o, 'engine', p) ?? '',
    description: f.string(o, 'description', p) ?? '',
    requires: parseRequirements(f, o.requires, join(p, 'requires')),
    floors: [],
    maxConcurrency: f.number(o, 'maxConcurrency', p, { min: 1, int: true }) ?? 1,
    anchors: anchors.filter((a): a is MeasuredCurve => a !== undefined),
    firstAudioGrowthPerStream: f.number(o, 'firstAudioGrowthPerStream', p, { min: 0 }) ?? 0,
    memory: {
      weightsBf16GiB: f.number(mem, 'weightsBf16GiB', join(p, 'memory'), { min: 0 }) ?? 0,
      weightsNoBf16GiB: f.number(mem, 'weightsNoBf16GiB', join(p, 'memory'), { min: 0 }) ?? 0,
      cudaContextGiB: f.number(mem, 'cudaContextGiB', join(p, 'memory'), { min: 0 }) ?? 0,
      runtimeExtraGiB: f.number(mem, 'runtimeExtraGiB', join(p, 'memory'), { min: 0 }) ?? 0,
      perStreamMiB: f.number(mem, 'perStreamMiB', join(p, 'memory'), { exclusiveMin: 0 }) ?? 1,
      source: f.string(mem, 'source', join(p, 'memory')) ?? '',
    },
    coldStart: {
      instanceBootS: f.number(cold, 'instanceBootS', join(p, 'coldStart'), { min: 0 }) ?? 0,
      modelLoadS: f.number(cold, 'modelLoadS', join(p, 'coldStart'), { min: 0 }) ?? 0,
      source: f.string(cold, 'source', join(p, 'coldStart')) ?? '',
    },
  };
}

/**
 * What a measured profile can mean: no GPU holds more than ~1000 streams at 212 MiB each, a
 * GPU making more than 100,000 audio seconds per second is a unit mistake, and a cold start
 * past an hour is not a cold start. Bigger numbers are refused, naming the field.
 */
export const PROFILE_LIMITS = { profiles: 256, points: 1024, concurrency: 1024, audioSecondsPerSecond: 1e5, ms: 600_000, coldStartS: 3600, stringChars: 1000 } as const;

const CURVE_FIELDS = [
  'engine', 'gpu', 'throughput', 'firstAudioMs', 'source', 'sourceDate', 'maxConcurrency', 'coldStartS',
  'profileSource', 'measuredAt', 'instanceType', 'flags', 'host', 'charsPerSecond', 'serviceScv',
];
const MEASUREMENT_LIMITS = { keys: 64, valueChars: 200 } as const;

/**
 * A measured curve: throughput points give `audioSecondsPerSecond` directly, or `rtf`
 * (aggregate processing time / audio time, so 1/rtf audio-s per s), or `perStreamRtf` (each of
 * c streams' own RTF, so c/perStreamRtf).
 */
export function parseCurve(f: Fields, raw: unknown, p: string): MeasuredCurve | undefined {
  const o = f.object(raw, p);
  if (!o) return undefined;
  const throughput: ThroughputPoint[] = [];
  (f.array(o, 'throughput', p, { minLength: 1, maxLength: PROFILE_LIMITS.points }) ?? []).forEach((t, i) => {
    const tp = join(join(p, 'throughput'), i);
    const to = f.object(t, tp);
    if (!to) return;
    const c = f.number(to, 'concurrency', tp, { min: 1, max: PROFILE_LIMITS.concurrency, int: true });
    const given = ['audioSecondsPerSecond', 'rtf', 'perStreamRtf'].filter((k) => to[k] !== undefined);
    if (given.length !== 1) {
      f.add(tp, 'needs exactly one of audioSecondsPerSecond, rtf, perStreamRtf');
      return;
    }
    // Each form bounded so that the aggregate stays within PROFILE_LIMITS.audioSecondsPerSecond.
    const key = given[0] as 'audioSecondsPerSecond' | 'rtf' | 'perStreamRtf';
    const v =
      key === 'audioSecondsPerSecond'
        ? f.number(to, key, tp, { exclusiveMin: 0, max: PROFILE_LIMITS.audioSecondsPerSecond })
        : f.number(to, key, tp, { min: (key === 'rtf' ? 1 : (c ?? 1)) / PROFILE_LIMITS.audioSecondsPerSecond });
    if (c === undefined || v === undefined) return;
    const aps = key === 'audioSecondsPerSecond' ? v : key === 'rtf' ? 1 / v : c / v;
    throughput.push({ concurrency: c, audioSecondsPerSecond: aps });
  });
  throughput.sort((a, b) => a.concurrency - b.concurrency);
  for (let i = 1; i < throughput.length; i++) {
    if (throughput[i]!.concurrency === throughput[i - 1]!.concurrency) f.add(join(p, 'throughput'), `concurrency ${throughput[i]!.concurrency} appears twice`);
  }
  const firstAudioMs: { concurrency: number; ms: number }[] = [];
  (f.array(o, 'firstAudioMs', p, { minLength: 1, maxLength: PROFILE_LIMITS.points }) ?? []).forEach((t, i) => {
    const tp = join(join(p, 'firstAudioMs'), i);
    const to = f.object(t, tp);
    if (!to) return;
    const c = f.number(to, 'concurrency', tp, { min: 1, max: PROFILE_LIMITS.concurrency, int: true });
    const ms = f.number(to, 'ms', tp, { exclusiveMin: 0, max: PROFILE_LIMITS.ms });
    const p95 = f.number(to, 'p95Ms', tp, { exclusiveMin: 0, max: PROFILE_LIMITS.ms, optional: true });
    if (c !== undefined && ms !== undefined) firstAudioMs.push({ concurrency: c, ms, ...(p95 === undefined ? {} : { p95Ms: p95 }) });
  });
  firstAudioMs.sort((a, b) => a.concurrency - b.concurrency);
  const curve: MeasuredCurve = {
    gpu: f.string(o, 'gpu', p, { maxLength: PROFILE_LIMITS.stringChars }) ?? '',
    throughput,
    firstAudioMs,
    source: f.string(o, 'source', p, { maxLength: PROFILE_LIMITS.stringChars }) ?? '',
    sourceDate: f.string(o, 'sourceDate', p, { maxLength: PROFILE_LIMITS.stringChars }) ?? '',
  };
  const mc = f.number(o, 'maxConcurrency', p, { min: 1, max: PROFILE_LIMITS.concurrency, int: true, optional: true });
  if (mc !== undefined) curve.maxConcurrency = mc;
  const cs = f.number(o, 'coldStartS', p, { min: 0, max: PROFILE_LIMITS.coldStartS, optional: true });
  if (cs !== undefined) curve.coldStartS = cs;
  const scv = f.number(o, 'serviceScv', p, { min: 0, max: 4, optional: true });
  if (scv !== undefined) curve.serviceScv = scv;
  const m = parseMeasurement(f, o, p);
  if (m) curve.measurement = m;
  return curve;
}

function parseMeasurement(f: Fields, o: Obj, p: string): Measurement | undefined {
  const source = f.string(o, 'profileSource', p, { optional: true, choices: ['measured'] });
  const rest = ['measuredAt', 'instanceType', 'flags', 'host', 'charsPerSecond'].filter((k) => o[k] !== undefined);
  if (source === undefined) {
    if (rest.length > 0 && o.profileSource === undefined) f.add(p, `${rest.join(', ')}: only a measured profile has ${rest.length > 1 ? 'these' : 'this'}; add profileSource: measured`);
    return undefined;
  }
  const scalars = (key: string, kinds: readonly string[]): Record<string, never> | undefined => {
    if (o[key] === undefined) return undefined;
    const obj = f.object(o[key], join(p, key));
    if (!obj) return undefined;
    const entries = Object.entries(obj);
    if (entries.length > MEASUREMENT_LIMITS.keys) f.add(join(p, key), `must have at most ${MEASUREMENT_LIMITS.keys} entries`);
    for (const [k, v] of entries.slice(0, MEASUREMENT_LIMITS.keys)) {
      const ok = kinds.includes(typeof v) && (typeof v !== 'number' || Number.isFinite(v)) && (typeof v !== 'string' || v.length <= MEASUREMENT_LIMITS.valueChars);
      if (!ok) f.add(join(join(p, key), k), `must be a ${kinds.join(' or ')}${kinds.includes('string') ? ` of at most ${MEASUREMENT_LIMITS.valueChars} characters` : ''}`);
    }
    return obj as Record<string, never>;
  };
  const measuredAt = f.string(o, 'measuredAt', p, { pattern: /^\d{4}-\d{2}-\d{2}T/, maxLength: 40 });
  const instanceType = f.string(o, 'instanceType', p, { optional: true, maxLength: PROFILE_LIMITS.stringChars });
  const flags = scalars('flags', ['string', 'number', 'boolean']) ?? {};
  const host = scalars('host', ['string', 'number']) ?? {};
  const cps = scalars('charsPerSecond', ['number']);
  if (cps) for (const [k, v] of Object.entries(cps)) if (typeof v === 'number' && !(v > 0 && v <= 100)) f.add(join(join(p, 'charsPerSecond'), k), `must be above 0 and at most 100, got ${v}`);
  if (measuredAt === undefined) return undefined;
  return { profileSource: 'measured', measuredAt, ...(instanceType ? { instanceType } : {}), flags, host, ...(cps ? { charsPerSecond: cps } : {}) };
}

const PROFILE_TOP = '(profile)';

/** A user's measured profile file: one object or a list, each with `engine` and a curve. */
export function loadUserProfiles(path: string): (MeasuredCurve & { engine: string })[] {
  const f = new Fields();
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    f.add('', `cannot read ${path}: ${(err as Error).message}`);
    f.throwIfAny(`profile ${path}`);
  }
  const out = parseUserProfiles(f, raw, '');
  f.throwIfAny(`profile ${path}`);
  return out.map((c) => ({ ...c, origin: `${path}${c.origin === PROFILE_TOP ? '' : c.origin}` }));
}

export function parseUserProfiles(f: Fields, raw: unknown, path: string): (MeasuredCurve & { engine: string })[] {
  const list = Array.isArray(raw) ? raw : [raw];
  const out: (MeasuredCurve & { engine: string })[] = [];
  if (list.length > PROFILE_LIMITS.profiles) {
    f.add(path, `must have at most ${PROFILE_LIMITS.profiles} profiles, got ${list.length}`);
    return out;
  }
  list.forEach((item, i) => {
    const p = Array.isArray(raw) ? join(path, i) : path;
    const o = f.object(item, p);
    if (!o) return;
    f.known(o, p, CURVE_FIELDS);
    const engine = f.string(o, 'engine', p, { maxLength: PROFILE_LIMITS.stringChars });
    const curve = parseCurve(f, o, p);
    if (engine && curve) out.push({ ...curve, engine, origin: p || PROFILE_TOP });
  });
  return out;
}

/** Least-squares fit of time-per-audio-second y = w + l·(1/c) to a throughput curve. */
export function fitTwoTerm(points: readonly ThroughputPoint[]): TwoTermFit {
  if (points.length === 1) return { w: 0, l: 1 / (points[0] as ThroughputPoint).audioSecondsPerSecond / 1 };
  let sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const p of points) {
    const x = 1 / p.concurrency;
    const y = 1 / p.audioSecondsPerSecond;
    sx += x; sy += y; sxx += x * x; sxy += x * y;
  }
  const n = points.length;
  const l = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  const w = (sy - l * sx) / n;
  return { w: Math.max(0, w), l: Math.max(0, l) };
}

export function interpolate(points: readonly { x: number; y: number }[], x: number): number {
  const first = points[0] as { x: number; y: number };
  if (points.length === 1 || x <= first.x) return first.y;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1] as { x: number; y: number };
    const b = points[i] as { x: number; y: number };
    if (x <= b.x) return a.y + ((b.y - a.y) * (x - a.x)) / (b.x - a.x);
  }
  const a = points[points.length - 2] as { x: number; y: number };
  const b = points[points.length - 1] as { x: number; y: number };
  return b.y + ((b.y - a.y) * (x - b.x)) / (b.x - a.x);
}

export function firstAudioCurve(points: readonly { concurrency: number; ms: number }[], growth: number, maxC: number): Float64Array {
  const out = new Float64Array(maxC + 1);
  const pts = points.map((p) => ({ x: p.concurrency, y: p.ms }));
  const only = pts[0] as { x: number; y: number };
  const fa1 = only.y / (1 + growth * (only.x - 1));
  for (let c = 1; c <= maxC; c++) {
    out[c] = pts.length === 1 ? fa1 * (1 + growth * (c - 1)) : Math.max(1, interpolate(pts, c));
  }
  return out;
}

function flowPrecision(gpu: GpuSpec): 'bf16' | 'fp32' {
  return gpu.bf16 ? 'bf16' : 'fp32';
}

/** Compute rate the flow/vocoder stage runs at: bf16 tensor cores, else plain fp32. */
export function flowTflops(gpu: GpuSpec): number | undefined {
  return gpu.bf16 ? gpu.fp16TensorTflops : gpu.fp32Tflops;
}

export interface ProfileRequest {
  engine: EngineSpec;
  gpu: GpuSpec;
  catalog: Catalog;
  /** The instance type being sized: its host architecture is checked, and a CPU's profile depends on its vCPUs and RAM. */
  instance?: InstanceType;
  userCurves?: readonly (MeasuredCurve & { engine: string })[];
  /** Overrides every profile's cold start (the workload's coldStartS). */
  coldStartS?: number;
}

export type ProfileResult = { ok: true; profile: GpuProfile } | { ok: false; reason: string };

/** Memory use by concurrency, and the most streams that fit in `capacityGiB`. */
export function memoryModel(engine: EngineSpec, bf16: boolean, capacityGiB: number): { memory: (c: number) => number; memCap: number } {
  const memory = (c: number) =>
    (bf16 ? engine.memory.weightsBf16GiB : engine.memory.weightsNoBf16GiB) + engine.memory.cudaContextGiB + engine.memory.runtimeExtraGiB + (c * engine.memory.perStreamMiB) / 1024;
  return { memory, memCap: Math.floor(((capacityGiB * USABLE_MEMORY_SHARE - memory(0)) * 1024) / engine.memory.perStreamMiB) };
}

/** A user's or the bundled measured curve, as a profile (measured and published curves are their own floor). */
export function curveProfile(req: ProfileRequest, measured: MeasuredCurve, user: boolean, memory: (c: number) => number, memCap: number, name: string): GpuProfile {
  const { engine } = req;
  const lastC = (measured.throughput[measured.throughput.length - 1] as ThroughputPoint).concurrency;
  const cap = measured.maxConcurrency ?? (user ? lastC : engine.maxConcurrency);
  const maxC = Math.min(cap, memCap);
  const pts = measured.throughput.map((t) => ({ x: t.concurrency, y: t.audioSecondsPerSecond }));
  const throughput = new Float64Array(maxC + 1);
  for (let c = 1; c <= maxC; c++) throughput[c] = Math.max(1e-6, interpolate(pts, Math.min(c, lastC)));
  const firstAudioMs = firstAudioCurve(measured.firstAudioMs, engine.firstAudioGrowthPerStream, maxC);
  return {
    engine: engine.engine,
    gpu: name,
    source: user ? (measured.measurement ? 'measured' : 'user') : 'published',
    citation: `${measured.source} (${measured.sourceDate})`,
    maxConcurrency: maxC,
    memoryLimited: memCap < cap,
    throughput,
    firstAudioMs,
    firstAudioFloorMs: firstAudioMs[1] as number,
    bounds: [],
    serviceScv: measured.serviceScv ?? 0,
    ...coldStartOf(req, measured),
    memoryGiB: memory,
  };
}

/** The cold start a profile uses: the workload's, else the measured curve's, else the engine's assumption. */
export function coldStartOf(req: ProfileRequest, measured?: MeasuredCurve): { coldStartS: number; coldStartSource: string } {
  if (req.coldStartS !== undefined) return { coldStartS: req.coldStartS, coldStartSource: 'workload coldStartS' };
  if (measured?.coldStartS !== undefined) return { coldStartS: measured.coldStartS, coldStartSource: 'user profile' };
  const cold = req.engine.coldStart;
  return { coldStartS: cold.instanceBootS + cold.modelLoadS, coldStartSource: cold.source };
}

export function resolveProfile(req: ProfileRequest): ProfileResult {
  const { engine, gpu, catalog } = req;
  const refused = requirementProblem(engine, gpu, req.instance);
  if (refused) return { ok: false, reason: refused };
  if (isCpu(gpu)) return resolveCpuProfile(req);
  const { memory, memCap } = memoryModel(engine, gpu.bf16, gpu.memoryGiB ?? 0);
  if (memCap < 1) return { ok: false, reason: `${gpu.name} has ${gpu.memoryGiB} GiB; ${engine.engine} needs ${memory(1).toFixed(1)} GiB for one stream` };
  const user = req.userCurves?.find((u) => u.engine === engine.engine && u.gpu === gpu.name);
  const anchor = engine.anchors.find((a) => a.gpu === gpu.name);
  const measured = user ?? anchor;
  if (measured) return { ok: true, profile: curveProfile(req, measured, user !== undefined, memory, memCap, gpu.name) };

  // Scaling model: fit the anchor's time per audio second to w + l/c. The l part (LLM decode,
  // one step shared by the batch) is bound by memory bandwidth; the w part (flow + vocoder per
  // request) by tensor throughput, in fp32 on GPUs without bf16.
  if (engine.noEstimates) return { ok: false, reason: `no ${engine.engine} figures for ${gpu.name}, and none can be estimated: ${engine.noEstimates}` };
  const source = engine.anchors[0] as MeasuredCurve;
  const from = findGpu(catalog, source.gpu);
  const toFlow = flowTflops(gpu);
  const fromFlow = from ? flowTflops(from) : undefined;
  if (!from || !from.memoryBandwidthGBs || !fromFlow) return { ok: false, reason: `anchor GPU ${source.gpu} lacks datasheet figures in the catalog` };
  if (!gpu.memoryBandwidthGBs || !toFlow) {
    return { ok: false, reason: `${gpu.name} lacks ${gpu.memoryBandwidthGBs ? (gpu.bf16 ? 'fp16 tensor' : 'fp32') + ' TFLOPS' : 'memory bandwidth'} in the catalog, so no estimate can be made` };
  }
  const fit = fitTwoTerm(source.throughput);
  const bandwidthRatio = from.memoryBandwidthGBs / gpu.memoryBandwidthGBs;
  const computeRatio = fromFlow / toFlow;
  const scaled: TwoTermFit = { w: fit.w * computeRatio, l: fit.l * bandwidthRatio };
  const maxC = Math.min(engine.maxConcurrency, memCap);
  const throughput = new Float64Array(maxC + 1);
  for (let c = 1; c <= maxC; c++) throughput[c] = 1 / (scaled.w + scaled.l / c);
  const anchorFa = firstAudioCurve(source.firstAudioMs, engine.firstAudioGrowthPerStream, maxC);
  const latencyRatio = (scaled.w + scaled.l) / (fit.w + fit.l);
  const firstAudioMs = anchorFa.map((v) => v * latencyRatio);
  const bounds = applyPublishedBounds(engine, gpu, catalog, throughput, firstAudioMs);
  return {
    ok: true,
    profile: {
      engine: engine.engine,
      gpu: gpu.name,
      source: 'estimated',
      citation:
        `estimated from ${source.gpu} (${source.source}): LLM part x${bandwidthRatio.toFixed(2)} (memory bandwidth ${from.memoryBandwidthGBs}/${gpu.memoryBandwidthGBs} GB/s), ` +
        `flow/vocoder part x${computeRatio.toFixed(2)} (${fromFlow}/${toFlow} TFLOPS${gpu.bf16 ? '' : ', fp32: no bf16'})`,
      maxConcurrency: maxC,
      memoryLimited: memCap < engine.maxConcurrency,
      throughput,
      firstAudioMs,
      firstAudioFloorMs: firstAudioMs[1] as number,
      bounds,
      serviceScv: 0,
      ...coldStartOf(req),
      memoryGiB: memory,
      scaling: { fromGpu: source.gpu, bandwidthRatio, computeRatio, flowPrecision: flowPrecision(gpu), fit },
    },
  };
}
