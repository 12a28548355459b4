// Logs every job that did not complete (the "logged job outcome" of a truncated stream, a
// deadline expiry, a crash that could not be hidden) and every admission refusal, with the
// request id so the line joins the request's own log.
import type { Logger } from 'pino';
import type { SchedulerObserver } from './job.js';

export function logObserver(log: Logger, engine: string): SchedulerObserver {
  return {
    rejected: (reason, info) => log.info({ engine, reason, estimatedWaitMs: Math.round(info.estimatedWaitMs), retryAfterSeconds: info.retryAfterSeconds }, 'job refused at admission'),
    retried: (job, error) => log.warn({ engine, jobId: job.id, reqId: job.requestId, retries: job.retries, err: error }, 'segment failed retryably (worker lost, or a retryable worker fault) before it sent audio; retrying it'),
    settled: (job) => {
      const fields = {
        engine,
        jobId: job.id,
        reqId: job.requestId,
        outcome: job.outcome,
        code: job.errorCode,
        priority: job.priority,
        segments: job.segments,
        segmentsDone: job.segmentsDone,
        retries: job.retries,
        waitMs: job.startedAt === null ? null : Math.round(job.startedAt - job.admittedAt),
        totalMs: job.finishedAt === null ? null : Math.round(job.finishedAt - job.admittedAt),
        // The engine's own time on the job's segments (the rest of totalMs is waiting and joins).
        engineMs: Math.round(job.engineMs * 10) / 10,
      };
      if (job.outcome === 'completed') log.debug(fields, 'job finished');
      else if (job.outcome === 'cancelled') log.info(fields, 'job finished');
      else log.warn(fields, 'job finished');
    },
  };
}
