// Keeps a remote engine's health() current: probes the server on an interval (each probe retried
// with backoff before it counts as a failure, like any idempotent call) and at once when a
// synthesis call finds the server unreachable. `/readyz` reflects the result.
import type { EngineHealth } from '../engine.js';
import { RemoteFailure } from './failure.js';

export interface RetryPolicy {
  readonly retries: number;
  readonly backoffMs: number;
}

/** Resolves after ms, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The delay before retry number `attempt` (1-based): backoff, doubling. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  return policy.backoffMs * 2 ** (attempt - 1);
}

/** A probe resolves when the remote can take work and throws (RemoteFailure) when it cannot. */
export type Probe = (signal: AbortSignal) => Promise<void>;

export class HealthMonitor {
  private state: EngineHealth = { ready: false, detail: 'not started' };
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly abort = new AbortController();
  private closed = false;
  /** Completed probe rounds (tests wait on it instead of on time). */
  rounds = 0;

  constructor(
    private readonly probe: Probe,
    private readonly options: RetryPolicy & { intervalMs: number; describe: string },
  ) {}

  /** Runs the first probe and schedules the next ones; never throws (health says what is wrong). */
  async start(): Promise<void> {
    await this.check();
    this.schedule();
  }

  health(): EngineHealth {
    return this.closed ? { ready: false, detail: 'closed' } : this.state;
  }

  /** Probe now (a call found the server unreachable); concurrent requests share one probe. */
  poke(): Promise<void> {
    return this.check();
  }

  close(): void {
    this.closed = true;
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      void this.check().then(() => this.schedule());
    }, this.options.intervalMs);
    this.timer.unref();
  }

  private check(): Promise<void> {
    this.running ??= this.attempt().finally(() => {
      this.running = null;
      this.rounds++;
    });
    return this.running;
  }

  private async attempt(): Promise<void> {
    const signal = this.abort.signal;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.probe(signal);
        if (!this.closed) this.state = { ready: true };
        return;
      } catch (err) {
        if (this.closed) return;
        if (attempt < this.options.retries) {
          try {
            await sleep(backoffDelay(this.options, attempt + 1), signal);
          } catch {
            return;
          }
          continue;
        }
        const why = err instanceof RemoteFailure || err instanceof Error ? err.message : String(err);
        this.state = { ready: false, detail: `${this.options.describe}: ${why}` };
        return;
      }
    }
  }
}
