// The instance's own drain, for when the instance itself is going away (spot interruption,
// scale-in): readiness turns red at once so the load balancer stops sending work, new work is
// refused with a retryable 503 (another instance answers the retry), and what was accepted runs
// to its end until the deadline the notice leaves. It never cuts a request itself: what is
// still running at the deadline is the process shutdown's to handle (server.ts).
import { AppError } from '../errors/app-error.js';

export interface DrainResult {
  readonly reason: string;
  /** finished: nothing was left in flight; deadline: the deadline came first. */
  readonly outcome: 'finished' | 'deadline';
  /** Requests still in flight when the drain ended (0 when finished). */
  readonly inFlight: number;
  /** When the instance goes away (the spot action's time), if the notice said. */
  readonly endsAt: number | null;
}

/** What a drain reports as it goes (tests show ordering with these; the log shows them too). */
export type DrainEvent =
  | { readonly type: 'unready'; readonly reason: string }
  | { readonly type: 'draining'; readonly reason: string; readonly deadlineAt: number; readonly inFlight: number }
  | ({ readonly type: 'drained' } & DrainResult);

/** Retry-After of refused work: a retry soon lands on another instance behind the balancer. */
export const REFUSAL_RETRY_AFTER_S = 1;

export class InstanceDrain {
  private unready: string | null = null;
  private active: { reason: string; deadlineAt: number; endsAt: number | null; timer: NodeJS.Timeout; done: Promise<DrainResult>; settle: (r: DrainResult) => void } | null = null;
  private ended = false;
  private running = 0;

  constructor(private readonly options: { readonly now?: () => number; readonly onEvent?: (event: DrainEvent) => void } = {}) {}

  /** Why readiness is red on this instance's account, or null. */
  get unreadyReason(): string | null {
    return this.active?.reason ?? this.unready;
  }

  /** Whether new work is refused. */
  get draining(): boolean {
    return this.active !== null;
  }

  /** Requests in flight (probes excluded by the caller). */
  get inFlight(): number {
    return this.running;
  }

  /** Counts a request until the returned function is called (once; later calls do nothing). */
  track(): () => void {
    this.running++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.running--;
      if (this.running === 0) this.finish('finished');
    };
  }

  /** Readiness red without a drain (a rebalance recommendation, by default). */
  markUnready(reason: string): void {
    if (this.unready !== null || this.active) return;
    this.unready = reason;
    this.options.onEvent?.({ type: 'unready', reason });
  }

  /**
   * Starts draining (or, when already draining, moves the deadline earlier if this one is).
   * Resolves when nothing is in flight any more, or at the deadline.
   */
  begin(reason: string, deadlineAt: number, endsAt: number | null = null): Promise<DrainResult> {
    const now = (this.options.now ?? Date.now)();
    if (this.active) {
      if (deadlineAt < this.active.deadlineAt) {
        clearTimeout(this.active.timer);
        this.active.deadlineAt = deadlineAt;
        this.active.endsAt = endsAt ?? this.active.endsAt;
        this.active.reason = reason;
        this.active.timer = this.deadlineTimer(deadlineAt - now);
      }
      return this.active.done;
    }
    let settle!: (r: DrainResult) => void;
    const done = new Promise<DrainResult>((resolve) => (settle = resolve));
    this.active = { reason, deadlineAt, endsAt, timer: this.deadlineTimer(deadlineAt - now), done, settle };
    this.options.onEvent?.({ type: 'draining', reason, deadlineAt, inFlight: this.running });
    if (this.running === 0) this.finish('finished');
    return done;
  }

  /** The error new work gets while draining, or null. */
  refusal(): AppError | null {
    if (!this.active) return null;
    return new AppError('instance_draining', `This instance is leaving service (${this.active.reason}) and takes no new work; retry after ${REFUSAL_RETRY_AFTER_S} s: another instance will answer.`, {
      retryAfterSeconds: REFUSAL_RETRY_AFTER_S,
    });
  }

  /** Stops the deadline timer (the app is closing). */
  close(): void {
    if (this.active) clearTimeout(this.active.timer);
  }

  private deadlineTimer(ms: number): NodeJS.Timeout {
    // Kept referenced: the drain's end must come even if nothing else is left to wait for.
    return setTimeout(() => this.finish('deadline'), Math.max(0, ms));
  }

  private finish(outcome: DrainResult['outcome']): void {
    const active = this.active;
    if (!active || this.ended) return;
    this.ended = true;
    clearTimeout(active.timer);
    const result: DrainResult = { reason: active.reason, outcome, inFlight: this.running, endsAt: active.endsAt };
    this.options.onEvent?.({ type: 'drained', ...result });
    active.settle(result);
  }
}
