// Sizing: for one instance type, the concurrency per GPU to run at, how many GPUs a given
// arrival rate needs to meet the SLO (analytic M/G/c estimate plus a utilization cap), and
// the hourly fleet for the week.
import type { GpuSpec, InstanceType } from './catalog.js';
import type { GpuProfile } from './profiles.js';
import { completionExceed, firstAudioExceed, fleetLoad, quantileOf, slowdown, type Curve, type FleetLoad } from './fleet-load.js';
import { coarsen, exactQuantile, scaleTable, type QuantileTable } from './queueing.js';
import type { Workload } from './workload.js';

/**
 * The largest fleet the planner sizes for one instance type, in GPUs at the peak. Every sizing
 * step costs time in proportion to the fleet's stream slots (Erlang C is a recursion over the
 * servers), so a workload that needs more is refused for that type, in a fraction of a second,
 * instead of being planned for minutes. Fleets this large cost a fixed amount per request
 * (queueing gains have long levelled off), so a share of the traffic planned and multiplied up
 * gives the same answer (docs/planner.md, "Limits").
 */
export const MAX_FLEET_GPUS = 1000;

export interface Latency {
  p95FirstAudioMs: number;
  p95CompletionMs: number;
}

export interface SizingRules {
  sloFirstAudioMs: number;
  sloCompletionMs: number;
  /** First-audio SLO applies only when some requests stream. */
  streaming: boolean;
  maxUtilization: number;
}

/**
 * One instance type running one profile with at most `k` streams per GPU. How fast each
 * request runs depends on the load (fleet-load.ts): alone at batch-1 speed, in a busy fleet at
 * the batched rate. Capacity is counted at full batch.
 */
export class Unit {
  /** Wall seconds per audio second for one stream when the GPU runs `k` streams. */
  readonly perStreamFactor: number;
  /** Service time of a request at full batch (seconds), equiprobable quantiles: capacity. */
  readonly service: QuantileTable;
  readonly curve: Curve;
  /** The audio table downsampled to 64 points (for the waiting part of tails). */
  readonly coarseAudio: Float64Array;
  /**
   * The service time's squared coefficient of variation and third moment ratio as queues see
   * them: the texts' lengths (the audio table) times the engine's own variability at a fixed
   * length (profile.serviceScv), an independent factor of mean 1, taken as gamma-distributed
   * (E[N³] = (1 + s)(1 + 2s)).
   */
  readonly waitScv: number;
  readonly waitM3: number;
  private readonly maxRateCache = new Map<number, number>();

  constructor(
    readonly instance: InstanceType,
    readonly gpu: GpuSpec,
    readonly profile: GpuProfile,
    /** Most concurrent streams per GPU (the batch cap the engine runs with). */
    readonly k: number,
    /** Audio seconds per request. */
    readonly audio: QuantileTable,
    readonly rules: SizingRules,
  ) {
    this.perStreamFactor = k / (profile.throughput[k] as number);
    this.service = scaleTable(audio, this.perStreamFactor);
    this.coarseAudio = coarsen(audio.values, 64);
    const s = profile.serviceScv;
    this.waitScv = (1 + audio.scv) * (1 + s) - 1;
    this.waitM3 = audio.m3 * (1 + s) * (1 + 2 * s);
    // No concurrency claims a first audio below the profile's floor (a measured curve may dip).
    const firstAudioS = new Float64Array(k + 1);
    for (let n = 1; n <= k; n++) firstAudioS[n] = Math.max(profile.firstAudioFloorMs, profile.firstAudioMs[n] as number) / 1000;
    this.curve = { k, throughput: profile.throughput.subarray(0, k + 1), firstAudioS };
  }

  get slotsPerInstance(): number {
    return this.k * this.instance.gpuCount;
  }

  /** Requests per second one GPU completes at full concurrency. */
  get requestsPerSecondPerGpu(): number {
    return this.k / this.service.mean;
  }

  /** Latency with no queueing at all (one request alone at batch-1 speed): the floor no fleet size can beat. */
  unloadedLatency(): Latency {
    return {
      p95FirstAudioMs: (this.curve.firstAudioS[1] as number) * 1000,
      p95CompletionMs: exactQuantile(this.audio.values, 0.95) * slowdown(this.curve, 1) * 1000,
    };
  }

  /** The fleet of `gpus` GPUs at `lambda` requests/s; null when it cannot keep up. */
  load(gpus: number, lambda: number): FleetLoad | null {
    return fleetLoad(this.curve, gpus, lambda, this.audio.mean, this.waitScv, this.waitM3);
  }

  /** p95 latencies of a fleet state. */
  latencyOf(load: FleetLoad): Latency {
    const hint = exactQuantile(this.audio.values, 0.99) * load.queued.slowdown + load.meanIfWait * 5;
    return {
      p95FirstAudioMs: quantileOf((x) => firstAudioExceed(load, x), 0.95, hint) * 1000,
      p95CompletionMs: quantileOf((x) => completionExceed(load, this.audio.values, this.coarseAudio, x), 0.95, hint) * 1000,
    };
  }

  /** Analytic p95 latencies with `gpus` GPUs at `lambda` requests/s; null when unstable. */
  latency(gpus: number, lambda: number): Latency | null {
    if (lambda <= 0) return this.unloadedLatency();
    const load = this.load(gpus, lambda);
    return load ? this.latencyOf(load) : null;
  }

