// Schema migrations on a real PostgreSQL: several nodes starting at once on a fresh database
// (each step applied exactly once, every node ready afterwards), a failing step rolled back, and
// a database newer than the code refused.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PG_KEY_MIGRATIONS } from '../../src/storage/pg-key-store.js';
import { PG_LEXICON_MIGRATIONS } from '../../src/storage/pg-lexicon-store.js';
import { PG_VOICE_MIGRATIONS } from '../../src/storage/pg-voice-store.js';
import { currentVersion, migrate, openPool, type PgMigration } from '../../src/storage/postgres.js';
import { openStores } from '../../src/storage/stores.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';

const V1: PgMigration = { version: 1, description: 'items', up: async (c) => void (await c.query('CREATE TABLE items (id TEXT PRIMARY KEY)')) };
const V2: PgMigration = { version: 2, description: 'item names', up: async (c) => void (await c.query('ALTER TABLE items ADD COLUMN name TEXT')) };

describe('PostgreSQL migrations', () => {
  let postgres: TestPostgres;
  before(async () => {
    postgres = await startPostgres();
  });
  after(async () => {
    await postgres.stop();
  });

  it('two pools migrating one fresh database at once both succeed; each step runs once', async () => {
    const url = await postgres.createDatabase();
    const pools = [openPool(url), openPool(url)];
    try {
      // Had both run the steps, the second CREATE TABLE would fail and a version would be recorded twice.
      const applied = await Promise.all(pools.map((p) => migrate(p, 'a', [V1, V2])));
      assert.deepEqual(applied.flat().sort(), [1, 2], `steps applied: ${JSON.stringify(applied)}`);
      const { rows } = await (pools[0] as (typeof pools)[0]).query<{ version: number; description: string }>(
        "SELECT version, description FROM schema_migrations WHERE namespace = 'a' ORDER BY version",
      );
      assert.deepEqual(rows, [
        { version: 1, description: 'items' },
        { version: 2, description: 'item names' },
      ]);
      for (const p of pools) assert.deepEqual(await migrate(p, 'a', [V1, V2]), [], 'nothing left to do');
      await (pools[1] as (typeof pools)[1]).query("INSERT INTO items (id, name) VALUES ('x', 'y')");
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('three services opening every store at once on a fresh database all get the full schema', async () => {
    const url = await postgres.createDatabase();
    const opened = await Promise.all([1, 2, 3].map(() => openStores({ dataDir: '/nonexistent', databaseUrl: url })));
    try {
      assert.deepEqual(opened.map((s) => s.kind), ['postgres', 'postgres', 'postgres']);
      const pool = openPool(url);
      try {
        assert.equal(await currentVersion(pool, 'voices'), PG_VOICE_MIGRATIONS.length);
        assert.equal(await currentVersion(pool, 'lexicon'), PG_LEXICON_MIGRATIONS.length);
        assert.equal(await currentVersion(pool, 'keys'), PG_KEY_MIGRATIONS.length);
        // Every namespace (other stores' too): steps 1..n, each recorded once.
        const { rows } = await pool.query<{ namespace: string; n: number; top: number }>(
          'SELECT namespace, COUNT(*)::int AS n, MAX(version) AS top FROM schema_migrations GROUP BY namespace',
        );
        for (const r of rows) assert.equal(r.n, r.top, `namespace ${r.namespace}: each step recorded once`);
      } finally {
        await pool.end();
      }
    } finally {
      await Promise.all(opened.map((s) => s.close()));
    }
  });

  it('rolls back a failing step, refuses a newer schema and gaps in the numbering', async () => {
    const url = await postgres.createDatabase();
    const pool = openPool(url);
    try {
      assert.equal(await currentVersion(pool, 'a'), 0, 'a database without schema_migrations is at 0');
      assert.deepEqual(await migrate(pool, 'a', [V1]), [1]);
      const broken: PgMigration = {
        version: 2,
        description: 'broken',
        up: async (c) => {
          await c.query('CREATE TABLE half (x INTEGER)');
          await c.query('NOT SQL');
        },
      };
      await assert.rejects(migrate(pool, 'a', [V1, broken]), /syntax error/);
      assert.equal(await currentVersion(pool, 'a'), 1);
      const { rows } = await pool.query<{ t: string | null }>("SELECT to_regclass('half') AS t");
      assert.equal(rows[0]?.t, null, 'the failed step left nothing behind');

      assert.deepEqual(await migrate(pool, 'a', [V1, V2]), [2]);
      await assert.rejects(migrate(pool, 'a', [V1]), /schema "a" is at version 2, newer than this cosyfleet \(1\); upgrade cosyfleet/);
      await assert.rejects(migrate(pool, 'c', [V2]), /without gaps/);
      assert.deepEqual(await migrate(pool, 'b', []), [], 'namespaces are apart');
      // The lock was released after each refusal: another migration still goes through.
      assert.deepEqual(await migrate(pool, 'b', [V1].map((m) => ({ ...m, up: async (c) => void (await c.query('CREATE TABLE b_items (id TEXT)')) }))), [1]);
    } finally {
      await pool.end();
    }
  });

  it('a service refuses to start on a database a newer cosyfleet migrated', async () => {
    const url = await postgres.createDatabase();
    const first = await openStores({ dataDir: '/nonexistent', databaseUrl: url });
    await first.close();
    const pool = openPool(url);
    try {
      await pool.query("INSERT INTO schema_migrations (namespace, version, description, applied_at) VALUES ('lexicon', $1, 'from the future', 'x')", [
        PG_LEXICON_MIGRATIONS.length + 1,
      ]);
    } finally {
      await pool.end();
    }
    await assert.rejects(openStores({ dataDir: '/nonexistent', databaseUrl: url }), /schema "lexicon" is at version \d+, newer than this cosyfleet/);
  });
});
