// The planner: for each instance type that can run the engine, pick the concurrency per GPU,
// size the hourly fleet analytically, simulate the month for each strategy, add storage and
// delivery, rank, recommend the cheapest plan that meets the SLO, and test the top plans
// against traffic ±50% and spot price ±30%.
import { optionCaveats } from './caveats.js';
import { bundledCatalog, findGpu, isCpu, spotMid, type Catalog, type InstanceType } from './catalog.js';
import { checkUserProfiles } from './profile-check.js';
import { bundledEngines, resolveProfile, type EngineSpec, type GpuProfile, type MeasuredCurve, type ProfileSource } from './profiles.js';
import { audioSecondsDistribution, charsQuantiles } from './queueing.js';
import { LoadCache, simulate, STRATEGIES, type SimResult, type StrategyName } from './simulate.js';
import { chooseUnit, sizingRules, type Unit } from './sizing.js';
import { deliveryCost, storageCost, type DeliveryResult, type StorageResult } from './storage.js';
import { generateTraffic, type Traffic } from './traffic.js';
import { PlannerInputError } from './validate.js';
import type { LanguageCode } from '../text/language.js';
import { languageName, type Workload } from './workload.js';

export interface PlanOption {
  instanceType: string;
  gpu: string;
  gpusPerInstance: number;
  strategy: StrategyName;
  monthlyCostUsd: number;
  computeMonthlyUsd: number;
  storageMonthlyUsd: number;
  deliveryMonthlyUsd: number;
  costPerAudioHourUsd: number;
  costPer1MCharsUsd: number;
  peakInstances: number;
  meanInstances: number;
  onDemandInstanceHours: number;
  spotInstanceHours: number;
  concurrencyPerGpu: number;
  capacityPerGpuAudioSecondsPerSecond: number;
  capacityPerGpuRequestsPerSecond: number;
  p95FirstAudioMs: number | null;
  p99FirstAudioMs: number | null;
  p95CompletionMs: number;
  p99CompletionMs: number;
  analyticPeakP95FirstAudioMs: number | null;
  analyticPeakP95CompletionMs: number | null;
  sloViolationMinutes: number;
  sloMet: boolean;
  utilization: number;
  spotInterruptions: number;
  coldStartS: number;
  profileSource: ProfileSource;
  profileCitation: string;
  /** What to know before buying it that does not exclude it (stale price, estimated profile, bounds; caveats.ts). */
  caveats: string[];
  fleetByHourOfDay: number[];
}

export interface Excluded {
  instanceType: string;
  reason: string;
}

export interface SensitivityRow {
  instanceType: string;
  strategy: StrategyName;
  scenario: string;
  monthlyCostUsd: number;
  p95FirstAudioMs: number | null;
  p95CompletionMs: number;
  sloMet: boolean;
}

export interface PlanResult {
  generatedAt: string;
  catalogVersion: string;
  engine: string;
  region: string;
  seed: number;
  days: number;
  workload: {
    name: string;
    requestsPerMonth: number;
    charsPerMonth: number;
    audioHoursPerMonth: number;
    meanAudioSeconds: number;
    peakRequestsPerSecond: number;
    slo: Workload['slo'];
    maxViolationShare: number;
    /** The workload's languages as planned: the engine code each tag resolved to, and the tag as written. */
    languages: { code: LanguageCode; name: string; tag?: string; share: number; charsPerSecond: number }[];
  };
  recommendation: (PlanOption & { why: string }) | null;
  options: PlanOption[];
  excluded: Excluded[];
  storage: StorageResult;
  delivery: DeliveryResult;
  sensitivity: SensitivityRow[];
  latencyVsLoad: { instanceType: string; loadShare: number; p95FirstAudioMs: number | null; p95CompletionMs: number | null }[];
  /** The engine profile used for each GPU, as data: the planner's working, shown. */
  profiles: ProfileSummary[];
  assumptions: string[];
}

