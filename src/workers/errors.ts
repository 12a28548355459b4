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

/** The AppError a lost worker becomes for the pipeline (502, retryable), keeping the cause. */
export function workerLost(workerId: string, reason: string): AppError {
  const cause = new WorkerLostError(workerId, reason);
  return new AppError('engine_failed', `The synthesis worker failed (${reason}).`, { cause });
}

/** True when the error (or one of its causes) says the worker died under the segment. */
export function isWorkerLost(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof WorkerLostError) return true;
  }
  return false;
}
