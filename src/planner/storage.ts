// Output storage on S3 with a realistic lifecycle, and delivery egress (CloudFront tiers or
// straight from the instances). Steady state: each month's objects cost their whole lifetime,
// so the monthly bill equals objects/month × lifetime cost per object.
import type { Catalog, StorageClassPrice } from './catalog.js';
import { audioSecondsDistribution } from './queueing.js';
import type { AudioFormat, Workload } from './workload.js';

/** Bytes per audio second of cosyfleet's encoders (24 kHz mono output). */
export const BYTES_PER_SECOND: Record<AudioFormat, { bytes: number; source: string }> = {
  wav: { bytes: 48000, source: '24 kHz x 16-bit mono PCM' },
  pcm: { bytes: 48000, source: '24 kHz x 16-bit mono PCM' },
  mp3: { bytes: 8000, source: "cosyfleet's MP3 encoder: 64 kbit/s CBR (src/audio/mp3.ts)" },
  aac: { bytes: 8000, source: "cosyfleet's AAC encoder default: 64 kbit/s (src/audio/aac.ts)" },
  opus: { bytes: 4100, source: "cosyfleet's Opus encoder: 32 kbit/s (src/audio/ogg-opus.ts) + ~2.5% Ogg paging" },
  flac: { bytes: 28800, source: 'assumption: FLAC at ~60% of PCM for speech' },
};

export type Lifecycle = { afterDays: number; storageClass: string }[];

export interface StorageCandidate {
  lifecycle: Lifecycle;
  label: string;
  monthlyUsd: number;
}

export interface StorageResult {
  objectsPerMonth: number;
  meanObjectBytes: number;
  shareUnderTransitionMinimum: number;
  standingGb: number;
  chosen: StorageCandidate;
  candidates: StorageCandidate[];
  notes: string[];
}

export interface DeliveryResult {
  egressGbPerMonth: number;
  cdnGb: number;
  directGb: number;
  monthlyUsd: number;
}

export function objectSizes(w: Workload): Float64Array {
  const audio = audioSecondsDistribution(w);
  const bps = BYTES_PER_SECOND[w.storage.format].bytes;
  const header = w.storage.format === 'wav' ? 44 : 0;
  return audio.values.map((s) => s * bps + header);
}

const GB = 1024 ** 3;

/** Lifetime storage cost of one object of `bytes` kept `days` days under `lifecycle`. */
export function objectLifetimeUsd(bytes: number, days: number, lifecycle: Lifecycle, catalog: Catalog): number {
  const st = catalog.storage;
  const cls = (name: string) => st.classes.find((c) => c.name === name) as StorageClassPrice;
  const standard = cls('STANDARD');
  let usd = st.putUsdPer1000 / 1000;
  if (days <= 0) return usd;
  const steps = bytes < st.minTransitionObjectBytes ? [] : lifecycle.filter((l) => l.afterDays < days);
  const segments: { c: StorageClassPrice; from: number; to: number }[] = [];
  let from = 0;
  let current = standard;
  for (const step of steps) {
    segments.push({ c: current, from, to: step.afterDays });
    current = cls(step.storageClass);
    from = step.afterDays;
  }
  segments.push({ c: current, from, to: days });
  for (const seg of segments) {
    if (seg.to <= seg.from && seg.c.name === 'STANDARD') continue;
    // Leaving a class (transition or deletion) before its minimum is billed as the minimum.
    const billedDays = Math.max(seg.to - seg.from, seg.c.minDays);
    const billable = Math.max(bytes, seg.c.minBillableBytes) + seg.c.perObjectOverheadBytes - (seg.c.perObjectOverheadStandardBytes ?? 0);
    usd += (billable / GB) * seg.c.usdPerGbMonth * (billedDays / 30);
    if (seg.c.perObjectOverheadStandardBytes) usd += (seg.c.perObjectOverheadStandardBytes / GB) * standard.usdPerGbMonth * (billedDays / 30);
    if (seg.c.name !== 'STANDARD') usd += seg.c.transitionUsdPer1000 / 1000;
  }
  return usd;
}