export interface ProfileSummary {
  engine: string;
  gpu: string;
  source: ProfileSource;
  citation: string;
  maxConcurrency: number;
  audioSecondsPerSecond: number[];
  firstAudioMs: number[];
  memoryGiB: number[];
  coldStartS: number;
  coldStartSource: string;
  firstAudioFloorMs: number;
  bounds: string[];
  /** CPU profiles: the instance type they were resolved for (they depend on its vCPUs). */
  instanceType?: string;
  scaling?: GpuProfile['scaling'];
}

export interface PlanInput {
  workload: Workload;
  catalog?: Catalog;
  engines?: EngineSpec[];
  /** Measured profiles from --profile files (workload profiles are added to these). */
  userProfiles?: (MeasuredCurve & { engine: string })[];
  strategies?: readonly StrategyName[];
  /** Called after each simulated plan (for a progress bar). */
  onProgress?: (done: number, total: number) => void;
  /** How many of the cheapest SLO-meeting plans get the sensitivity runs (0 to skip). */
  sensitivityTop?: number;
  now?: Date;
}

/** A plan may break the minute-level SLO for at most this share of its traffic minutes. */
export const MAX_VIOLATION_SHARE = 0.01;

interface Candidate {
  instance: InstanceType;
  unit: Unit;
  schedule: Int32Array;
  prices: { onDemand: number; spot: number };
  /** Fleet states of this candidate's unit, shared by its simulations. */
  loads: LoadCache;
}

