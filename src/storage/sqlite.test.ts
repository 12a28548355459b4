import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { currentVersion, migrate, openDatabase, type Migration } from './sqlite.js';

const V1: Migration = { version: 1, description: 'items', up: (db) => db.exec('CREATE TABLE items (id TEXT PRIMARY KEY)') };
const V2: Migration = { version: 2, description: 'item names', up: (db) => db.exec('ALTER TABLE items ADD COLUMN name TEXT') };

describe('sqlite migrations', () => {
  it('applies pending steps once, per namespace, and survives reopening', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cosyfleet-db-'));
    try {
      const path = join(dir, 'nested', 'meta.db');
      let db = openDatabase(path);
      assert.deepEqual(migrate(db, 'a', [V1]), [1]);
      assert.deepEqual(migrate(db, 'a', [V1]), []);
      assert.deepEqual(migrate(db, 'b', []), []);
      db.close();
      db = openDatabase(path);
      assert.deepEqual(migrate(db, 'a', [V2, V1]), [2]);
      db.prepare('INSERT INTO items (id, name) VALUES (?, ?)').run('x', 'y');
      assert.equal(currentVersion(db, 'a'), 2);
      assert.equal(currentVersion(db, 'b'), 0);
      db.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rolls back a failing step and refuses a newer schema', () => {
    const db = openDatabase(':memory:');
    migrate(db, 'a', [V1]);
    const broken: Migration = { version: 2, description: 'broken', up: (d) => { d.exec('CREATE TABLE half (x)'); d.exec('NOT SQL'); } };
    assert.throws(() => migrate(db, 'a', [V1, broken]));
    assert.equal(currentVersion(db, 'a'), 1);
    assert.equal((db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'half'").get() as { n: number }).n, 0);
    assert.throws(() => migrate(db, 'a', []), /newer than this cosyfleet/);
    assert.throws(() => migrate(db, 'c', [V2]), /without gaps/);
  });
});
