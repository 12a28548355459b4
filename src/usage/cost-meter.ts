// What each request really cost: the instance is paid by the second whether it works or not,
// so every closed minute's price is split over the requests that finished in it, in proportion
// to the engine time each took. A minute in which nothing finished is idle cost, kept apart.
// Over any span the requests' costs plus the idle cost add up to the instance's price for it,
// which is the point: the bill, divided by who caused it.
import type { UsageStore } from './usage-store.js';

const MINUTE_MS = 60_000;

interface Pending {
  requestId: string;
  tenant: string;
  engineSeconds: number;
}

/** The tenant idle minutes are attributed to in metrics. */
export const IDLE_TENANT = '_idle';

export class CostMeter {
  private readonly minutes = new Map<number, Pending[]>();
  /** Start of the first minute not yet closed (ms since the epoch). */
  private openFrom: number;
  private timer: NodeJS.Timeout | undefined;
  private closing: Promise<void> = Promise.resolve();

  constructor(
    private readonly usage: UsageStore,
    /** $/hour of this node's instance; null: unknown, nothing is attributed. */
    readonly usdPerHour: number | null,
    private readonly now: () => number = Date.now,
    /** Told of every attribution (metrics). */
    private readonly onAttributed: (tenant: string, usd: number) => void = () => undefined,
  ) {
    this.openFrom = now();
  }

  /** A request finished now having taken `engineSeconds` of engine time. */
  finished(requestId: string, tenant: string, engineSeconds: number): void {
    if (this.usdPerHour === null) return;
    const minute = Math.floor(this.now() / MINUTE_MS);
    const list = this.minutes.get(minute);
    const entry = { requestId, tenant, engineSeconds: Math.max(0, engineSeconds) };
    if (list) list.push(entry);
    else this.minutes.set(minute, [entry]);
  }

  /**
   * Closes every whole minute before `until` (default: now) and writes its attribution; with
   * `partial`, also the minute `until` falls in, up to `until` (at shutdown).
   */
  close(until = this.now(), partial = false): Promise<void> {
    this.closing = this.closing.then(() => this.closeMinutes(until, partial));
    return this.closing;
  }

  /** Closes minutes once a minute until stop(). */
  start(): void {
    this.timer = setInterval(() => void this.close().catch(() => undefined), MINUTE_MS);
    this.timer.unref();
  }

  /** Stops the timer and closes everything up to now, the current partial minute included. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.close(this.now(), true);
  }

  private async closeMinutes(until: number, partial: boolean): Promise<void> {
    if (this.usdPerHour === null) return;
    // Minutes before `last` are whole and past; with `partial`, `last` itself up to `until`.
    const last = Math.floor(until / MINUTE_MS) + (partial ? 1 : 0);
    for (let m = Math.floor(this.openFrom / MINUTE_MS); m < last; m++) {
      const from = Math.max(this.openFrom, m * MINUTE_MS);
      const to = Math.min((m + 1) * MINUTE_MS, until);
      const usd = (this.usdPerHour * Math.max(0, to - from)) / 3_600_000;
      const list = this.minutes.get(m) ?? [];
      this.minutes.delete(m);
      const engine = list.reduce((s, e) => s + e.engineSeconds, 0);
      if (engine > 0) {
        const shares = list.filter((e) => e.engineSeconds > 0).map((e) => ({ requestId: e.requestId, tenant: e.tenant, costUsd: (usd * e.engineSeconds) / engine }));
        await this.usage.addCost(shares);
        for (const s of shares) this.onAttributed(s.tenant, s.costUsd);
      } else if (usd > 0) {
        await this.usage.addIdle(new Date(m * MINUTE_MS).toISOString(), usd);
        this.onAttributed(IDLE_TENANT, usd);
      }
      this.openFrom = to;
    }
  }
}