export function plan(input: PlanInput): PlanResult {
  const w = input.workload;
  const catalog = input.catalog ?? bundledCatalog();
  const engines = input.engines ?? bundledEngines();
  const engine = engines.find((e) => e.engine === w.engine);
  if (!engine) throw new PlannerInputError('workload', [`engine: unknown engine ${JSON.stringify(w.engine)} (known: ${engines.map((e) => e.engine).join(', ')})`]);
  if (!catalog.instances.some((i) => i.prices[w.region])) {
    throw new PlannerInputError('workload', [`region: catalog ${catalog.version} has no prices for ${w.region} (has: ${catalog.regions.join(', ')}); run \`cosyfleet prices refresh --region ${w.region}\``]);
  }
  const strategies = input.strategies ?? STRATEGIES;
  const userProfiles = [...(input.userProfiles ?? []), ...w.profiles];
  checkUserProfiles(userProfiles, catalog, engines);
  const audio = audioSecondsDistribution(w);
  const rules = sizingRules(w);
  const traffic = generateTraffic(w);
  const peakRate = Math.max(...traffic.hourlyRate) * w.burstFactor * traffic.endGrowth;
  const excluded: Excluded[] = [];
  const candidates: Candidate[] = [];

  let instances = catalog.instances;
  if (w.instanceTypes) {
    const unknown = w.instanceTypes.filter((t) => !catalog.instances.some((i) => i.instanceType === t));
    if (unknown.length > 0) throw new PlannerInputError('workload', unknown.map((t) => `instanceTypes: ${t} is not in catalog ${catalog.version}`));
    instances = instances.filter((i) => w.instanceTypes?.includes(i.instanceType));
  }
  for (const instance of instances) {
    const price = instance.prices[w.region];
    const gpu = findGpu(catalog, instance.gpu);
    if (!price || !gpu) {
      excluded.push({ instanceType: instance.instanceType, reason: !price ? `no price for ${w.region}` : `GPU ${instance.gpu} not in catalog` });
      continue;
    }
    const req = { engine, gpu, catalog, instance, userCurves: userProfiles, ...(w.coldStartS !== undefined ? { coldStartS: w.coldStartS } : {}) };
    const resolved = resolveProfile(req);
    if (!resolved.ok) {
      excluded.push({ instanceType: instance.instanceType, reason: resolved.reason });
      continue;
    }
    const choice = chooseUnit(instance, gpu, resolved.profile, audio, rules, peakRate);
    if (!choice.ok) {
      excluded.push({ instanceType: instance.instanceType, reason: choice.reason });
      continue;
    }
    const schedule = sizeSchedule(choice.unit, traffic, w.burstFactor);
    candidates.push({ instance, unit: choice.unit, schedule, prices: { onDemand: price.onDemandUsdPerHour, spot: spotMid(price) }, loads: new LoadCache(choice.unit) });
  }

  const storage = storageCost(w, catalog, traffic.totalRequests);
  const delivery = deliveryCost(w, catalog, traffic.totalRequests);
  const meanChars = mean(charsQuantiles(w, 256));
  const charsPerMonth = traffic.totalRequests * meanChars;
  const audioHours = (traffic.totalRequests * audio.mean) / 3600;
  const fixedUsd = storage.chosen.monthlyUsd + delivery.monthlyUsd;

  const total = candidates.length * strategies.length;
  let done = 0;
  const options: PlanOption[] = [];
  for (const cand of candidates) {
    for (const strategy of strategies) {
      const sim = runOne(w, cand, strategy, traffic);
      options.push(toOption(w, cand, strategy, sim, fixedUsd, storage, delivery, charsPerMonth, audioHours, traffic));
      input.onProgress?.(++done, total);
    }
  }
  for (const o of options) {
    const cand = candidates.find((c) => c.instance.instanceType === o.instanceType) as Candidate;
    o.caveats = [...optionCaveats(cand.instance, cand.unit.profile, w.region, input.now ?? new Date()), ...spotCaveats(o, w, cand.schedule)];
  }
  rank(options);
  const best = options.find((o) => o.sloMet) ?? null;

  const sensitivity: SensitivityRow[] = [];
  const top = options.filter((o) => o.sloMet).slice(0, input.sensitivityTop ?? 5);
  if (top.length > 0) {
    const scenarios: { name: string; traffic?: number; spot?: number }[] = [
      { name: 'traffic -50%', traffic: 0.5 },
      { name: 'traffic +50%', traffic: 1.5 },
      { name: 'spot price -30%', spot: 0.7 },
      { name: 'spot price +30%', spot: 1.3 },
    ];
    const scaled = new Map<number, Traffic>();
    for (const sc of scenarios) {
      let tr = traffic;
      if (sc.traffic) {
        tr = scaled.get(sc.traffic) ?? generateTraffic(w, { scale: sc.traffic });
        scaled.set(sc.traffic, tr);
      }
      for (const o of top) {
        const cand = candidates.find((c) => c.instance.instanceType === o.instanceType) as Candidate;
        if (sc.spot) {
          // Latency does not depend on the spot price: only the spot hours are repriced.
          const cost = o.monthlyCostUsd + o.spotInstanceHours * cand.prices.spot * (sc.spot - 1);
          sensitivity.push({ instanceType: o.instanceType, strategy: o.strategy, scenario: sc.name, monthlyCostUsd: cost, p95FirstAudioMs: o.p95FirstAudioMs, p95CompletionMs: o.p95CompletionMs, sloMet: o.sloMet });
          continue;
        }
        // The plan as configured (its schedule sized for the forecast), facing other traffic.
        const sim = runOne(w, cand, o.strategy, tr);
        const fixed = storageCost(w, catalog, tr.totalRequests).chosen.monthlyUsd + deliveryCost(w, catalog, tr.totalRequests).monthlyUsd;
        sensitivity.push({
          instanceType: o.instanceType,
          strategy: o.strategy,
          scenario: sc.name,
          monthlyCostUsd: sim.computeUsd + fixed,
          p95FirstAudioMs: sim.p95FirstAudioMs,
          p95CompletionMs: sim.p95CompletionMs,
          sloMet: meetsSlo(w, sim),
        });
      }
    }
  }

  const latencyVsLoad: PlanResult['latencyVsLoad'] = [];
  if (best) {
    const cand = candidates.find((c) => c.instance.instanceType === best.instanceType) as Candidate;
    const gpus = Math.max(1, Math.max(...cand.schedule)) * cand.instance.gpuCount;
    const capacity = (gpus * cand.unit.k) / cand.unit.service.mean;
    for (let i = 1; i <= 19; i++) {
      const share = i / 20;
      const l = cand.unit.latency(gpus, capacity * share);
      latencyVsLoad.push({ instanceType: best.instanceType, loadShare: share, p95FirstAudioMs: l && rules.streaming ? l.p95FirstAudioMs : null, p95CompletionMs: l ? l.p95CompletionMs : null });
    }
  }

  return {
    generatedAt: (input.now ?? new Date()).toISOString(),
    catalogVersion: catalog.version,
    engine: engine.engine,
    region: w.region,
    seed: w.planning.seed,
    days: w.planning.days,
    workload: {
      name: w.name,
      requestsPerMonth: traffic.totalRequests,
      charsPerMonth,
      audioHoursPerMonth: audioHours,
      meanAudioSeconds: audio.mean,
      peakRequestsPerSecond: peakRate,
      slo: w.slo,
      maxViolationShare: MAX_VIOLATION_SHARE,
      languages: w.language.map((l) => ({ code: l.code, name: languageName(l.code), ...(l.tag === undefined ? {} : { tag: l.tag }), share: l.share, charsPerSecond: l.charsPerSecond })),
    },
    recommendation: best ? { ...best, why: explain(best, options) } : null,
    options,
    excluded,
    storage,
    delivery,
    sensitivity,
    latencyVsLoad,
    profiles: summarizeProfiles(candidates),
    assumptions: assumptionNotes(catalog, candidates, storage, w),
  };
}

