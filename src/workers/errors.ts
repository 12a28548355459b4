// The error an out-of-process engine raises when the worker running a segment died (crash,
// kill -9, OOM) or was stopped before the segment finished. The scheduler retries such a segment
// on another worker when none of its audio has reached the client yet.
import { AppError } from '../errors/app-error.js';

export class WorkerLostError extends Error {
  constructor(
    readonly workerId: string,
    readonly reason: string,
  ) {
    super(`worker ${workerId} was lost (${reason}) during synthesis`);
    this.name = 'WorkerLostError';
  }
}

/**
 * A segment the worker itself failed but says may succeed when run again: CUDA out of memory,
 * NaN or silent output (the fp16 failure). Retried like a lost worker's segment.
 */
export class WorkerFaultError extends Error {
  constructor(
    readonly workerId: string,
    readonly code: string,
    message: string,
  ) {
    super(`worker ${workerId}: ${code}: ${message}`);
    this.name = 'WorkerFaultError';
  }
}

/** The AppError a retryable worker fault becomes (502, retryable), keeping the cause. */
export function workerFault(workerId: string, code: string, message: string): AppError {
  return new AppError('engine_failed', `The synthesis worker failed (${code}): ${message}`, { cause: new WorkerFaultError(workerId, code, message) });
}

/** The AppError a lost worker becomes for the pipeline (502, retryable), keeping the cause. */
export function workerLost(workerId: string, reason: string): AppError {
  const cause = new WorkerLostError(workerId, reason);
  return new AppError('engine_failed', `The synthesis worker failed (${reason}).`, { cause });
}

/** True when the error (or one of its causes) says the segment may run again: its worker died, or reported a retryable fault. */
export function isRetryableWorkerFailure(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof WorkerLostError || e instanceof WorkerFaultError) return true;
  }
  return false;
}
