// The month simulation: a time-stepped discrete-event model at 1-minute resolution. Each
// minute: boots complete, spot notices arrive (2 minutes before the instance goes), the fleet
// serves the backlog and the minute's arrivals, and the strategy's controller decides what to
// launch or stop. Within a minute the wait is the M/G/c estimate (queueing.ts); across minutes
// unserved requests carry over as FIFO cohorts, so cold starts and overloads show up as real
// waits. Latencies go into weighted histograms for the month's p95/p99.
import { LatencyHistogram } from './histogram.js';
import { ErlangCache } from './queueing.js';
import { Rng } from './rng.js';
import type { Unit } from './sizing.js';
import type { Traffic } from './traffic.js';

export const STRATEGIES = ['always-on', 'schedule', 'autoscale', 'spot', 'scale-to-zero'] as const;
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
  erlang?: ErlangCache;
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

// Gauss–Laguerre nodes/weights: E[f(X)] for X ~ Exp(1).
const GL_X = [0.3225476896193923, 1.7457611011583467, 4.536620296921128, 9.395070912301133];
const GL_W = [0.6031541043416336, 0.3574186924377997, 0.03888790851500538, 0.0005392947055613275];
const SAMPLES = 8;
const S_SAMPLES = 4;
const sharedErlang = new ErlangCache();

