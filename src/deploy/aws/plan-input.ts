// What the AWS fleet is built from: the recommendation of a `cosyfleet plan --format json`
// report, read defensively (it is a file a user hands us), plus the knobs of the workload it was
// planned from that the report does not repeat (retention, autoscale and scale-to-zero settings).
import { createHash } from 'node:crypto';
import type { PlanOption } from '../../planner/plan.js';
import { STRATEGIES, type StrategyName } from '../../planner/simulate.js';
import type { Workload } from '../../planner/workload.js';

/** The recommendation's fields the fleet is built from, as the planner types them. */
type Recommended = Pick<
  PlanOption,
  | 'instanceType' | 'gpu' | 'gpusPerInstance' | 'strategy' | 'monthlyCostUsd' | 'computeMonthlyUsd' | 'storageMonthlyUsd' | 'deliveryMonthlyUsd'
  | 'peakInstances' | 'meanInstances' | 'onDemandInstanceHours' | 'spotInstanceHours' | 'spotInterruptions' | 'concurrencyPerGpu'
  | 'capacityPerGpuAudioSecondsPerSecond' | 'p99CompletionMs' | 'coldStartS' | 'fleetByHourOfDay'
>;

export interface FleetPlan extends Recommended {
  /** Short digest of the plan file: every resource is tagged with it (Cost Explorer, Budgets). */
  planId: string;
  workloadName: string;
  generatedAt: string;
  catalogVersion: string;
  region: string;
  engine: string;
  days: number;
  /** Slowest language's characters per audio second (the longest synthesis comes from it). */
  slowestCharsPerSecond: number;
  /** The lifecycle the plan priced: transitions; expiry is the workload's retentionDays. */
  lifecycle: { afterDays: number; storageClass: string }[];
  retentionDays: number;
  autoscale: Workload['strategies']['autoscale'];
  idleMinutes: number;
  maxUtilization: number;
}

export class PlanFileError extends Error {}

type Obj = Record<string, unknown>;

function field<T>(o: Obj, key: string, where: string, check: (v: unknown) => v is T, what: string): T {
  const v = o[key];
  if (!check(v)) throw new PlanFileError(`${where}.${key}: expected ${what}, got ${JSON.stringify(v) ?? 'nothing'}`);
  return v;
}
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNonNeg = (v: unknown): v is number => isNum(v) && v >= 0;
const isPosInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1;
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 200;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isArr = (v: unknown): v is unknown[] => Array.isArray(v);

