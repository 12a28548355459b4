// Long-form jobs as the API sees them: create (a planned text, stored, then queued), read, list,
// cancel, and the JSON a client gets. HTTP-agnostic: the routes are src/http/jobs.ts; the work is
// src/jobs/runner.ts, started by a JobQueue.
import { AppError } from '../errors/app-error.js';
import type { Principal } from '../accounts/principal.js';
import type { OutputService } from '../outputs/service.js';
import type { TextPlan } from '../services/synthesis.js';
import type { JobRecord, JobStore } from './job-store.js';
import { isJobId, newJobId } from './ids.js';
import { jobPlanOf } from './plan.js';
import type { JobQueue } from './queue.js';
import type { JobRunner } from './runner.js';
import { newWebhookSecret } from './webhook.js';

export const MAX_JOB_LIST_LIMIT = 100;

export interface JobServiceOptions {
  readonly store: JobStore;
  readonly queue: JobQueue;
  readonly runner: JobRunner;
  readonly outputs: OutputService;
}

/** A job as GET /v1/jobs/{id} shows it (and webhooks carry it). */
export interface JobView {
  readonly id: string;
  readonly object: 'job';
  readonly status: JobRecord['status'];
  readonly progress: { readonly segmentsDone: number; readonly segmentsTotal: number; readonly percent: number; readonly audioSeconds: number };
  readonly characters: number;
  readonly voice: string;
  readonly format: string;
  readonly language: string;
  readonly warnings: readonly unknown[];
  readonly attempts: number;
  readonly output: { readonly id: string; readonly url: string | null } | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly webhook: { readonly url: string; readonly state: JobRecord['webhookState']; readonly attempts: number } | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

export class JobService {
  constructor(private readonly options: JobServiceOptions) {}

  /** Stores the planned job and queues it; the secret signs its webhook and is shown only now. */
  async create(principal: Principal, plan: TextPlan, characters: number, webhookUrl: string | null): Promise<{ record: JobRecord; webhookSecret: string | null }> {
    const now = new Date().toISOString();
    const webhookSecret = webhookUrl ? newWebhookSecret() : null;
    const record: JobRecord = {
      id: newJobId(),
      tenant: principal.tenant,
      keyId: principal.keyId,
      status: 'queued',
      plan: JSON.stringify(jobPlanOf(plan)),
      characters,
      segmentsTotal: plan.segments.length,
      segmentsDone: 0,
      audioSeconds: 0,
      attempts: 0,
      outputId: null,
      errorCode: null,
      errorMessage: null,
      webhookUrl,
      webhookSecret,
      webhookState: 'none',
      webhookAttempts: 0,
      createdAt: now,
      updatedAt: now,
      startedAt: null,
      finishedAt: null,
    };
    await this.options.store.create(record);
    await this.options.queue.addRun(record.id);
    return { record, webhookSecret };
  }

  /** The tenant's job; 404 job_not_found for a malformed id or another tenant's. */
  async get(tenant: string, id: string): Promise<JobRecord> {
    const record = isJobId(id) ? await this.options.store.get(tenant, id) : null;
    if (!record) throw notFound(id);
    return record;
  }

  async list(tenant: string, limit: number, after?: string): Promise<{ data: JobRecord[]; hasMore: boolean }> {
    let before: JobRecord | undefined;
    if (after !== undefined) {
      before = isJobId(after) ? ((await this.options.store.get(tenant, after)) ?? undefined) : undefined;
      if (!before) throw new AppError('invalid_value', `after must be the id of one of your jobs (the last id of the previous page); "${after}" is not.`, { param: 'after' });
    }
    const rows = await this.options.store.list(tenant, { limit: limit + 1, ...(before ? { before } : {}) });
    return { data: rows.slice(0, limit), hasMore: rows.length > limit };
  }

  /** Cancels a queued or running job (409 job_finished when it has already ended). */
  async cancel(tenant: string, id: string): Promise<JobRecord> {
    if (!isJobId(id)) throw notFound(id);
    const before = await this.options.store.get(tenant, id);
    if (!before) throw notFound(id);
    const after = await this.options.store.cancel(tenant, id, new Date().toISOString());
    if (!after) throw notFound(id);
    if (after.status !== 'cancelled' || before.status === 'cancelled') {
      throw new AppError('job_finished', `The job has already ${after.status === 'cancelled' ? 'been cancelled' : after.status}; only a queued or running job can be cancelled.`, { param: 'id' });
    }
    // Here the segment in flight stops at once; on another node at its next segment.
    this.options.runner.cancelLocal(id);
    if (after.webhookState === 'pending') await this.options.queue.addWebhook(id, new Date());
    return after;
  }

  async view(record: JobRecord): Promise<JobView> {
    const plan = JSON.parse(record.plan) as { voice: string; format: string; language: string; warnings: unknown[] };
    let output: JobView['output'] = null;
    if (record.outputId) {
      const stored = await this.options.outputs.get(record.tenant, record.outputId).catch(() => null);
      output = { id: record.outputId, url: stored ? await this.options.outputs.url(stored) : null };
    }
    return {
      id: record.id,
      object: 'job',
      status: record.status,
      progress: {
        segmentsDone: record.segmentsDone,
        segmentsTotal: record.segmentsTotal,
        percent: record.segmentsTotal === 0 ? 100 : Math.floor((100 * record.segmentsDone) / record.segmentsTotal),
        audioSeconds: Math.round(record.audioSeconds * 1000) / 1000,
      },
      characters: record.characters,
      voice: plan.voice,
      format: plan.format,
      language: plan.language,
      warnings: plan.warnings,
      attempts: record.attempts,
      output,
      error: record.errorCode ? { code: record.errorCode, message: record.errorMessage ?? '' } : null,
      webhook: record.webhookUrl ? { url: record.webhookUrl, state: record.webhookState, attempts: record.webhookAttempts } : null,
      createdAt: record.createdAt,
      startedAt: record.startedAt,
      finishedAt: record.finishedAt,
    };
  }
}

function notFound(id: string): AppError {
  return new AppError('job_not_found', `No job "${id}".`, { param: 'id' });
}