/** Instances for each hour of the week: sized for the hour's burst peak at month-end traffic. */
export function sizeSchedule(unit: Unit, traffic: Traffic, burstFactor: number): Int32Array {
  const out = new Int32Array(168);
  const memo = new Map<number, number>();
  for (let h = 0; h < 168; h++) {
    const rate = (traffic.hourlyRate[h] as number) * burstFactor * traffic.endGrowth;
    let n = memo.get(rate);
    if (n === undefined) {
      n = unit.instancesNeeded(rate);
      memo.set(rate, n);
    }
    out[h] = n;
  }
  return out;
}

function runOne(w: Workload, cand: Candidate, strategy: StrategyName, traffic: Traffic): SimResult {
  return simulate({
    unit: cand.unit,
    strategy,
    traffic,
    onDemandUsdPerHour: cand.prices.onDemand,
    spotUsdPerHour: cand.prices.spot,
    coldStartMinutes: cand.unit.profile.coldStartS / 60,
    schedule: cand.schedule,
    autoscale: w.strategies.autoscale,
    idleMinutes: w.strategies.scaleToZero.idleMinutes,
    spot: {
      interruptionsPerInstanceMonth: w.strategies.spot.interruptionsPerInstanceMonth,
      onDemandBase: onDemandBase(w, cand.schedule),
    },
    streamingShare: w.streamingShare,
    slo: w.slo,
    seed: w.planning.seed + hash(`${cand.instance.instanceType}/${strategy}`),
    loads: cand.loads,
  });
}

export function meetsSlo(w: Workload, sim: SimResult): boolean {
  const faOk = w.streamingShare === 0 || (sim.p95FirstAudioMs !== null && sim.p95FirstAudioMs <= w.slo.p95FirstAudioMs);
  const violOk = sim.sloViolationMinutes <= MAX_VIOLATION_SHARE * Math.max(1, sim.minutesWithTraffic);
  return faOk && sim.p95CompletionMs <= w.slo.p95CompletionMs && violOk;
}

