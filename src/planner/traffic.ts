// Arrivals for the month at 1-minute resolution, drawn once per workload and shared by every
// plan (common random numbers: plans differ only in what they do with the same traffic).
import { Rng } from './rng.js';
import type { Workload } from './workload.js';

export const MINUTES_PER_DAY = 1440;

export interface Traffic {
  minutes: number;
  /** Requests arriving in each minute (Poisson draws). */
  arrivals: Float64Array;
  /** Expected requests in each minute (the Poisson mean, bursts included). */
  intensity: Float64Array;
  /** Expected requests per second for each hour of the week, at the start of the month. */
  hourlyRate: Float64Array;
  /** Traffic multiplier at the end of the simulated month relative to hourlyRate (growth). */
  endGrowth: number;
  totalRequests: number;
}

/** Mean arrival rate (requests/s) for each of the 168 hours of the week, Monday 00:00 first. */
export function hourlyRates(w: Workload, scale = 1): Float64Array {
  const total = w.weeklyWeights.reduce((s, x) => s + x, 0);
  const perWeek = w.requestsPerDay * 7 * scale * (1 + w.growthPerMonth) ** w.planning.month;
  return Float64Array.from(w.weeklyWeights, (x) => (total > 0 ? (perWeek * x) / total / 3600 : 0));
}

/**
 * Minute counts are Poisson around the hour's rate times a burst multiplier. Bursts are a
 * two-state Markov chain: `burstShare` of minutes run at `burstFactor` times the hour's mean,
 * in runs of 3 minutes on average; the other minutes run slightly below the mean, so every
 * hour still averages its rate.
 */
export function generateTraffic(w: Workload, opts: { scale?: number; seed?: number } = {}): Traffic {
  const minutes = w.planning.days * MINUTES_PER_DAY;
  const rates = hourlyRates(w, opts.scale ?? 1);
  const rng = new Rng(opts.seed ?? w.planning.seed, 1);
  const arrivals = new Float64Array(minutes);
  const intensity = new Float64Array(minutes);
  const b = w.burstFactor;
  const share = b > 1 ? w.burstShare : 0;
  const low = (1 - share * b) / (1 - share);
  const leave = 1 / 3;
  const enter = share > 0 ? (share / (1 - share)) * leave : 0;
  const monthlyGrowth = 1 + w.growthPerMonth;
  let burst = false;
  let total = 0;
  for (let t = 0; t < minutes; t++) {
    burst = burst ? rng.next() >= leave : rng.next() < enter;
    const growth = monthlyGrowth === 1 ? 1 : monthlyGrowth ** (t / minutes);
    const mean = (rates[Math.floor(t / 60) % 168] as number) * 60 * growth * (burst ? b : low);
    const n = rng.poisson(mean);
    arrivals[t] = n;
    intensity[t] = mean;
    total += n;
  }
  return { minutes, arrivals, intensity, hourlyRate: rates, endGrowth: monthlyGrowth, totalRequests: total };
}
