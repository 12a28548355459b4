// Where usage lives: one row per synthesis request (who, how much, what it cost), and the cost of
// minutes in which the engine did nothing. Routes and quotas talk to this interface only, so the
// SQLite store gives way to PostgreSQL (DATABASE_URL) without touching them.

export interface UsageRecord {
  readonly requestId: string;
  readonly tenant: string;
  readonly keyId: string;
  readonly route: string;
  /** ISO 8601, when the request finished. */
  readonly at: string;
  /** Characters of the request's text as sent. */
  readonly characters: number;
  readonly audioSeconds: number;
  /** Engine (GPU) time its segments took. */
  readonly engineSeconds: number;
  /** completed, failed, cancelled, expired, truncated. */
  readonly outcome: string;
}

export interface DailyUsage {
  readonly tenant: string;
  /** YYYY-MM-DD (UTC). */
  readonly day: string;
  readonly requests: number;
  readonly characters: number;
  readonly audioSeconds: number;
  readonly engineSeconds: number;
  /** Dollars attributed so far (minutes not yet closed count when they close). */
  readonly costUsd: number;
}

export interface UsageTotals {
  readonly requests: number;
  readonly characters: number;
  readonly audioSeconds: number;
}

export interface UsageStore {
  record(entry: UsageRecord): Promise<void>;
  /** Adds attributed dollars to requests (a closed minute's share each). */
  addCost(costs: readonly { requestId: string; costUsd: number }[]): Promise<void>;
  /** Dollars of a closed minute in which the engine did no work. */
  addIdle(at: string, costUsd: number): Promise<void>;
  /** Per tenant and day, days in [from, to] (inclusive, YYYY-MM-DD); one tenant or all. */
  daily(from: string, to: string, tenant?: string): Promise<DailyUsage[]>;
  /** Idle dollars per day in [from, to]. */
  idle(from: string, to: string): Promise<{ day: string; costUsd: number }[]>;
  /** One key's totals since `since` (ISO 8601): what its day and month quotas count. */
  keyTotals(keyId: string, since: string): Promise<UsageTotals>;
  /** One request's row (null when none). */
  get(requestId: string): Promise<(UsageRecord & { costUsd: number }) | null>;
}