export function storageCost(w: Workload, catalog: Catalog, requestsPerMonth: number): StorageResult {
  const sizes = objectSizes(w);
  const days = w.storage.retentionDays;
  const objectsPerMonth = days > 0 ? requestsPerMonth : 0;
  const mean = sizes.reduce((s, x) => s + x, 0) / sizes.length;
  const under = sizes.filter((s) => s < catalog.storage.minTransitionObjectBytes).length / sizes.length;
  const price = (lc: Lifecycle) => {
    let total = 0;
    for (const s of sizes) total += objectLifetimeUsd(s, days, lc, catalog);
    return (objectsPerMonth * total) / sizes.length;
  };
  const label = (lc: Lifecycle) => (lc.length === 0 ? 'STANDARD only' : `STANDARD → ${lc.map((l) => `${l.storageClass} after ${l.afterDays} d`).join(' → ')}`);
  const candidates: StorageCandidate[] = [];
  const add = (lc: Lifecycle) => candidates.push({ lifecycle: lc, label: label(lc), monthlyUsd: price(lc) });
  add([]);
  for (const c of catalog.storage.classes) {
    if (c.name === 'STANDARD') continue;
    for (const after of [30, 60, 90]) if (after < days) add([{ afterDays: after, storageClass: c.name }]);
  }
  candidates.sort((a, b) => a.monthlyUsd - b.monthlyUsd);
  let chosen = candidates[0] as StorageCandidate;
  if (w.storage.lifecycle !== 'cheapest') {
    const lc = w.storage.lifecycle;
    chosen = { lifecycle: lc, label: `${label(lc)} (as configured)`, monthlyUsd: price(lc) };
  }
  const notes: string[] = [];
  if (days > 0 && under > 0) {
    notes.push(
      `${Math.round(under * 100)}% of outputs are under ${catalog.storage.minTransitionObjectBytes / 1024} KB (${w.storage.format}) and stay in STANDARD: S3 lifecycle does not transition them.`,
    );
  }
  const glacier = candidates.find((c) => c.lifecycle[0]?.storageClass === 'GLACIER');
  const standardOnly = candidates.find((c) => c.lifecycle.length === 0);
  if (glacier && standardOnly && glacier.monthlyUsd >= standardOnly.monthlyUsd) {
    notes.push(`Glacier Flexible costs more than keeping STANDARD here (${usd(glacier.monthlyUsd)} vs ${usd(standardOnly.monthlyUsd)}/month): 40 KB overhead per object and a 90-day minimum outweigh the cheaper rate for short clips.`);
  }
  return {
    objectsPerMonth,
    meanObjectBytes: mean,
    shareUnderTransitionMinimum: under,
    standingGb: (objectsPerMonth * mean * (days / 30)) / GB,
    chosen,
    candidates,
    notes,
  };
}

export function deliveryCost(w: Workload, catalog: Catalog, requestsPerMonth: number): DeliveryResult {
  const sizes = objectSizes(w);
  const mean = sizes.reduce((s, x) => s + x, 0) / sizes.length;
  const egress = (requestsPerMonth * mean * w.delivery.downloadsPerOutput) / GB;
  const cdnGb = egress * w.delivery.cdnShare;
  const directGb = egress - cdnGb;
  const cdn = catalog.delivery.cdn;
  let rest = Math.max(0, cdnGb - cdn.freeGbPerMonth);
  let usdTotal = 0;
  let floor = cdn.freeGbPerMonth;
  for (const tier of cdn.tiers) {
    const size = Math.max(0, tier.upToGb - floor);
    const take = Math.min(rest, size);
    usdTotal += take * tier.usdPerGb;
    rest -= take;
    floor = tier.upToGb;
  }
  usdTotal += rest * cdn.overflowUsdPerGb;
  usdTotal += Math.max(0, directGb - catalog.delivery.direct.freeGbPerMonth) * catalog.delivery.direct.usdPerGb;
  return { egressGbPerMonth: egress, cdnGb, directGb, monthlyUsd: usdTotal };
}

function usd(x: number): string {
  return `$${x.toFixed(2)}`;
}
