// What can go wrong talking to a remote server, classified once so that the retry rule (retry an
// idempotent call that failed before any audio, never one the remote refused) and the mapping to
// the error catalog live in one place. Messages carry the remote's own words, minus secrets.
import { AppError } from '../../errors/app-error.js';

export type FailureKind =
  /** No connection (refused, DNS, reset before a response): the server is down or unreachable. */
  | 'unreachable'
  /** Connected, but the first audio (or the next piece) did not come in time. */
  | 'timeout'
  /** The remote answered with an error status; `retryable` says whether it was its own fault. */
  | 'status'
  /** The remote broke the protocol (truncated stream, malformed message). */
  | 'protocol';

export class RemoteFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    /** Worth another attempt when nothing has reached the client yet. */
    readonly retryable: boolean,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RemoteFailure';
  }
}

const MAX_MESSAGE = 300;

/** A remote's message made safe to show: secrets removed, control characters flattened, bounded. */
export function scrub(message: string, secrets: readonly string[] = []): string {
  let out = message;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  out = Array.from(out, (c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? ' ' : c)).join('').replace(/ {2,}/g, ' ').trim();
  return out.length > MAX_MESSAGE ? `${out.slice(0, MAX_MESSAGE)}…` : out;
}

/**
 * The AppError a client sees. Every remote failure is retryable for the client (502/503): the
 * server may be back, or the segment may succeed on a later try. `unreachable` before any audio
 * is engine_unavailable (the server is down), everything else engine_failed.
 */
export function toAppError(engine: string, error: RemoteFailure, afterAudio: boolean): AppError {
  const when = afterAudio ? ' after part of the audio was sent' : '';
  if (error.kind === 'unreachable' && !afterAudio) {
    return new AppError('engine_unavailable', `The ${engine} engine's server is unreachable: ${error.message}`, { cause: error });
  }
  return new AppError('engine_failed', `The ${engine} engine's server failed${when}: ${error.message}`, { cause: error });
}

/** Node's socket errors that mean "no server there" rather than "the server broke". */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/** Classifies an error from node:http / the socket layer. */
export function fromSocketError(err: unknown): RemoteFailure {
  if (err instanceof RemoteFailure) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && UNREACHABLE_CODES.has(e.code)) return new RemoteFailure('unreachable', e.message || e.code, true, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new RemoteFailure('protocol', message || 'connection closed', true, { cause: err });
}
