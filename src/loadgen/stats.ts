// Statistics of a level's measured requests: latency quantiles, throughput, error counts.
import type { BenchRun, LevelStats, RequestRecord, Summary } from './types.js';

/** Linear interpolation between order statistics (R's type 7), on sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(sorted.length - 1, lo + 1)] as number;
  return a + (b - a) * (h - lo);
}

export function summarize(values: readonly number[]): Summary | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  return { n: sorted.length, mean, p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), p99: quantile(sorted, 0.99) };
}

export interface LevelInput {
  concurrency: number | null;
  rate: number | null;
  complete: boolean;
  windowS: number;
  /** Every record of the level, whatever its phase. */
  records: readonly RequestRecord[];
  arrivals?: number;
  sent?: number;
  dropped?: number;
}

/** Statistics over the records that ended inside the window; the rest are only counted. */
export function levelStats(input: LevelInput): LevelStats {
  const measured = input.records.filter((r) => r.phase === 'window' && r.outcome !== 'aborted');
  const ok = measured.filter((r) => r.outcome === 'ok');
  const errors: Record<string, number> = {};
  const errorSamples: Record<string, string> = {};
  let status429 = 0;
  for (const r of measured) {
    if (r.outcome === 'ok') continue;
    const key = r.error ?? r.outcome;
    if (r.status === 429) status429++;
    else errors[key] = (errors[key] ?? 0) + 1;
    if (r.detail && errorSamples[key] === undefined) errorSamples[key] = r.detail;
  }
  const errorCount = Object.values(errors).reduce((s, n) => s + n, 0);
  const audioSeconds = ok.reduce((s, r) => s + (r.audioSeconds ?? 0), 0);
  const rtfs = ok.flatMap((r) => (r.rtf === null ? [] : [r.rtf]));
  const per = (x: number) => (input.windowS > 0 ? x / input.windowS : 0);
  const stats: LevelStats = {
    concurrency: input.concurrency,
    rate: input.rate,
    complete: input.complete,
    windowS: input.windowS,
    requests: measured.length,
    ok: ok.length,
    errors,
    errorCount,
    status429,
    errorShare: measured.length > 0 ? (errorCount + status429) / measured.length : 0,
    aborted: input.records.filter((r) => r.outcome === 'aborted').length,
    warmup: input.records.filter((r) => r.phase === 'warmup' && r.outcome !== 'aborted').length,
    drained: input.records.filter((r) => r.phase === 'drain' && r.outcome !== 'aborted').length,
    audioSeconds,
    audioSecondsPerSecond: per(audioSeconds),
    requestsPerSecond: per(ok.length),
    firstAudioMs: summarize(ok.flatMap((r) => (r.firstAudioMs === null ? [] : [r.firstAudioMs]))),
    completionMs: summarize(ok.flatMap((r) => (r.completionMs === null ? [] : [r.completionMs]))),
    meanRtf: rtfs.length > 0 ? rtfs.reduce((s, v) => s + v, 0) / rtfs.length : null,
    errorSamples,
  };
  if (input.arrivals !== undefined) stats.arrivals = input.arrivals;
  if (input.sent !== undefined) stats.sent = input.sent;
  if (input.dropped !== undefined) stats.dropped = input.dropped;
  return stats;
}

/** Characters per audio second by language, over successful requests (the workload's `charsPerSecond`). */
export function charsPerSecond(records: readonly RequestRecord[]): Record<string, number> {
  const by = new Map<string, { chars: number; seconds: number }>();
  for (const r of records) {
    if (r.outcome !== 'ok' || !r.audioSeconds) continue;
    const acc = by.get(r.language) ?? { chars: 0, seconds: 0 };
    acc.chars += r.chars;
    acc.seconds += r.audioSeconds;
    by.set(r.language, acc);
  }
  return Object.fromEntries([...by].filter(([, v]) => v.seconds > 0).map(([k, v]) => [k, Math.round((v.chars / v.seconds) * 1000) / 1000]));
}

/** The run's counts: arrivals = sent + dropped; sent = ok + errors + 429s + aborted. */
export function totalsOf(records: BenchRun['records'], sent: number, dropped: number): BenchRun['totals'] {
  const count = (f: (r: BenchRun['records'][number]) => boolean) => records.filter(f).length;
  return {
    arrivals: sent + dropped,
    sent,
    ok: count((r) => r.outcome === 'ok'),
    errors: count((r) => r.outcome !== 'ok' && r.outcome !== 'aborted' && r.status !== 429),
    status429: count((r) => r.status === 429),
    aborted: count((r) => r.outcome === 'aborted'),
    dropped,
  };
}
