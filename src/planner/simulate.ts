// The month simulation: a time-stepped discrete-event model at 1-minute resolution. Each
// minute: boots complete, spot notices arrive (2 minutes before the instance goes), the fleet
// serves the backlog and the minute's arrivals, and the strategy's controller decides what to
// launch or stop. Within a minute latency is the fleet's state at the minute's load
// (fleet-load.ts, cached by LoadCache); across minutes unserved requests carry over as FIFO cohorts, so cold starts and overloads show up as real
// waits. Latencies go into weighted histograms for the month's p95/p99.
import { waitPoints } from './wait-shape.js';
import { completionExceed, firstAudioExceed, survival, type FleetLoad } from './fleet-load.js';
import { LatencyHistogram } from './histogram.js';
import { Rng } from './rng.js';
import type { Unit } from './sizing.js';
import type { Traffic } from './traffic.js';

/**
 * `spot`: an on-demand base with spot on top, autoscaled; `spot-only`: the same with no
 * on-demand base (every instance can be interrupted); `spot-schedule`: the weekly schedule,
 * bought as spot.
 */
export const STRATEGIES = ['always-on', 'schedule', 'autoscale', 'spot', 'spot-only', 'spot-schedule', 'scale-to-zero'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

export interface SimConfig {
  unit: Unit;
  strategy: StrategyName;
  traffic: Traffic;
  onDemandUsdPerHour: number;
  spotUsdPerHour: number;
  coldStartMinutes: number;
  /** Instances per hour of the week (sized for the burst peak): schedule, always-on, spot base. */
  schedule: Int32Array;
  autoscale: { minInstances: number; scaleInAfterMinutes: number; headroom: number };
  idleMinutes: number;
  spot: { interruptionsPerInstanceMonth: number; onDemandBase: number };
  streamingShare: number;
  slo: { p95FirstAudioMs: number; p95CompletionMs: number };
  seed: number;
  loads?: LoadCache;
}

export interface SimResult {
  computeUsd: number;
  onDemandInstanceHours: number;
  spotInstanceHours: number;
  peakInstances: number;
  meanInstances: number;
  /** Mean billed instances for each hour of the day (0-23). */
  fleetByHourOfDay: number[];
  p95FirstAudioMs: number | null;
  p99FirstAudioMs: number | null;
  p95CompletionMs: number;
  p99CompletionMs: number;
  sloViolationMinutes: number;
  minutesWithTraffic: number;
  interruptions: number;
  /** Busy stream-slots / available stream-slots over the month. */
  utilization: number;
  servedRequests: number;
  unservedAtEnd: number;
}

const SAMPLES = 8;
const S_SAMPLES = 4;
/**
 * Equiprobable quantiles of the wait of those who wait (mean 1, the load's gamma shape:
 * waitPoints), for spreading the wait of a cached load into the histograms. Fine enough that a
 * p95 moves smoothly with the load (with 32, each point held 1/32 of the waiting requests and the
 * p95 jumped from one to the next: +12% for a 0.5% slower engine).
 */
const WAIT_POINTS = 1024;
/** Stride through the audio table when pairing it with the wait points (odd: every entry in each run of a power-of-two table). */
const PAIR_STRIDE = 37;
/** Fluid leftovers below this many requests are rounding, not requests. */
const EPS_REQUESTS = 1e-6;

/**
 * Fleet states by (GPUs, utilization on a 1/256 grid, rounded up): the month asks for a few
 * hundred distinct ones millions of times. Each keeps its exceedance at the SLO and the weight
 * of requests that met it with no backlog ahead, spread into the histograms once at the end.
 */
export class LoadCache {
  private readonly states = new Map<number, CachedLoad | null>();
  static readonly GRID = 256;

  constructor(private readonly unit: Unit) {}

  get(gpus: number, lambda: number): CachedLoad | null {
    const u = (lambda * this.unit.service.mean) / (gpus * this.unit.k);
    const i = Math.min(LoadCache.GRID - 1, Math.max(1, Math.ceil(u * LoadCache.GRID)));
    const key = gpus * LoadCache.GRID + i;
    let hit = this.states.get(key);
    if (hit === undefined) {
      const at = ((i / LoadCache.GRID) * gpus * this.unit.k) / this.unit.service.mean;
      const load = this.unit.load(gpus, at);
      hit = load ? { load, exFa: -1, exC: -1, weight: 0 } : null;
      this.states.set(key, hit);
    }
    return hit;
  }

  *used(): Iterable<CachedLoad> {
    for (const v of this.states.values()) if (v && v.weight > 0) yield v;
  }

  reset(): void {
    for (const v of this.states.values()) if (v) v.weight = 0;
  }
}

interface CachedLoad {
  load: FleetLoad;
  /** P(first audio > SLO), P(completion > SLO) with nothing ahead; -1 until computed. */
  exFa: number;
  exC: number;
  weight: number;
}

export function simulate(cfg: SimConfig): SimResult {
  const { unit, traffic, strategy } = cfg;
  const minutes = traffic.minutes;
  const arrivals = traffic.arrivals;
  const intensity = traffic.intensity;
  const loads = cfg.loads ?? new LoadCache(unit);
  loads.reset();
  const rng = new Rng(cfg.seed, 7);
  const svc = unit.service.values;
  const nSvc = svc.length;
  const es = unit.service.mean;
  const audio = unit.audio.values;
  const nAudio = audio.length;
  const coarse = unit.coarseAudio;
  // A backlogged request starts on a full GPU.
  const fa = unit.curve.firstAudioS[unit.k] as number;
  const slotsPerInstance = unit.slotsPerInstance;
  const streamShare = cfg.streamingShare;
  const sloFa = cfg.slo.p95FirstAudioMs / 1000;
  const sloC = cfg.slo.p95CompletionMs / 1000;
  const faHist = new LatencyHistogram();
  const cHist = new LatencyHistogram();

  const coldMin = Math.max(0, Math.ceil(cfg.coldStartMinutes));
  const ringLen = coldMin + 2;
  const bootOd = new Float64Array(ringLen);
  const bootSpot = new Float64Array(ringLen);
  const drain = new Float64Array(3);
  let odReady = 0, odBooting = 0, spotReady = 0, spotBooting = 0, spotDraining = 0;
  const hazard = cfg.spot.interruptionsPerInstanceMonth / (30 * 1440);

  // FIFO cohorts of requests waiting across minute boundaries.
  const cohortCount = new Float64Array(minutes + 1);
  const cohortTime = new Float64Array(minutes + 1);
  let head = 0, tail = 0, backlog = 0;

  let cost = 0, odMinutes = 0, spotMinutes = 0, peak = 0, instMinutes = 0;
  const fleetHour = new Float64Array(24);
  let violations = 0, trafficMinutes = 0, interruptions = 0;
  let busy = 0, avail = 0, served = 0;

  // Controller state: desired counts of the last `window` minutes (scale-in waits for all).
  const window = strategy === 'scale-to-zero' ? cfg.idleMinutes : cfg.autoscale.scaleInAfterMinutes;
  const recent = new Int32Array(Math.max(1, window));
  const headroom = 1 + cfg.autoscale.headroom;
  const base = strategy === 'spot' ? cfg.spot.onDemandBase : 0;
  const sched = cfg.schedule;
  const scheduled = (t: number) => sched[Math.floor(t / 60) % 168] as number;
  const schedDesired = (t: number) => Math.max(scheduled(t), scheduled(t + coldMin));
  // Autoscaled strategies keep their minimum fleet; scale-to-zero and the spot part above an
  // on-demand base may go to nothing.
  const floor = strategy === 'autoscale' || strategy === 'spot-only' ? cfg.autoscale.minInstances : 0;
  const reactive = (n: number): number => Math.max(floor, unit.instancesFor((n / 60) * headroom));

  // Initial fleet: the month starts warm, as if the strategy had been running.
  const firstRate = (traffic.hourlyRate[0] as number) * 60;
  switch (strategy) {
    case 'always-on':
      odReady = Math.max(...sched);
      break;
    case 'schedule':
      odReady = schedDesired(0);
      break;
    case 'autoscale':
    case 'scale-to-zero':
      odReady = reactive(firstRate);
      recent.fill(odReady);
      break;
    case 'spot':
    case 'spot-only':
      odReady = base;
      spotReady = Math.max(0, reactive(firstRate) - base);
      recent.fill(spotReady);
      break;
    case 'spot-schedule':
      spotReady = schedDesired(0);
      break;
  }

  // Exceedance accumulators for the current minute.
  let exFa = 0, exC = 0, wMin = 0;
  /** Requests that waited `wait` seconds before service started. */
  const record = (wait: number, weight: number) => {
    if (streamShare > 0) {
      faHist.add((wait + fa) * 1000, weight * streamShare);
      if (wait + fa > sloFa) exFa += weight * streamShare;
    }
    const off = rng.next();
    for (let j = 0; j < S_SAMPLES; j++) {
      const s = svc[Math.floor(((j + off) / S_SAMPLES) * nSvc)] as number;
      cHist.add((wait + s) * 1000, weight / S_SAMPLES);
    }
    exC += weight * survival(svc, sloC - wait);
    wMin += weight;
    served += weight;
  };

  const launch = (ring: Float64Array, n: number, t: number) => {
    const slot = (t + 1 + coldMin) % ringLen;
    ring[slot] = (ring[slot] as number) + n;
  };

  for (let t = 0; t < minutes; t++) {
    // 1. Boots that complete now; spot instances whose notice ran out.
    const slot = t % ringLen;
    odReady += bootOd[slot] as number;
    odBooting -= bootOd[slot] as number;
    bootOd[slot] = 0;
    spotReady += bootSpot[slot] as number;
    spotBooting -= bootSpot[slot] as number;
    bootSpot[slot] = 0;
    spotDraining -= drain[t % 3] as number;
    drain[t % 3] = 0;

    // 2. Spot interruption notices: the instance takes no new work and goes in 2 minutes;
    //    a replacement is requested at once.
    if (spotReady > 0 && hazard > 0) {
      const k = Math.min(spotReady, rng.poisson(spotReady * hazard));
      if (k > 0) {
        spotReady -= k;
        spotDraining += k;
        drain[(t + 2) % 3] = (drain[(t + 2) % 3] as number) + k;
        interruptions += k;
        launch(bootSpot, k, t - 1);
        spotBooting += k;
      }
    }

    // 3. Billing for this minute (booting and draining instances are billed too).
    const odBilled = odReady + odBooting;
    const spotBilled = spotReady + spotBooting + spotDraining;
    cost += (odBilled * cfg.onDemandUsdPerHour + spotBilled * cfg.spotUsdPerHour) / 60;
    odMinutes += odBilled;
    spotMinutes += spotBilled;
    const billed = odBilled + spotBilled;
    instMinutes += billed;
    if (billed > peak) peak = billed;
    const hod = Math.floor(t / 60) % 24;
    fleetHour[hod] = (fleetHour[hod] as number) + billed;

    // 4. Serve: backlog first (FIFO), then this minute's arrivals.
    const c = (odReady + spotReady) * slotsPerInstance;
    const gpus = (odReady + spotReady) * unit.instance.gpuCount;
    const capacity = c * 60;
    avail += capacity;
    let used = 0;
    exFa = 0;
    exC = 0;
    wMin = 0;
    const n = arrivals[t] as number;
    if (n > 0 || backlog > EPS_REQUESTS) trafficMinutes++;
    while (head < tail && used < capacity - 1e-9) {
      const work = (cohortCount[head] as number) * es;
      const take = Math.min(work, capacity - used);
      const k = take / es;
      const startedAt = t * 60 + (used + take / 2) / c;
      record(startedAt - (cohortTime[head] as number), k);
      used += take;
      backlog -= k;
      cohortCount[head] = (cohortCount[head] as number) - k;
      if ((cohortCount[head] as number) <= EPS_REQUESTS) {
        backlog -= cohortCount[head] as number;
        cohortCount[head++] = 0;
      }
    }
    if (head === tail || backlog < EPS_REQUESTS) backlog = Math.max(0, backlog);
    if (n > 0) {
      if (c === 0) {
        // A cold fleet: they wait for the boot, and count against the SLO with that real wait
        // in the minute they are served.
        cohortCount[tail] = n;
        cohortTime[tail++] = t * 60 + 30;
        backlog += n;
      } else {
        const remaining = capacity - used;
        const shift = used / c;
        const work = n * es;
        // The minute's fleet state uses the arrival intensity, not the drawn count: the chain
        // already accounts for Poisson fluctuation within the minute.
        const aEff = remaining > 0 ? (((intensity[t] as number) * es) / 60) * (capacity / remaining) : Infinity;
        const state = aEff < c * 0.995 && work < remaining ? loads.get(gpus, aEff / es) : null;
        if (state) {
          // Stable minute: the fleet's state at this load, on top of the time the backlog
          // still holds the servers.
          const load = state.load;
          if (shift === 0) {
            if (state.exC < 0) {
              state.exFa = firstAudioExceed(load, sloFa);
              state.exC = completionExceed(load, audio, coarse, sloC);
            }
            state.weight += n;
            exFa += n * streamShare * state.exFa;
            exC += n * state.exC;
          } else {
            const per = n / SAMPLES;
            const off = rng.next();
            for (let i = 0; i < SAMPLES; i++) {
              const x = ((i + off) / SAMPLES) * 60;
              const shiftPart = shift > x ? shift - x : 0;
              // Latin-hypercube pairing: the class's uniform is a scrambled stratum.
              const u2 = (((i * 5 + 3) % SAMPLES) + rng.next()) / SAMPLES;
              let wait = shiftPart;
              let first = 0;
              let slow = load.queued.slowdown;
              if (u2 < load.pw) {
                // The wait of those who wait at survival u2/pw, read off the load's stratified points.
                const points = waitPoints(load.waitShape, WAIT_POINTS);
                const at = Math.min(WAIT_POINTS - 1, Math.max(0, (1 - u2 / load.pw) * WAIT_POINTS - 0.5));
                const i0 = Math.floor(at);
                const i1 = Math.min(WAIT_POINTS - 1, i0 + 1);
                wait += ((points[i0] as number) + ((points[i1] as number) - (points[i0] as number)) * (at - i0)) * load.meanIfWait;
                first = load.queued.firstAudioS;
              } else {
                let acc = load.pw;
                const cls = load.starts.find((s) => (acc += s.weight) >= u2) ?? load.starts[load.starts.length - 1];
                if (cls) {
                  first = cls.firstAudioS;
                  slow = cls.slowdown;
                }
              }
              if (streamShare > 0) faHist.add((wait + first) * 1000, per * streamShare);
              const off2 = rng.next();
              for (let j = 0; j < S_SAMPLES; j++) {
                cHist.add((wait + (audio[Math.floor(((j + off2) / S_SAMPLES) * nAudio)] as number) * slow) * 1000, per / S_SAMPLES);
              }
              // Exceedance from the exact conditional tail, not the sample.
              exFa += per * streamShare * firstAudioExceed(load, sloFa, shiftPart);
              exC += per * completionExceed(load, audio, coarse, sloC, shiftPart);
            }
          }
          wMin += n;
          served += n;
          used += work;
        } else {
          // Overload: the earliest arrivals get the remaining capacity (fluid FIFO), the rest
          // wait as a cohort for later minutes.
          const ns = remaining / es;
          const xs = (60 * ns) / n;
          if (ns > 0) {
            const per = ns / SAMPLES;
            const off = rng.next();
            for (let i = 0; i < SAMPLES; i++) {
              const x = ((i + off) / SAMPLES) * xs;
              record(Math.max(0, (used + (work * x) / 60) / c - x), per);
            }
          }
          const rest = n - ns;
          cohortCount[tail] = rest;
          cohortTime[tail++] = t * 60 + (xs + 60) / 2;
          backlog += rest;
          used = capacity;
        }
      }
    }
    busy += Math.min(used, capacity);
    if (wMin > 0 && ((streamShare > 0 && exFa > 0.05 * wMin * streamShare) || exC > 0.05 * wMin)) violations++;

    // 5. Controller, at the end of the minute.
    switch (strategy) {
      case 'always-on':
        break;
      case 'schedule':
      case 'spot-schedule': {
        // spot-schedule buys the scheduled fleet as spot; an interrupted instance is replaced
        // at once (step 2).
        const spot = strategy === 'spot-schedule';
        const ready = spot ? spotReady : odReady;
        const have = ready + (spot ? spotBooting : odBooting);
        const want = schedDesired(t + 1);
        let dReady = 0;
        let dBooting = 0;
        if (want > have) {
          launch(spot ? bootSpot : bootOd, want - have, t);
          dBooting = want - have;
        } else if (want < have) {
          const stop = have - want;
          dReady = -Math.min(ready, stop);
          cancelBoots(spot ? bootSpot : bootOd, stop + dReady);
          dBooting = -(stop + dReady);
        }
        if (spot) {
          spotReady += dReady;
          spotBooting += dBooting;
        } else {
          odReady += dReady;
          odBooting += dBooting;
        }
        break;
      }
      case 'autoscale':
      case 'scale-to-zero':
      case 'spot':
      case 'spot-only': {
        let want = reactive(n);
        const onSpot = strategy === 'spot' || strategy === 'spot-only';
        if (onSpot) want = Math.max(0, want - base);
        recent[t % recent.length] = want;
        let keep = want;
        for (let i = 0; i < recent.length; i++) if ((recent[i] as number) > keep) keep = recent[i] as number;
        if (onSpot) {
          const have = spotReady + spotBooting;
          if (want > have) {
            launch(bootSpot, want - have, t);
            spotBooting += want - have;
          } else if (keep < have) {
            const stop = Math.min(spotReady, have - keep);
            spotReady -= stop;
          }
        } else {
          const have = odReady + odBooting;
          if (want > have) {
            launch(bootOd, want - have, t);
            odBooting += want - have;
          } else if (keep < have) {
            const stop = Math.min(odReady, have - keep);
            odReady -= stop;
          }
        }
        break;
      }
    }
  }

  // The minutes with no backlog ahead: each fleet state's latency distribution, once, weighted
  // by the requests that met it.
  for (const st of loads.used()) {
    const { load, weight } = st;
    for (const cls of load.starts) {
      const w = weight * cls.weight;
      if (streamShare > 0) faHist.add(cls.firstAudioS * 1000, w * streamShare);
      for (let i = 0; i < coarse.length; i++) cHist.add((coarse[i] as number) * cls.slowdown * 1000, w / coarse.length);
    }
    if (load.pw > 0) {
      const points = waitPoints(load.waitShape, WAIT_POINTS);
      const w = (weight * load.pw) / points.length;
      // Completion = wait + service: each wait quantile is paired with one audio-table entry,
      // striding through the table, so every run of coarse.length consecutive wait quantiles
      // meets every entry once (a stratified sample of the sum, 1,024 points instead of the
      // 1,024 × 64 product).
      const n = coarse.length;
      for (let j = 0; j < points.length; j++) {
        const wait = (points[j] as number) * load.meanIfWait;
        if (streamShare > 0) faHist.add((wait + load.queued.firstAudioS) * 1000, w * streamShare);
        cHist.add((wait + (coarse[(j * PAIR_STRIDE) % n] as number) * load.queued.slowdown) * 1000, w);
      }
    }
  }
  // Requests still queued at the end count with the wait they had so far (a lower bound).
  for (let i = head; i < tail; i++) {
    const k = cohortCount[i] as number;
    if (k <= 0) continue;
    const wait = minutes * 60 - (cohortTime[i] as number);
    if (streamShare > 0) faHist.add((wait + fa) * 1000, k * streamShare);
    cHist.add((wait + es) * 1000, k);
  }

  const days = minutes / 1440;
  // No requests at all (a zero-traffic workload): nothing waited, report zero latency.
  const q = (h: LatencyHistogram, p: number) => (h.total > 0 ? h.quantile(p) : 0);
  const fin = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    computeUsd: cost,
    onDemandInstanceHours: odMinutes / 60,
    spotInstanceHours: spotMinutes / 60,
    peakInstances: peak,
    meanInstances: instMinutes / minutes,
    fleetByHourOfDay: Array.from(fleetHour, (x) => x / (days * 60)),
    p95FirstAudioMs: streamShare > 0 ? fin(q(faHist, 0.95)) : null,
    p99FirstAudioMs: streamShare > 0 ? fin(q(faHist, 0.99)) : null,
    p95CompletionMs: q(cHist, 0.95),
    p99CompletionMs: q(cHist, 0.99),
    sloViolationMinutes: violations,
    minutesWithTraffic: trafficMinutes,
    interruptions,
    utilization: avail > 0 ? busy / avail : 0,
    servedRequests: served,
    unservedAtEnd: backlog < EPS_REQUESTS ? 0 : backlog,
  };
}

/** Removes `n` pending boots, latest first (a schedule that no longer needs them). */
function cancelBoots(ring: Float64Array, n: number): void {
  let left = n;
  for (let i = ring.length - 1; i >= 0 && left > 0; i--) {
    const take = Math.min(ring[i] as number, left);
    ring[i] = (ring[i] as number) - take;
    left -= take;
  }
}
