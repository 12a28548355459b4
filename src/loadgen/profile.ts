// A closed-loop run as an engine profile in the planner's own format (loadUserProfiles in
// src/planner/profiles.ts): throughput and first audio by concurrency, the saturation point as
// maxConcurrency, and the measurement's provenance (profileSource: measured).
import { arch, cpus, platform, release, totalmem } from 'node:os';
import type { Measurement } from '../planner/profiles.js';
import { ERROR_SHARE_LIMIT, type BenchRun } from './types.js';

export interface ProfileMeta {
  /** The planner's engine name (`cosyvoice3-trtllm`, ...). */
  engine: string;
  /** The catalog's GPU name (`L4`, `A10G`, ...). */
  gpu: string;
  instanceType?: string;
  /** Server/engine settings the run used (`--flag k=v`); the run's own settings are added. */
  flags?: Record<string, string | number | boolean>;
  /** What is known about the server's machine (`--host-note k=v`). */
  host?: Record<string, string | number>;
  /** The server runs on this machine: this machine's CPU, memory, arch and Node go into host. */
  local?: boolean;
}

/** The profile file's object: what `loadUserProfiles` reads (one object, engine included). */
export type BenchProfile = {
  engine: string;
  gpu: string;
  throughput: { concurrency: number; audioSecondsPerSecond: number }[];
  firstAudioMs: { concurrency: number; ms: number; p95Ms: number }[];
  source: string;
  sourceDate: string;
  maxConcurrency: number;
  /** serviceScv (MeasuredCurve): how much one request's time varies at one stream, fixed texts only. */
  serviceScv?: number;
} & Measurement;

/** The planner's bounds on the provenance maps (src/planner/profiles.ts MEASUREMENT_LIMITS). */
const MAX_KEYS = 64;
const MAX_VALUE_CHARS = 200;

export class ProfileError extends Error {
  override readonly name = 'ProfileError';
}

/** This machine, for a server on it: CPU model and count, memory, architecture, OS, Node. */
export function localHost(): Record<string, string | number> {
  const list = cpus();
  return {
    cpuModel: (list[0]?.model ?? 'unknown').trim(),
    cpus: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    arch: arch(),
    os: `${platform()} ${release()}`,
    node: process.version,
  };
}

/**
 * Audio seconds per second with `c` requests in the server at once: c × Σ audio / Σ completion
 * over the level's measured requests (Little's law). This is what the planner's curve means; the
 * wall-clock figure is lower by the client's own gaps between one request and the next (large
 * beside espeak's 80 ms requests, small beside a GPU's seconds), which would make the planner
 * think the server slower, and its queue longer, than it is.
 */
export function inServerThroughput(run: BenchRun, c: number): number | null {
  let audio = 0;
  let time = 0;
  for (const r of run.records) {
    if (r.concurrency !== c || r.phase !== 'window' || r.outcome !== 'ok' || r.audioSeconds === null || r.completionMs === null) continue;
    audio += r.audioSeconds;
    time += r.completionMs / 1000;
  }
  return time > 0 && audio > 0 ? (c * audio) / time : null;
}

/** The URL without credentials, query or fragment: a profile is shared, a key is not. */
function publicUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return url;
  }
}

function bounded<V extends string | number | boolean>(entries: [string, V][]): Record<string, V> {
  const out: Record<string, V> = {};
  for (const [k, v] of entries.slice(0, MAX_KEYS)) out[k] = (typeof v === 'string' ? v.slice(0, MAX_VALUE_CHARS) : v) as V;
  return out;
}

/**
 * The profile of a closed-loop run. Levels that were cut short, failed more than
 * ERROR_SHARE_LIMIT, or produced no audio are left out. Throws ProfileError when no level is
 * left (or the run was an open loop, which has no concurrency curve).
 */
