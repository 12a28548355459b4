// Usage in PostgreSQL (migration namespace 'usage'), the same semantics as SqliteUsageStore;
// every node writes here, so per-day and per-month quotas count a key's use on all of them.
import type { DailyUsage, UsageRecord, UsageStore, UsageTotals } from '../usage/usage-store.js';
import { migrate, type PgMigration, type PgPool } from './postgres.js';

export const PG_USAGE_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    description: 'usage per request, idle cost',
    up: async (client) => {
      await client.query(`
        CREATE TABLE usage_requests (
          request_id TEXT PRIMARY KEY,
          tenant TEXT NOT NULL,
          key_id TEXT NOT NULL,
          route TEXT NOT NULL,
          at TEXT NOT NULL,
          day TEXT NOT NULL,
          characters BIGINT NOT NULL,
          audio_seconds DOUBLE PRECISION NOT NULL,
          engine_seconds DOUBLE PRECISION NOT NULL,
          outcome TEXT NOT NULL,
          cost_usd DOUBLE PRECISION NOT NULL DEFAULT 0
        );
        CREATE INDEX usage_tenant_day ON usage_requests (tenant, day);
        CREATE INDEX usage_key_at ON usage_requests (key_id, at);
        CREATE TABLE usage_idle (
          at TEXT PRIMARY KEY,
          day TEXT NOT NULL,
          cost_usd DOUBLE PRECISION NOT NULL
        );
      `);
    },
  },
];

const num = (v: unknown) => Number(v ?? 0);

export class PgUsageStore implements UsageStore {
  private constructor(private readonly pool: PgPool) {}

  static async open(pool: PgPool): Promise<PgUsageStore> {
    await migrate(pool, 'usage', PG_USAGE_MIGRATIONS);
    return new PgUsageStore(pool);
  }

  async record(e: UsageRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO usage_requests (request_id, tenant, key_id, route, at, day, characters, audio_seconds, engine_seconds, outcome)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (request_id) DO UPDATE SET characters = usage_requests.characters + excluded.characters,
         audio_seconds = usage_requests.audio_seconds + excluded.audio_seconds, engine_seconds = usage_requests.engine_seconds + excluded.engine_seconds,
         at = excluded.at, outcome = excluded.outcome`,
      [e.requestId, e.tenant, e.keyId, e.route, e.at, e.at.slice(0, 10), e.characters, e.audioSeconds, e.engineSeconds, e.outcome],
    );
  }

  async addCost(costs: readonly { requestId: string; costUsd: number }[]): Promise<void> {
    if (costs.length === 0) return;
    await this.pool.query(
      'UPDATE usage_requests AS u SET cost_usd = u.cost_usd + c.cost FROM unnest($1::text[], $2::float8[]) AS c(id, cost) WHERE u.request_id = c.id',
      [costs.map((c) => c.requestId), costs.map((c) => c.costUsd)],
    );
  }

  async addIdle(at: string, costUsd: number): Promise<void> {
    await this.pool.query('INSERT INTO usage_idle (at, day, cost_usd) VALUES ($1, $2, $3) ON CONFLICT (at) DO UPDATE SET cost_usd = usage_idle.cost_usd + excluded.cost_usd', [at, at.slice(0, 10), costUsd]);
  }

  async daily(from: string, to: string, tenant?: string): Promise<DailyUsage[]> {
    const { rows } = await this.pool.query<Record<string, unknown>>(
      `SELECT tenant, day, COUNT(*) AS requests, SUM(characters) AS characters, SUM(audio_seconds) AS audio_seconds,
              SUM(engine_seconds) AS engine_seconds, SUM(cost_usd) AS cost_usd
       FROM usage_requests WHERE day >= $1 AND day <= $2 ${tenant === undefined ? '' : 'AND tenant = $3'}
       GROUP BY tenant, day ORDER BY day, tenant`,
      tenant === undefined ? [from, to] : [from, to, tenant],
    );
    return rows.map((r) => ({
      tenant: String(r.tenant),
      day: String(r.day),
      requests: num(r.requests),
      characters: num(r.characters),
      audioSeconds: num(r.audio_seconds),
      engineSeconds: num(r.engine_seconds),
      costUsd: num(r.cost_usd),
    }));
  }

  async idle(from: string, to: string): Promise<{ day: string; costUsd: number }[]> {
    const { rows } = await this.pool.query<{ day: string; cost_usd: unknown }>('SELECT day, SUM(cost_usd) AS cost_usd FROM usage_idle WHERE day >= $1 AND day <= $2 GROUP BY day ORDER BY day', [from, to]);
    return rows.map((r) => ({ day: r.day, costUsd: num(r.cost_usd) }));
  }

  async keyTotals(keyId: string, since: string): Promise<UsageTotals> {
    const { rows } = await this.pool.query<Record<string, unknown>>(
      'SELECT COUNT(*) AS requests, COALESCE(SUM(characters), 0) AS characters, COALESCE(SUM(audio_seconds), 0) AS audio_seconds FROM usage_requests WHERE key_id = $1 AND at >= $2',
      [keyId, since],
    );
    const r = rows[0] ?? {};
    return { requests: num(r.requests), characters: num(r.characters), audioSeconds: num(r.audio_seconds) };
  }

  async get(requestId: string): Promise<(UsageRecord & { costUsd: number }) | null> {
    const { rows } = await this.pool.query<Record<string, unknown>>('SELECT * FROM usage_requests WHERE request_id = $1', [requestId]);
    const r = rows[0];
    if (!r) return null;
    return {
      requestId: String(r.request_id),
      tenant: String(r.tenant),
      keyId: String(r.key_id),
      route: String(r.route),
      at: String(r.at),
      characters: num(r.characters),
      audioSeconds: num(r.audio_seconds),
      engineSeconds: num(r.engine_seconds),
      outcome: String(r.outcome),
      costUsd: num(r.cost_usd),
    };
  }
}