function toOption(
  w: Workload,
  cand: Candidate,
  strategy: StrategyName,
  sim: SimResult,
  fixedUsd: number,
  storage: StorageResult,
  delivery: DeliveryResult,
  chars: number,
  audioHours: number,
  traffic: Traffic,
): PlanOption {
  const unit = cand.unit;
  const peakRate = Math.max(...traffic.hourlyRate) * w.burstFactor * traffic.endGrowth;
  const peakGpus = Math.max(...cand.schedule) * cand.instance.gpuCount;
  const analytic = peakGpus > 0 ? unit.latency(peakGpus, peakRate) : null;
  const monthly = sim.computeUsd + fixedUsd;
  return {
    instanceType: cand.instance.instanceType,
    gpu: cand.instance.gpu,
    gpusPerInstance: cand.instance.gpuCount,
    strategy,
    monthlyCostUsd: monthly,
    computeMonthlyUsd: sim.computeUsd,
    storageMonthlyUsd: storage.chosen.monthlyUsd,
    deliveryMonthlyUsd: delivery.monthlyUsd,
    costPerAudioHourUsd: audioHours > 0 ? monthly / audioHours : 0,
    costPer1MCharsUsd: chars > 0 ? (monthly / chars) * 1e6 : 0,
    peakInstances: sim.peakInstances,
    meanInstances: sim.meanInstances,
    onDemandInstanceHours: sim.onDemandInstanceHours,
    spotInstanceHours: sim.spotInstanceHours,
    concurrencyPerGpu: unit.k,
    capacityPerGpuAudioSecondsPerSecond: unit.profile.throughput[unit.k] as number,
    capacityPerGpuRequestsPerSecond: unit.requestsPerSecondPerGpu,
    p95FirstAudioMs: sim.p95FirstAudioMs,
    p99FirstAudioMs: sim.p99FirstAudioMs,
    p95CompletionMs: sim.p95CompletionMs,
    p99CompletionMs: sim.p99CompletionMs,
    analyticPeakP95FirstAudioMs: analytic && w.streamingShare > 0 ? analytic.p95FirstAudioMs : null,
    analyticPeakP95CompletionMs: analytic ? analytic.p95CompletionMs : null,
    sloViolationMinutes: sim.sloViolationMinutes,
    sloMet: meetsSlo(w, sim),
    utilization: sim.utilization,
    spotInterruptions: sim.interruptions,
    coldStartS: unit.profile.coldStartS,
    profileSource: unit.profile.source,
    profileCitation: unit.profile.citation,
    caveats: [],
    fleetByHourOfDay: sim.fleetByHourOfDay,
  };
}

/** The spot strategy's on-demand instances: the workload's, else the schedule's trough (at least 1). */
function onDemandBase(w: Workload, schedule: Int32Array): number {
  return w.strategies.spot.onDemandBase ?? (Math.max(...schedule) > 0 ? Math.max(1, Math.min(...schedule)) : 0);
}

/** What a spot strategy risks, and a spot strategy that is not one. */
function spotCaveats(o: PlanOption, w: Workload, schedule: Int32Array): string[] {
  const rate = w.strategies.spot.interruptionsPerInstanceMonth;
  const base = onDemandBase(w, schedule);
  if (o.strategy === 'spot' && base >= Math.max(...schedule)) {
    return [`spot: the on-demand base (${base} instances) is the whole scheduled fleet, so spot covers only what goes past it: this is on-demand by another name; spot-only and spot-schedule are the spot plans`];
  }
  if ((o.strategy === 'spot-only' || o.strategy === 'spot-schedule') && o.spotInstanceHours > 0) {
    return [
      `spot: every instance can be interrupted; at ${rate} interruptions per instance-month (an assumption: set strategies.spot.interruptionsPerInstanceMonth from the Spot Instance Advisor) ` +
        `the month had ${o.spotInterruptions}, each leaving the fleet short until its replacement boots (${Math.round(o.coldStartS)} s)`,
    ];
  }
  return [];
}

/** SLO-meeting plans first, each group by monthly cost. */
function rank(options: PlanOption[]): void {
  options.sort((a, b) => Number(b.sloMet) - Number(a.sloMet) || a.monthlyCostUsd - b.monthlyCostUsd || a.instanceType.localeCompare(b.instanceType));
}

function explain(best: PlanOption, options: PlanOption[]): string {
  const alwaysOn = options.find((o) => o.instanceType === best.instanceType && o.strategy === 'always-on');
  const parts = [`cheapest of ${options.filter((o) => o.sloMet).length} plans that meet the SLO in simulation`];
  if (alwaysOn && alwaysOn !== best) parts.push(`${pct(1 - best.monthlyCostUsd / alwaysOn.monthlyCostUsd)} below always-on ${best.instanceType}`);
  const cheaper = options.find((o) => !o.sloMet && o.monthlyCostUsd < best.monthlyCostUsd);
  if (cheaper) parts.push(`cheaper ${cheaper.instanceType}/${cheaper.strategy} misses it (p95 first audio ${fmtMs(cheaper.p95FirstAudioMs)}, completion ${fmtMs(cheaper.p95CompletionMs)}, ${cheaper.sloViolationMinutes} violation minutes)`);
  return parts.join('; ');
}

