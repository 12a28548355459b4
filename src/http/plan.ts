// POST /v1/plan: the capacity and cost planner over HTTP (for the web studio), the same
// planner `cosyfleet plan` runs. The workload is validated here, on the request's thread (it
// is cheap and bounded by the body limit), so a bad or absurd one is a 400 before any worker
// starts, and only the validated, shallow Workload is copied into the worker: the raw body can
// nest thousands of levels deep, which overflows the structured clone that workerData takes.
// Each plan runs in its own worker thread; plans are CPU-heavy, so a few run at once and one
// more answers 429 instead of queueing unboundedly.
import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../errors/app-error.js';
import { spawnModuleWorker } from '../util/module-worker.js';
import type { PlanJob, PlanOutcome } from '../planner/plan-worker.js';
import { STRATEGIES } from '../planner/simulate.js';
import { PlannerInputError } from '../planner/validate.js';
import { validateWorkload } from '../planner/workload.js';
import { errorResponses } from './error-schema.js';
import type { AppContext } from './context.js';

const MAX_CONCURRENT_PLANS = 2;

// The JSON form's shape for OpenAPI (and so the studio's types): PlanResult of
// src/planner/plan.ts. Documentation only: the worker's rendered text is sent as it is, never
// re-serialized through this schema.
const num = { type: 'number' } as const;
const str = { type: 'string' } as const;
const msOrNull = { type: ['number', 'null'] } as const;
const strings = { type: 'array', items: str } as const;
const PLAN_OPTION_PROPERTIES = {
  instanceType: str,
  gpu: str,
  gpusPerInstance: num,
  strategy: { type: 'string', enum: [...STRATEGIES] },
  monthlyCostUsd: { type: 'number', description: 'Compute + storage + delivery.' },
  computeMonthlyUsd: num,
  storageMonthlyUsd: num,
  deliveryMonthlyUsd: num,
  costPerAudioHourUsd: num,
  costPer1MCharsUsd: num,
  peakInstances: num,
  meanInstances: num,
  onDemandInstanceHours: num,
  spotInstanceHours: num,
  concurrencyPerGpu: num,
  capacityPerGpuAudioSecondsPerSecond: num,
  capacityPerGpuRequestsPerSecond: num,
  p95FirstAudioMs: { type: ['number', 'null'], description: 'Null when nothing streams.' },
  p99FirstAudioMs: msOrNull,
  p95CompletionMs: num,
  p99CompletionMs: num,
  analyticPeakP95FirstAudioMs: msOrNull,
  analyticPeakP95CompletionMs: msOrNull,
  sloViolationMinutes: num,
  sloMet: { type: 'boolean' },
  utilization: num,
  spotInterruptions: num,
  coldStartS: num,
  profileSource: { type: 'string', enum: ['published', 'estimated', 'user'] },
  profileCitation: str,
  caveats: strings,
  fleetByHourOfDay: { type: 'array', items: num, description: 'Mean instances in each UTC hour of the day (24 values), month average.' },
} as const;
const planOptionSchema = { type: 'object', required: Object.keys(PLAN_OPTION_PROPERTIES), properties: PLAN_OPTION_PROPERTIES } as const;
const planResultSchema = {
  type: 'object',
  required: ['generatedAt', 'catalogVersion', 'engine', 'region', 'seed', 'days', 'workload', 'recommendation', 'options', 'excluded', 'storage', 'delivery', 'sensitivity', 'latencyVsLoad', 'profiles', 'assumptions'],
  properties: {
    generatedAt: str,
    catalogVersion: str,
    engine: str,
    region: str,
    seed: num,
    days: num,
    workload: {
      type: 'object',
      required: ['name', 'requestsPerMonth', 'charsPerMonth', 'audioHoursPerMonth', 'meanAudioSeconds', 'peakRequestsPerSecond', 'slo', 'maxViolationShare', 'languages'],
      properties: {
        name: str,
        requestsPerMonth: num,
        charsPerMonth: num,
        audioHoursPerMonth: num,
        meanAudioSeconds: num,
        peakRequestsPerSecond: num,
        slo: { type: 'object', required: ['p95FirstAudioMs', 'p95CompletionMs'], properties: { p95FirstAudioMs: num, p95CompletionMs: num } },
        maxViolationShare: num,
        languages: {
          type: 'array',
          items: { type: 'object', required: ['code', 'name', 'share', 'charsPerSecond'], properties: { code: str, name: str, tag: str, share: num, charsPerSecond: num } },
        },
      },
    },
    recommendation: {
      description: 'The cheapest option that meets the SLO, with `why`; null when none does.',
      oneOf: [{ type: 'object', required: [...planOptionSchema.required, 'why'], properties: { ...PLAN_OPTION_PROPERTIES, why: str } }, { type: 'null' }],
    },
    options: { type: 'array', items: planOptionSchema, description: 'SLO-meeting options first, each group by monthly cost.' },
    excluded: { type: 'array', items: { type: 'object', required: ['instanceType', 'reason'], properties: { instanceType: str, reason: str } } },
    storage: {
      type: 'object',
      required: ['chosen', 'candidates', 'notes'],
      properties: {
        chosen: { type: 'object', required: ['label', 'monthlyUsd'], properties: { label: str, monthlyUsd: num }, additionalProperties: true },
        candidates: { type: 'array', items: { type: 'object', required: ['label', 'monthlyUsd'], properties: { label: str, monthlyUsd: num }, additionalProperties: true } },
        notes: strings,
      },
      additionalProperties: true,
    },
    delivery: { type: 'object', required: ['egressGbPerMonth', 'cdnGb', 'directGb', 'monthlyUsd'], properties: { egressGbPerMonth: num, cdnGb: num, directGb: num, monthlyUsd: num } },
    sensitivity: {
      type: 'array',
      items: {
        type: 'object',
        required: ['instanceType', 'strategy', 'scenario', 'monthlyCostUsd', 'p95FirstAudioMs', 'p95CompletionMs', 'sloMet'],
        properties: { instanceType: str, strategy: str, scenario: str, monthlyCostUsd: num, p95FirstAudioMs: msOrNull, p95CompletionMs: num, sloMet: { type: 'boolean' } },
      },
    },
    latencyVsLoad: {
      type: 'array',
      items: { type: 'object', required: ['instanceType', 'loadShare', 'p95FirstAudioMs', 'p95CompletionMs'], properties: { instanceType: str, loadShare: num, p95FirstAudioMs: msOrNull, p95CompletionMs: msOrNull } },
    },
    profiles: { type: 'array', items: { type: 'object', additionalProperties: true }, description: 'The engine profile used for each GPU (docs/planner.md).' },
    assumptions: strings,
  },
} as const;
const planResponses = {
  200: {
    description: 'The plan: JSON (`format=json`), markdown (`md`) or the standalone HTML report `cosyfleet plan --format html` writes (`html`).',
    content: {
      'application/json': { schema: planResultSchema },
      'text/markdown': { schema: { type: 'string' } },
      'text/html': { schema: { type: 'string' } },
    },
  },
};
/** Problems quoted in one 400 (a body of a million unknown keys must not echo them all). */
const MAX_PROBLEMS_QUOTED = 10;

