// Worker-thread entry for POST /v1/plan: a month-long simulation is about a second of pure
// CPU, which must not stall the HTTP event loop. Receives a workload the route has validated,
// answers with the rendered report or the planner's refusals (unknown engine, unpriced region).
import { parentPort, workerData } from 'node:worker_threads';
import type { Workload } from './workload.js';
import { plan } from './plan.js';
import { renderHtml, renderJson, renderMarkdown } from './report.js';
import { PlannerInputError } from './validate.js';

export interface PlanJob {
  workload: Workload;
  format: 'json' | 'md' | 'html';
}

export type PlanOutcome =
  | { ok: true; body: string; contentType: string; recommended: boolean }
  | { ok: false; problems: readonly string[] }
  | { ok: false; crash: string };

async function run(job: PlanJob): Promise<PlanOutcome> {
  try {
    const result = plan({ workload: job.workload });
    const recommended = result.recommendation !== null;
    if (job.format === 'json') return { ok: true, body: renderJson(result), contentType: 'application/json; charset=utf-8', recommended };
    if (job.format === 'md') return { ok: true, body: renderMarkdown(result), contentType: 'text/markdown; charset=utf-8', recommended };
    const { renderCharts } = await import('./charts.js');
    return { ok: true, body: renderHtml(result, await renderCharts(result)), contentType: 'text/html; charset=utf-8', recommended };
  } catch (err) {
    if (err instanceof PlannerInputError) return { ok: false, problems: err.problems };
    return { ok: false, crash: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
}

if (parentPort) {
  const port = parentPort;
  void run(workerData as PlanJob).then((outcome) => port.postMessage(outcome));
}