function assumptionNotes(catalog: Catalog, candidates: Candidate[], storage: StorageResult, w: Workload): string[] {
  const notes: string[] = [];
  const gFamily = catalog.instances.filter((i) => /^(g4dn|g5|g6)\./.test(i.instanceType) && i.prices[w.region]);
  if (gFamily.length > 0) {
    const r = gFamily.map((i) => {
      const p = i.prices[w.region]!;
      return [p.spotUsdPerHourLow / p.onDemandUsdPerHour, p.spotUsdPerHourHigh / p.onDemandUsdPerHour] as const;
    });
    const lo = Math.min(...r.map((x) => x[0]));
    const hi = Math.max(...r.map((x) => x[1]));
    notes.push(`Spot discount: the usual "spot is ~30% of on-demand" does not hold here: g4dn/g5/g6 spot runs ${pct(lo)}-${pct(hi)} of on-demand in catalog ${catalog.version}; the planner uses the middle of each range.`);
  }
  // About GPU memory: CPU instance types have none.
  const mem = candidates.filter((c) => !isCpu(c.unit.gpu)).map((c) => c.unit.profile.memoryGiB(c.unit.k));
  if (mem.length > 0) {
    const limited = candidates.filter((c) => c.unit.profile.memoryLimited).map((c) => c.instance.instanceType);
    notes.push(
      `VRAM: the "~1B parameters, >= 8 GB" rule of thumb is not what limits a GPU. CosyVoice3 is 0.5B-class (1.66 GiB of bf16 weights; published peaks 3.4-4.6 GB without TensorRT). ` +
        `With the TensorRT flow context (~4.5 GB) and every concurrent stream, the chosen configurations need ${Math.min(...mem).toFixed(1)}-${Math.max(...mem).toFixed(1)} GiB; ` +
        (limited.length === 0
          ? 'memory capped the concurrency of no instance type here: latency (batching, launch overhead) did.'
          : `memory capped the concurrency of ${limited.join(', ')}.`),
    );
  }
  const cold = [...new Set(candidates.map((c) => c.unit.profile.coldStartS))];
  if (cold.length > 0) {
    notes.push(`Cold start: ${cold.map((s) => `${Math.round(s)} s`).join(', ')} (instance boot + model load) is an assumption, not a published figure: it decides what scale-to-zero and autoscaling cost in latency. Measure yours and set coldStartS.`);
  }
  notes.push(...storage.notes);
  if (catalog.storage.region !== w.region) notes.push(`Storage and delivery are priced at ${catalog.storage.region} rates: catalog ${catalog.version} has none for ${w.region}.`);
  const estimated = candidates.filter((c) => c.unit.profile.source === 'estimated').map((c) => c.instance.instanceType);
  if (estimated.length > 0) notes.push(`Estimated profiles (no published figures for these GPUs): ${estimated.join(', ')}. Measure one and pass it with --profile; a measured profile always wins.`);
  return notes;
}

function summarizeProfiles(candidates: Candidate[]): ProfileSummary[] {
  const seen = new Map<string, ProfileSummary>();
  for (const c of candidates) {
    const p = c.unit.profile;
    const key = p.instanceType ?? p.gpu;
    if (seen.has(key)) continue;
    const range = Array.from({ length: p.maxConcurrency }, (_, i) => i + 1);
    seen.set(key, {
      engine: p.engine,
      gpu: p.gpu,
      source: p.source,
      citation: p.citation,
      maxConcurrency: p.maxConcurrency,
      audioSecondsPerSecond: range.map((k) => p.throughput[k] as number),
      firstAudioMs: range.map((k) => p.firstAudioMs[k] as number),
      memoryGiB: range.map((k) => p.memoryGiB(k)),
      coldStartS: p.coldStartS,
      coldStartSource: p.coldStartSource,
      firstAudioFloorMs: p.firstAudioFloorMs,
      bounds: p.bounds,
      ...(p.instanceType ? { instanceType: p.instanceType } : {}),
      ...(p.scaling ? { scaling: p.scaling } : {}),
    });
  }
  return [...seen.values()];
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0) % 1000003;
}

function mean(xs: number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

export function fmtMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  return ms >= 10000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}
