// The weekly fleet schedule the plan's schedule strategies ran (instances for each UTC hour of
// the week, Monday 00:00 first), sized again with the planner's own functions because the JSON
// report carries only its hour-of-day average; then folded into the few cron actions an Auto
// Scaling group runs.
import { bundledCatalog, findGpu, type Catalog } from '../../planner/catalog.js';
import { sizeSchedule } from '../../planner/plan.js';
import { bundledEngines, resolveProfile, type MeasuredCurve } from '../../planner/profiles.js';
import { audioSecondsDistribution } from '../../planner/queueing.js';
import { chooseUnit, sizingRules } from '../../planner/sizing.js';
import { generateTraffic } from '../../planner/traffic.js';
import type { Workload } from '../../planner/workload.js';
import { PlanFileError, type FleetPlan } from './plan-input.js';

export function weeklySchedule(plan: FleetPlan, w: Workload, opts: { catalog?: Catalog; userProfiles?: (MeasuredCurve & { engine: string })[] } = {}): number[] {
  const catalog = opts.catalog ?? bundledCatalog();
  const engine = bundledEngines().find((e) => e.engine === plan.engine);
  const instance = catalog.instances.find((i) => i.instanceType === plan.instanceType);
  const gpu = instance && findGpu(catalog, instance.gpu);
  if (!engine || !instance || !gpu) throw new PlanFileError(`cannot size ${plan.instanceType} for ${plan.engine} with catalog ${catalog.version}: pass the --catalog the plan used (${plan.catalogVersion})`);
  const resolved = resolveProfile({ engine, gpu, catalog, instance, userCurves: [...(opts.userProfiles ?? []), ...w.profiles], ...(w.coldStartS !== undefined ? { coldStartS: w.coldStartS } : {}) });
  if (!resolved.ok) throw new PlanFileError(`${plan.instanceType}: ${resolved.reason}`);
  const traffic = generateTraffic(w);
  const peakRate = Math.max(...traffic.hourlyRate) * w.burstFactor * traffic.endGrowth;
  const choice = chooseUnit(instance, gpu, resolved.profile, audioSecondsDistribution(w), sizingRules(w), peakRate);
  if (!choice.ok) throw new PlanFileError(`${plan.instanceType}: ${choice.reason}`);
  // The same inputs size the same unit; a different one means a different workload, catalog or profile.
  if (choice.unit.k !== plan.concurrencyPerGpu) {
    throw new PlanFileError(
      `the workload sizes ${plan.instanceType} at ${choice.unit.k} streams per GPU but the plan says ${plan.concurrencyPerGpu}: pass the workload, --catalog and --profile the plan was made with`,
    );
  }
  return Array.from(sizeSchedule(choice.unit, traffic, w.burstFactor));
}

export interface ScheduledAction {
  /** Minute of the day (UTC) and cron days of the week (0 = Sunday). */
  minuteOfDay: number;
  weekDays: number[];
  instances: number;
}

const WEEK_MINUTES = 7 * 24 * 60;

/**
 * One action per change of the weekly schedule, launched `leadMinutes` early when it grows (the
 * planner's controller starts instances a cold start ahead of the hour) and on the hour when it
 * shrinks; changes at the same time of day to the same size are one action over several days.
 */
export function scheduledActions(schedule: readonly number[], leadMinutes: number): ScheduledAction[] {
  if (schedule.length !== 168) throw new Error('a weekly schedule has 168 hours');
  const changes: { minuteOfWeek: number; instances: number }[] = [];
  for (let h = 0; h < 168; h++) {
    const now = schedule[h] as number;
    const before = schedule[(h + 167) % 168] as number;
    if (now === before) continue;
    const at = now > before ? h * 60 - Math.min(leadMinutes, 59) : h * 60;
    changes.push({ minuteOfWeek: (at + WEEK_MINUTES) % WEEK_MINUTES, instances: now });
  }
  // A week with no change still needs its size set once.
  if (changes.length === 0) changes.push({ minuteOfWeek: 0, instances: schedule[0] as number });
  const grouped = new Map<string, ScheduledAction>();
  for (const c of changes) {
    const minuteOfDay = c.minuteOfWeek % 1440;
    // Monday is day 0 of the planner's week and day 1 of cron's.
    const weekDay = (Math.floor(c.minuteOfWeek / 1440) + 1) % 7;
    const key = `${minuteOfDay}/${c.instances}`;
    const g = grouped.get(key) ?? { minuteOfDay, weekDays: [], instances: c.instances };
    g.weekDays.push(weekDay);
    grouped.set(key, g);
  }
  return [...grouped.values()].map((g) => ({ ...g, weekDays: [...new Set(g.weekDays)].sort((a, b) => a - b) })).sort((a, b) => a.minuteOfDay - b.minuteOfDay || a.instances - b.instances);
}