export function simulate(cfg: SimConfig): SimResult {
  const { unit, traffic, strategy } = cfg;
  const minutes = traffic.minutes;
  const arrivals = traffic.arrivals;
  const intensity = traffic.intensity;
  const erlang = cfg.erlang ?? sharedErlang;
  const rng = new Rng(cfg.seed, 7);
  const svc = unit.service.values;
  const nSvc = svc.length;
  const es = unit.service.mean;
  const scv = unit.service.scv;
  const fa = unit.firstAudioS;
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
  let busy = 0, avail = 0, baseWeight = 0, served = 0;

  // Controller state: desired counts of the last `window` minutes (scale-in waits for all).
  const window = strategy === 'scale-to-zero' ? cfg.idleMinutes : cfg.autoscale.scaleInAfterMinutes;
  const recent = new Int32Array(Math.max(1, window));
  const headroom = 1 + cfg.autoscale.headroom;
  const base = cfg.spot.onDemandBase;
  const sched = cfg.schedule;
  const scheduled = (t: number) => sched[Math.floor(t / 60) % 168] as number;
  const schedDesired = (t: number) => Math.max(scheduled(t), scheduled(t + coldMin));
  const reactive = (n: number): number => {
    const d = unit.instancesFor((n / 60) * headroom);
    return strategy === 'autoscale' ? Math.max(cfg.autoscale.minInstances, d) : d;
  };

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
      odReady = base;
      spotReady = Math.max(0, reactive(firstRate) - base);
      recent.fill(spotReady);
      break;
  }

  const svcSurvival = (y: number): number => {
    // P(S > y) from the equiprobable table (binary search).
    if (y < (svc[0] as number)) return 1;
    let lo = 0, hi = nSvc;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((svc[mid] as number) <= y) lo = mid + 1;
      else hi = mid;
    }
    return (nSvc - lo) / nSvc;
  };

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
    exC += weight * svcSurvival(sloC - wait);
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
    const capacity = c * 60;
    avail += capacity;
    let used = 0;
    exFa = 0;
    exC = 0;
    wMin = 0;
    const n = arrivals[t] as number;
    if (n > 0 || backlog > 0) trafficMinutes++;
    let starved = false;
    while (head < tail && used < capacity - 1e-9) {
      const work = (cohortCount[head] as number) * es;
      const take = Math.min(work, capacity - used);
      const k = take / es;
      const startedAt = t * 60 + (used + take / 2) / c;
      record(startedAt - (cohortTime[head] as number), k);
      used += take;
      backlog -= k;
      cohortCount[head] = (cohortCount[head] as number) - k;
      if ((cohortCount[head] as number) <= 1e-9) head++;
    }
    if (n > 0) {
      if (c === 0) {
        cohortCount[tail] = n;
        cohortTime[tail++] = t * 60 + 30;
        backlog += n;
        starved = true;
      } else {
        const remaining = capacity - used;
        const shift = used / c;
        const work = n * es;
        // The minute's M/G/c wait uses the arrival intensity, not the drawn count: the M/G/c
        // formula already accounts for Poisson fluctuation within the minute.
        const aEff = remaining > 0 ? (((intensity[t] as number) * es) / 60) * (capacity / remaining) : Infinity;
        if (aEff < c * 0.995 && work < remaining) {
          // Stable minute: M/G/c wait on top of the time the backlog still holds the servers.
          const pw = erlang.get(c, aEff);
          const m = (es * (1 + scv)) / 2 / (c - aEff);
          if (shift === 0 && pw < 1e-4) {
            baseWeight += n;
            served += n;
            wMin += n;
          } else {
            const off = rng.next();
            const per = n / SAMPLES;
            for (let i = 0; i < SAMPLES; i++) {
              const x = ((i + off) / SAMPLES) * 60;
              const shiftPart = shift > x ? shift - x : 0;
              // Latin-hypercube pairing: the wait's uniform is a scrambled stratum.
              const u2 = (((i * 5 + 3) % SAMPLES) + rng.next()) / SAMPLES;
              const wait = shiftPart + (u2 < pw ? m * Math.log(pw / u2) : 0);
              if (streamShare > 0) faHist.add((wait + fa) * 1000, per * streamShare);
              const off2 = rng.next();
              for (let j = 0; j < S_SAMPLES; j++) {
                cHist.add((wait + (svc[Math.floor(((j + off2) / S_SAMPLES) * nSvc)] as number)) * 1000, per / S_SAMPLES);
              }
              // Exceedance from the exact conditional tail, not the sample (once when no shift).
              if (shift > 0 || i === 0) {
                const weight = shift > 0 ? per : n;
                const yFa = sloFa - fa - shiftPart;
                exFa += weight * streamShare * (yFa < 0 ? 1 : pw * Math.exp(-yFa / m));
                const yC = sloC - shiftPart;
                let pc = (1 - pw) * svcSurvival(yC);
                for (let g = 0; g < 4; g++) pc += pw * (GL_W[g] as number) * svcSurvival(yC - m * (GL_X[g] as number));
                exC += weight * pc;
              }
            }
            wMin += n;
            served += n;
          }
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
    if (starved || (wMin > 0 && ((streamShare > 0 && exFa > 0.05 * wMin * streamShare) || exC > 0.05 * wMin))) violations++;

    // 5. Controller, at the end of the minute.
    switch (strategy) {
      case 'always-on':
        break;
      case 'schedule': {
        const want = schedDesired(t + 1);
        const have = odReady + odBooting;
        if (want > have) {
          launch(bootOd, want - have, t);
          odBooting += want - have;
        } else if (want < have) {
          const stop = have - want;
          const fromReady = Math.min(odReady, stop);
          odReady -= fromReady;
          cancelBoots(bootOd, stop - fromReady);
          odBooting -= stop - fromReady;
        }
        break;
      }
      case 'autoscale':
      case 'scale-to-zero':
      case 'spot': {
        let want = reactive(n);
        if (strategy === 'spot') want = Math.max(0, want - base);
        recent[t % recent.length] = want;
        let keep = want;
        for (let i = 0; i < recent.length; i++) if ((recent[i] as number) > keep) keep = recent[i] as number;
        if (strategy === 'spot') {
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

  // The unloaded latency distribution for the minutes where nobody waited.
  if (baseWeight > 0) {
    if (streamShare > 0) faHist.add(fa * 1000, baseWeight * streamShare);
    for (let i = 0; i < nSvc; i++) cHist.add((svc[i] as number) * 1000, baseWeight / nSvc);
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
    unservedAtEnd: backlog,
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