function invalidWorkload(problems: readonly string[]): AppError {
  const first = problems[0] ?? 'workload: invalid';
  const param = first.includes(':') ? first.slice(0, first.indexOf(':')).trim() : null;
  const quoted = problems.slice(0, MAX_PROBLEMS_QUOTED).join('; ');
  const more = problems.length > MAX_PROBLEMS_QUOTED ? `; and ${problems.length - MAX_PROBLEMS_QUOTED} more` : '';
  return new AppError('invalid_value', `Invalid workload: ${quoted}${more}`, { param });
}

function runInWorker(job: PlanJob, signal: AbortSignal): Promise<PlanOutcome> {
  const worker = spawnModuleWorker(import.meta.url, '../planner/plan-worker', job);
  const outcome = new Promise<PlanOutcome>((resolve, reject) => {
    const stop = () => void worker.terminate();
    signal.addEventListener('abort', stop, { once: true });
    worker.once('message', (outcome: PlanOutcome) => resolve(outcome));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      signal.removeEventListener('abort', stop);
      reject(new Error(`planner worker exited with code ${code}`));
    });
  });
  return outcome.finally(() => void worker.terminate());
}

export const planRoutes: FastifyPluginAsync<AppContext> = async (app) => {
  let running = 0;
  app.post<{ Body: Record<string, unknown>; Querystring: { format?: 'json' | 'md' | 'html' } }>(
    '/v1/plan',
    {
      schema: {
        summary: 'Capacity and cost plan for a workload',
        description:
          'The body is a workload spec (the same fields as a `cosyfleet plan` workload file; see docs/planner.md). Simulates a month per instance type and strategy and recommends the cheapest plan that meets the SLO.',
        tags: ['planner'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { format: { type: 'string', enum: ['json', 'md', 'html'], default: 'json' } },
        },
        body: { type: 'object', description: 'Workload spec; validated field by field by the planner, within the bounds in docs/planner.md ("Input bounds").' },
        response: { ...planResponses, ...errorResponses(400, 429) },
      },
    },
    async (request, reply) => {
      let workload;
      try {
        workload = validateWorkload(request.body, 'body');
      } catch (err) {
        if (err instanceof PlannerInputError) throw invalidWorkload(err.problems);
        throw err;
      }
      if (running >= MAX_CONCURRENT_PLANS) {
        void reply.header('retry-after', '2');
        throw new AppError('planner_busy', `${MAX_CONCURRENT_PLANS} plans are already running; retry shortly.`);
      }
      running++;
      const abort = new AbortController();
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) abort.abort();
      });
      try {
        const outcome = await runInWorker({ workload, format: request.query.format ?? 'json' }, abort.signal);
        if (!outcome.ok) {
          // The planner's own refusals (an unknown engine, a region without prices).
          if ('problems' in outcome) throw invalidWorkload(outcome.problems);
          request.log.error({ planner: outcome.crash }, 'planner failed');
          throw new AppError('internal');
        }
        return reply.type(outcome.contentType).header('x-plan-recommended', String(outcome.recommended)).send(outcome.body);
      } finally {
        running--;
      }
    },
  );
};
