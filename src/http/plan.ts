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
import { PlannerInputError } from '../planner/validate.js';
import { validateWorkload } from '../planner/workload.js';
import { errorResponses } from './error-schema.js';
import type { AppContext } from './context.js';

const MAX_CONCURRENT_PLANS = 2;
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
        response: { ...errorResponses(400, 429) },
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
