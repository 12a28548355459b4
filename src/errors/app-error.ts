import { ERRORS, type ErrorCode } from './catalog.js';

/** An error whose code is in the catalog; the only kind the HTTP layer shows to clients. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  /** The request field the error is about (dotted path), when there is one. */
  readonly param: string | null;
  /** Seconds a client should wait before retrying (sent as Retry-After; 429 and some 503s). */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message?: string, options: { param?: string | null; cause?: unknown; retryAfterSeconds?: number } = {}) {
    const spec = ERRORS[code];
    super(message ?? spec.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = spec.status;
    this.retryable = spec.retryable;
    this.param = options.param ?? null;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  toJSON(): { error: { code: ErrorCode; message: string; param: string | null } } {
    return { error: { code: this.code, message: this.message, param: this.param } };
  }
}

/** Normalizes any thrown value into an Error (graphile-worker's rule: never pass on a non-Error). */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new Error(value);
  try {
    return new Error(`Non-error thrown: ${JSON.stringify(value)}`);
  } catch {
    return new Error(`Non-error thrown: ${String(value)}`);
  }
}

export function isAbortError(value: unknown): boolean {
  return value instanceof Error && (value.name === 'AbortError' || (value instanceof AppError && value.code === 'cancelled'));
}