  meets(gpus: number, lambda: number): boolean {
    if (lambda <= 0) return true;
    if (gpus <= 0) return false;
    const a = lambda * this.service.mean;
    if (a > gpus * this.k * this.rules.maxUtilization) return false;
    const l = this.latency(gpus, lambda);
    if (!l) return false;
    return (!this.rules.streaming || l.p95FirstAudioMs <= this.rules.sloFirstAudioMs) && l.p95CompletionMs <= this.rules.sloCompletionMs;
  }

  feasible(): boolean {
    const u = this.unloadedLatency();
    return (!this.rules.streaming || u.p95FirstAudioMs <= this.rules.sloFirstAudioMs) && u.p95CompletionMs <= this.rules.sloCompletionMs;
  }

  /** Fewest GPUs meeting the SLO at `lambda` requests/s (Infinity when no fleet of up to MAX_FLEET_GPUS can). */
  gpusNeeded(lambda: number): number {
    if (lambda <= 0) return 0;
    if (!this.feasible()) return Infinity;
    const a = lambda * this.service.mean;
    for (let n = Math.max(1, Math.ceil(a / (this.k * this.rules.maxUtilization) - 1e-9)); n <= MAX_FLEET_GPUS; n++) {
      if (this.meets(n, lambda)) return n;
    }
    return Infinity;
  }

  instancesNeeded(lambda: number): number {
    const g = this.gpusNeeded(lambda);
    return Number.isFinite(g) ? Math.ceil(g / this.instance.gpuCount) : Infinity;
  }

  /** Largest arrival rate `instances` instances serve within the SLO. */
  maxRate(instances: number): number {
    const hit = this.maxRateCache.get(instances);
    if (hit !== undefined) return hit;
    const gpus = instances * this.instance.gpuCount;
    let lo = 0;
    let hi = (gpus * this.k * this.rules.maxUtilization) / this.service.mean;
    if (instances <= 0 || !this.feasible()) hi = 0;
    else if (this.meets(gpus, hi)) lo = hi;
    else {
      for (let i = 0; i < 40 && hi - lo > 1e-6 * hi; i++) {
        const mid = (lo + hi) / 2;
        if (this.meets(gpus, mid)) lo = mid;
        else hi = mid;
      }
    }
    this.maxRateCache.set(instances, lo);
    return lo;
  }

  /** Most instances of this type the planner runs (MAX_FLEET_GPUS). */
  get maxInstances(): number {
    return Math.max(1, Math.floor(MAX_FLEET_GPUS / this.instance.gpuCount));
  }

  /** Smallest instance count whose maxRate covers `lambda` (monotone search), at most maxInstances. */
  instancesFor(lambda: number, cap = this.maxInstances): number {
    if (lambda <= 0) return 0;
    let m = Math.min(cap, Math.max(1, Math.floor((lambda * this.service.mean) / (this.slotsPerInstance * this.rules.maxUtilization))));
    while (m > 1 && this.maxRate(m - 1) >= lambda) m--;
    while (m < cap && this.maxRate(m) < lambda) m++;
    return m;
  }
}

export function sizingRules(w: Workload): SizingRules {
  return {
    sloFirstAudioMs: w.slo.p95FirstAudioMs,
    sloCompletionMs: w.slo.p95CompletionMs,
    streaming: w.streamingShare > 0,
    maxUtilization: w.planning.maxUtilization,
  };
}

export type UnitChoice = { ok: true; unit: Unit; peakGpus: number } | { ok: false; reason: string };

/**
 * Picks the concurrency per GPU: the one that needs the fewest GPUs at the peak rate (ties go
 * to the larger concurrency, which has more capacity off-peak). Concurrencies whose unloaded
 * latency already breaks the SLO are skipped.
 */
export function chooseUnit(instance: InstanceType, gpu: GpuSpec, profile: GpuProfile, audio: QuantileTable, rules: SizingRules, peakRate: number): UnitChoice {
  let best: { unit: Unit; peakGpus: number } | undefined;
  let floor: Latency | undefined;
  let tooLarge = false;
  for (let k = 1; k <= profile.maxConcurrency; k++) {
    const unit = new Unit(instance, gpu, profile, k, audio, rules);
    if (!unit.feasible()) {
      floor ??= unit.unloadedLatency();
      continue;
    }
    const g = unit.gpusNeeded(peakRate);
    if (!Number.isFinite(g)) {
      tooLarge = true;
      continue;
    }
    if (!best || g <= best.peakGpus) best = { unit, peakGpus: g };
  }
  if (!best && tooLarge) {
    return {
      ok: false,
      reason:
        `needs more than ${MAX_FLEET_GPUS} GPUs at the peak (${peakRate.toPrecision(4)} requests/s), the largest fleet the planner sizes; ` +
        'plan a share of the traffic (requestsPerDay / n) and multiply the fleet and cost by n',
    };
  }
  if (!best) {
    const u = floor as Latency;
    return {
      ok: false,
      reason: `cannot meet the SLO even unloaded: p95 first audio ${Math.round(u.p95FirstAudioMs)} ms, p95 completion ${Math.round(u.p95CompletionMs)} ms at one stream per GPU`,
    };
  }
  return { ok: true, ...best };
}