export function toProfile(run: BenchRun, meta: ProfileMeta): BenchProfile {
  if (run.mode !== 'closed') throw new ProfileError('a profile needs the closed-loop ramp (throughput by concurrency); this run was an open loop');
  const levels = run.levels.filter((l) => l.complete && l.errorShare <= ERROR_SHARE_LIMIT && l.audioSecondsPerSecond > 0 && l.firstAudioMs !== null && l.concurrency !== null);
  if (levels.length === 0) {
    throw new ProfileError(`no level can go into a profile: each was cut short, failed more than ${ERROR_SHARE_LIMIT * 100}% of its requests, or made no audio (stopped by ${run.stoppedBy})`);
  }
  const used = levels.map((l) => l.concurrency as number);
  const saturation = run.saturation?.concurrency;
  const maxConcurrency = saturation !== null && saturation !== undefined && used.includes(saturation) ? saturation : Math.max(...used);
  const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
  const t = run.target;
  const texts = run.texts;
  const runFlags: [string, string | number | boolean][] = [
    ['route', t.path],
    ['audioFormat', t.audioFormat],
    ...(t.voice ? [['voice', t.voice] as [string, string]] : []),
    ...(t.model ? [['model', t.model] as [string, string]] : []),
    ...(texts.source === 'fixed'
      ? [['texts', 'fixed'], ['chars', texts.chars], ['language', texts.language]] as [string, string | number][]
      : [['texts', `workload ${texts.name}`], ['meanChars', texts.meanChars], ['languages', Object.entries(texts.languages).map(([k, v]) => `${k}:${v}`).join(',')]] as [string, string | number][]),
    ...Object.entries(run.settings),
  ];
  const profile: BenchProfile = {
    engine: meta.engine,
    gpu: meta.gpu,
    throughput: levels.map((l) => ({ concurrency: l.concurrency as number, audioSecondsPerSecond: round(inServerThroughput(run, l.concurrency as number) ?? l.audioSecondsPerSecond, 3) })),
    firstAudioMs: levels.map((l) => ({ concurrency: l.concurrency as number, ms: round(Math.max(0.1, l.firstAudioMs!.mean), 1), p95Ms: round(Math.max(0.1, l.firstAudioMs!.p95), 1) })),
    source: `${run.tool} against ${publicUrl(t.url)} ${t.path}`,
    sourceDate: run.startedAt.slice(0, 10),
    maxConcurrency,
    profileSource: 'measured',
    measuredAt: run.startedAt,
    ...(meta.instanceType ? { instanceType: meta.instanceType } : {}),
    // The user's own flags win over the run's description of itself.
    flags: bounded([...Object.entries(meta.flags ?? {}), ...runFlags.filter(([k]) => !(meta.flags && k in meta.flags))]),
    host: bounded([...Object.entries(meta.host ?? {}), ...(meta.local ? Object.entries(localHost()).filter(([k]) => !(meta.host && k in meta.host)) : [])]),
  };
  const cps = Object.entries(run.charsPerSecond).filter(([, v]) => v > 0 && v <= 100);
  if (cps.length > 0) profile.charsPerSecond = Object.fromEntries(cps);
  const scv = texts.source === 'fixed' && used.includes(1) ? serviceScv(run) : null;
  if (scv !== null) profile.serviceScv = round(scv, 3);
  return profile;
}

/** Requests at one stream needed before their spread says anything. */
const SCV_MIN_REQUESTS = 20;

/**
 * The squared coefficient of variation of the completion time of the requests measured at one
 * stream: with every text the same length, what varies is the engine and its host, which a queue
 * waits on just as on the texts' lengths (the planner multiplies the two). Null with too few.
 */
export function serviceScv(run: BenchRun): number | null {
  const times = run.records.filter((r) => r.concurrency === 1 && r.phase === 'window' && r.outcome === 'ok' && r.completionMs !== null).map((r) => r.completionMs as number);
  if (times.length < SCV_MIN_REQUESTS) return null;
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const variance = times.reduce((a, b) => a + (b - mean) ** 2, 0) / (times.length - 1);
  return Math.min(4, variance / (mean * mean));
}

