// The day's load and capacity for the Cost page's chart, both per UTC hour of the day. Load is
// the planner's own arithmetic (src/planner/traffic.ts, hourlyRates): requests a week spread
// by the weights, averaged over the week's days for each hour, grown to the middle of the
// simulated month. Capacity is what the plan's mean fleet in that hour serves at its chosen
// concurrency (fleetByHourOfDay x GPUs x requests/s per GPU).
import type { PlanOption } from './plan-api.js';

const isHours = (v: unknown): v is number[] => Array.isArray(v) && v.length === 24 && v.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0);

/** Mean requests/s in each UTC hour of the day, or null when the workload does not say (yet). */
export function hourlyLoad(workload: unknown): number[] | null {
  if (workload === null || typeof workload !== 'object') return null;
  const w = workload as Record<string, unknown>;
  const perDay = w.requestsPerDay;
  if (typeof perDay !== 'number' || !Number.isFinite(perDay)) return null;
  let weekday: number[];
  let weekend: number[];
  const hw = w.hourlyWeights;
  if (isHours(hw)) weekday = weekend = hw;
  else if (hw !== null && typeof hw === 'object' && isHours((hw as { weekday?: unknown }).weekday)) {
    const o = hw as { weekday: number[]; weekend?: unknown };
    weekday = o.weekday;
    weekend = isHours(o.weekend) ? o.weekend : o.weekday;
  } else return null;
  const total = 5 * sum(weekday) + 2 * sum(weekend);
  if (!(total > 0)) return null;
  const growth = typeof w.growthPerMonth === 'number' ? 1 + w.growthPerMonth : 1;
  const planning = (w.planning ?? {}) as { month?: unknown };
  const month = typeof planning.month === 'number' ? planning.month : 0;
  const grown = growth > 0 ? growth ** (month + 0.5) : 1;
  return weekday.map((wd, h) => (perDay * 7 * grown * (5 * wd + 2 * (weekend[h] as number))) / 7 / total / 3600);
}

/** Requests/s the option's mean fleet serves in each UTC hour of the day. */
export function hourlyCapacity(o: PlanOption): number[] {
  return o.fleetByHourOfDay.map((n) => n * o.gpusPerInstance * o.capacityPerGpuRequestsPerSecond);
}

function sum(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0);
}
