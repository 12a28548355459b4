// Usage in the service's SQLite database (migration namespace 'usage').
import type { DailyUsage, UsageRecord, UsageStore, UsageTotals } from '../usage/usage-store.js';
import { migrate, type Migration, type SqliteDatabase } from './sqlite.js';

export const USAGE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'usage per request, idle cost',
    up: (db) =>
      db.exec(`
        CREATE TABLE usage_requests (
          request_id TEXT PRIMARY KEY,
          tenant TEXT NOT NULL,
          key_id TEXT NOT NULL,
          route TEXT NOT NULL,
          at TEXT NOT NULL,
          day TEXT NOT NULL,
          characters INTEGER NOT NULL,
          audio_seconds REAL NOT NULL,
          engine_seconds REAL NOT NULL,
          outcome TEXT NOT NULL,
          cost_usd REAL NOT NULL DEFAULT 0
        );
        CREATE INDEX usage_tenant_day ON usage_requests (tenant, day);
        CREATE INDEX usage_key_at ON usage_requests (key_id, at);
        CREATE TABLE usage_idle (
          at TEXT PRIMARY KEY,
          day TEXT NOT NULL,
          cost_usd REAL NOT NULL
        );
      `),
  },
];

interface RequestRow {
  request_id: string;
  tenant: string;
  key_id: string;
  route: string;
  at: string;
  characters: number;
  audio_seconds: number;
  engine_seconds: number;
  outcome: string;
  cost_usd: number;
}

export class SqliteUsageStore implements UsageStore {
  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'usage', USAGE_MIGRATIONS);
  }

  async record(e: UsageRecord): Promise<void> {
    // A request id seen again (a client reusing X-Request-Id) adds to its row rather than losing either.
    this.db
      .prepare(
        `INSERT INTO usage_requests (request_id, tenant, key_id, route, at, day, characters, audio_seconds, engine_seconds, outcome)
         VALUES (@requestId, @tenant, @keyId, @route, @at, @day, @characters, @audioSeconds, @engineSeconds, @outcome)
         ON CONFLICT (request_id) DO UPDATE SET characters = characters + excluded.characters, audio_seconds = audio_seconds + excluded.audio_seconds,
           engine_seconds = engine_seconds + excluded.engine_seconds, at = excluded.at, outcome = excluded.outcome`,
      )
      .run({ ...e, day: e.at.slice(0, 10) });
  }

  async addCost(costs: readonly { requestId: string; costUsd: number }[]): Promise<void> {
    const add = this.db.prepare('UPDATE usage_requests SET cost_usd = cost_usd + ? WHERE request_id = ?');
    this.db.transaction(() => {
      for (const c of costs) add.run(c.costUsd, c.requestId);
    })();
  }

  async addIdle(at: string, costUsd: number): Promise<void> {
    this.db.prepare('INSERT INTO usage_idle (at, day, cost_usd) VALUES (?, ?, ?) ON CONFLICT (at) DO UPDATE SET cost_usd = cost_usd + excluded.cost_usd').run(at, at.slice(0, 10), costUsd);
  }

  async daily(from: string, to: string, tenant?: string): Promise<DailyUsage[]> {
    const rows = this.db
      .prepare(
        `SELECT tenant, day, COUNT(*) AS requests, SUM(characters) AS characters, SUM(audio_seconds) AS audioSeconds,
                SUM(engine_seconds) AS engineSeconds, SUM(cost_usd) AS costUsd
         FROM usage_requests WHERE day >= ? AND day <= ? ${tenant === undefined ? '' : 'AND tenant = ?'}
         GROUP BY tenant, day ORDER BY day, tenant`,
      )
      .all(...(tenant === undefined ? [from, to] : [from, to, tenant])) as DailyUsage[];
    return rows;
  }

  async idle(from: string, to: string): Promise<{ day: string; costUsd: number }[]> {
    return this.db.prepare('SELECT day, SUM(cost_usd) AS costUsd FROM usage_idle WHERE day >= ? AND day <= ? GROUP BY day ORDER BY day').all(from, to) as { day: string; costUsd: number }[];
  }

  async keyTotals(keyId: string, since: string): Promise<UsageTotals> {
    const r = this.db
      .prepare('SELECT COUNT(*) AS requests, COALESCE(SUM(characters), 0) AS characters, COALESCE(SUM(audio_seconds), 0) AS audioSeconds FROM usage_requests WHERE key_id = ? AND at >= ?')
      .get(keyId, since) as UsageTotals;
    return r;
  }

  async get(requestId: string): Promise<(UsageRecord & { costUsd: number }) | null> {
    const r = this.db.prepare('SELECT * FROM usage_requests WHERE request_id = ?').get(requestId) as RequestRow | undefined;
    if (!r) return null;
    return {
      requestId: r.request_id,
      tenant: r.tenant,
      keyId: r.key_id,
      route: r.route,
      at: r.at,
      characters: r.characters,
      audioSeconds: r.audio_seconds,
      engineSeconds: r.engine_seconds,
      outcome: r.outcome,
      costUsd: r.cost_usd,
    };
  }
}