/** Reads the report's text; `workload` is the file the plan was made from. */
export function readPlan(text: string, workload: Workload): FleetPlan {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new PlanFileError(`not JSON (make it with \`cosyfleet plan workload.yaml --format json --out plan.json\`): ${(err as Error).message}`);
  }
  if (!isObj(raw)) throw new PlanFileError('expected the JSON object `cosyfleet plan --format json` writes');
  const rec = raw.recommendation;
  if (rec === null) throw new PlanFileError('the plan has no recommendation (no option met the SLO): there is no fleet to deploy');
  if (!isObj(rec)) throw new PlanFileError('recommendation: missing; is this a `cosyfleet plan --format json` report?');
  const strategy = field(rec, 'strategy', 'recommendation', (v): v is StrategyName => (STRATEGIES as readonly unknown[]).includes(v), `one of ${STRATEGIES.join(', ')}`);
  const wl = field(raw, 'workload', 'plan', isObj, 'an object');
  const storage = field(raw, 'storage', 'plan', isObj, 'an object');
  const chosen = field(storage, 'chosen', 'storage', isObj, 'an object');
  const lifecycle = field(chosen, 'lifecycle', 'storage.chosen', isArr, 'a list').map((step, i) => {
    if (!isObj(step)) throw new PlanFileError(`storage.chosen.lifecycle[${i}]: expected an object`);
    return {
      afterDays: field(step, 'afterDays', `storage.chosen.lifecycle[${i}]`, isPosInt, 'a whole number of days'),
      storageClass: field(step, 'storageClass', `storage.chosen.lifecycle[${i}]`, isStr, 'a storage class'),
    };
  });
  const languages = field(wl, 'languages', 'workload', isArr, 'a list');
  const speeds = languages.map((l, i) => (isObj(l) ? field(l, 'charsPerSecond', `workload.languages[${i}]`, isNum, 'a number') : NaN)).filter((x) => x > 0);
  const planName = field(wl, 'name', 'workload', isStr, 'a name');
  const region = field(raw, 'region', 'plan', (v): v is string => isStr(v) && /^[a-z]{2}(-[a-z]+)+-\d$/.test(v), 'a region name');
  if (region !== workload.region) throw new PlanFileError(`the plan is for ${region} but the workload says ${workload.region}: pass the workload the plan was made from`);
  const fleetByHourOfDay = field(rec, 'fleetByHourOfDay', 'recommendation', (v): v is number[] => isArr(v) && v.length === 24 && v.every(isNonNeg), '24 numbers');
  return {
    planId: createHash('sha256').update(text).digest('hex').slice(0, 12),
    workloadName: planName,
    generatedAt: field(raw, 'generatedAt', 'plan', isStr, 'a date'),
    catalogVersion: field(raw, 'catalogVersion', 'plan', isStr, 'a version'),
    region,
    engine: field(raw, 'engine', 'plan', isStr, 'an engine name'),
    days: field(raw, 'days', 'plan', isPosInt, 'a whole number'),
    instanceType: field(rec, 'instanceType', 'recommendation', (v): v is string => isStr(v) && /^[a-z0-9-]+\.[a-z0-9]+$/.test(v), 'an instance type'),
    gpu: field(rec, 'gpu', 'recommendation', isStr, 'a GPU name'),
    gpusPerInstance: field(rec, 'gpusPerInstance', 'recommendation', isPosInt, 'a whole number'),
    strategy,
    monthlyCostUsd: field(rec, 'monthlyCostUsd', 'recommendation', isNonNeg, 'dollars'),
    computeMonthlyUsd: field(rec, 'computeMonthlyUsd', 'recommendation', isNonNeg, 'dollars'),
    storageMonthlyUsd: field(rec, 'storageMonthlyUsd', 'recommendation', isNonNeg, 'dollars'),
    deliveryMonthlyUsd: field(rec, 'deliveryMonthlyUsd', 'recommendation', isNonNeg, 'dollars'),
    peakInstances: field(rec, 'peakInstances', 'recommendation', (v): v is number => Number.isSafeInteger(v) && (v as number) >= 0, 'a whole number'),
    meanInstances: field(rec, 'meanInstances', 'recommendation', isNonNeg, 'a number'),
    onDemandInstanceHours: field(rec, 'onDemandInstanceHours', 'recommendation', isNonNeg, 'hours'),
    spotInstanceHours: field(rec, 'spotInstanceHours', 'recommendation', isNonNeg, 'hours'),
    spotInterruptions: field(rec, 'spotInterruptions', 'recommendation', isNonNeg, 'a count'),
    concurrencyPerGpu: field(rec, 'concurrencyPerGpu', 'recommendation', isPosInt, 'a whole number'),
    capacityPerGpuAudioSecondsPerSecond: field(rec, 'capacityPerGpuAudioSecondsPerSecond', 'recommendation', (v): v is number => isNum(v) && v > 0, 'a positive number'),
    p99CompletionMs: field(rec, 'p99CompletionMs', 'recommendation', isNonNeg, 'milliseconds'),
    coldStartS: field(rec, 'coldStartS', 'recommendation', isNonNeg, 'seconds'),
    fleetByHourOfDay,
    slowestCharsPerSecond: speeds.length > 0 ? Math.min(...speeds) : 15,
    lifecycle,
    retentionDays: workload.storage.retentionDays,
    autoscale: workload.strategies.autoscale,
    idleMinutes: workload.strategies.scaleToZero.idleMinutes,
    maxUtilization: workload.planning.maxUtilization,
  };
}

/** Strategies that buy spot capacity, and whether they keep an on-demand base under it. */
export const SPOT_STRATEGIES: readonly StrategyName[] = ['spot', 'spot-only', 'spot-schedule'];
export const SCHEDULED_STRATEGIES: readonly StrategyName[] = ['schedule', 'spot-schedule'];
export const REACTIVE_STRATEGIES: readonly StrategyName[] = ['autoscale', 'spot', 'spot-only', 'scale-to-zero'];

/**
 * The spot strategy's on-demand base as the plan simulated it: the base never scales or gets
 * interrupted, so its instance-hours over the month are base × hours.
 */
export function onDemandBase(p: FleetPlan): number {
  if (p.strategy !== 'spot') return 0;
  return Math.round(p.onDemandInstanceHours / (p.days * 24));
}
