// The lexicon in PostgreSQL (migration namespace 'lexicon'), the same semantics as
// SqliteLexiconStore. SQLite's checks hold because one process writes at a time; here several
// nodes do, so every write takes a transaction-scoped advisory lock on its owner first: the
// duplicate check, the count against maxEntries and the write then see every other node's
// committed writes for that owner (READ COMMITTED reads afresh per statement) and nothing can
// slip in between. Other owners are not held up.
import { isDuplicate, type LexiconEntry } from '../lexicon/entry.js';
import { foldTerm } from '../lexicon/matcher.js';
import { lexiconConflict, lexiconFull, type LexiconStore } from '../lexicon/store.js';
import { inTransaction, migrate, type PgClient, type PgMigration, type PgPool } from './postgres.js';
import { LEXICON_COLUMNS as COLUMNS, lexiconFromRow as fromRow, type LexiconRow as Row } from './sqlite-lexicon-store.js';

export const PG_LEXICON_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    description: 'lexicon entries',
    up: async (client) => {
      await client.query(`
        CREATE TABLE lexicon_entries (
          id TEXT PRIMARY KEY,
          seq BIGINT GENERATED ALWAYS AS IDENTITY,
          owner TEXT NOT NULL,
          term TEXT NOT NULL,
          -- foldTerm(term): candidates for the duplicate check are found by this key
          term_key TEXT NOT NULL,
          pronunciation TEXT NOT NULL,
          language TEXT,
          case_sensitive BOOLEAN NOT NULL,
          whole_word BOOLEAN NOT NULL,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL
        );
        CREATE INDEX lexicon_entries_owner_key ON lexicon_entries (owner, term_key);
        CREATE INDEX lexicon_entries_owner ON lexicon_entries (owner, seq);
      `);
    },
  },
  {
    version: 2,
    description: 'lexicon revisions',
    up: async (client) => {
      await client.query(`
        -- One counter per owner, bumped by every change, so compiled matchers (on every node) know when they are stale.
        CREATE TABLE lexicon_revisions (
          owner TEXT PRIMARY KEY,
          revision BIGINT NOT NULL
        );
      `);
    },
  },
];

/** The owner's write lock, held until the transaction ends (two int4 keys: apart from the migration lock's bigint key space). */
const lockOwner = (client: PgClient, owner: string) => client.query("SELECT pg_advisory_xact_lock(hashtext('cosyfleet lexicon'), hashtext($1))", [owner]);

const bump = (client: PgClient, owner: string) =>
  client.query('INSERT INTO lexicon_revisions (owner, revision) VALUES ($1, 1) ON CONFLICT (owner) DO UPDATE SET revision = lexicon_revisions.revision + 1', [owner]);

export class PgLexiconStore implements LexiconStore {
  private constructor(private readonly pool: PgPool) {}

  /** Migrates the 'lexicon' namespace of the pool's database to the latest version. */
  static async open(pool: PgPool): Promise<PgLexiconStore> {
    await migrate(pool, 'lexicon', PG_LEXICON_MIGRATIONS);
    return new PgLexiconStore(pool);
  }

  async list(owner: string, filter: { language?: string } = {}): Promise<LexiconEntry[]> {
    const { rows } =
      filter.language === undefined
        ? await this.pool.query<Row>(`SELECT ${COLUMNS} FROM lexicon_entries WHERE owner = $1 ORDER BY seq`, [owner])
        : await this.pool.query<Row>(`SELECT ${COLUMNS} FROM lexicon_entries WHERE owner = $1 AND language = $2 ORDER BY seq`, [owner, filter.language]);
    return rows.map(fromRow);
  }

  async get(owner: string, id: string): Promise<LexiconEntry | null> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM lexicon_entries WHERE owner = $1 AND id = $2`, [owner, id]);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async insert(entry: LexiconEntry, limits: { maxEntries: number }): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      await lockOwner(client, entry.owner);
      await assertNoDuplicate(client, entry);
      const { rows } = await client.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM lexicon_entries WHERE owner = $1', [entry.owner]);
      const n = rows[0]?.n ?? 0;
      if (n >= limits.maxEntries) throw lexiconFull(n);
      await client.query(
        `INSERT INTO lexicon_entries (id, owner, term, term_key, pronunciation, language, case_sensitive, whole_word, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [entry.id, entry.owner, entry.term, foldTerm(entry.term), entry.pronunciation, entry.language, entry.caseSensitive, entry.wholeWord, entry.createdAt, entry.updatedAt],
      );
      await bump(client, entry.owner);
    });
  }

  async replace(entry: LexiconEntry): Promise<LexiconEntry | null> {
    return inTransaction(this.pool, async (client): Promise<LexiconEntry | null> => {
      await lockOwner(client, entry.owner);
      const { rows } = await client.query<{ created_at: string }>('SELECT created_at FROM lexicon_entries WHERE owner = $1 AND id = $2', [entry.owner, entry.id]);
      const current = rows[0];
      if (!current) return null;
      const next: LexiconEntry = { ...entry, createdAt: current.created_at };
      await assertNoDuplicate(client, next);
      await client.query(
        `UPDATE lexicon_entries SET term = $1, term_key = $2, pronunciation = $3, language = $4, case_sensitive = $5, whole_word = $6, updated_at = $7
         WHERE owner = $8 AND id = $9`,
        [next.term, foldTerm(next.term), next.pronunciation, next.language, next.caseSensitive, next.wholeWord, next.updatedAt, next.owner, next.id],
      );
      await bump(client, entry.owner);
      return next;
    });
  }

  async delete(owner: string, id: string): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      await lockOwner(client, owner);
      const result = await client.query('DELETE FROM lexicon_entries WHERE owner = $1 AND id = $2', [owner, id]);
      if ((result.rowCount ?? 0) === 0) return false;
      await bump(client, owner);
      return true;
    });
  }

  async revision(owner: string): Promise<number> {
    const { rows } = await this.pool.query<{ revision: number }>('SELECT revision::float8 AS revision FROM lexicon_revisions WHERE owner = $1', [owner]);
    return rows[0]?.revision ?? 0;
  }
}

async function assertNoDuplicate(client: PgClient, entry: LexiconEntry): Promise<void> {
  const { rows } = await client.query<Row>(`SELECT ${COLUMNS} FROM lexicon_entries WHERE owner = $1 AND term_key = $2 ORDER BY seq`, [entry.owner, foldTerm(entry.term)]);
  const clash = rows.map(fromRow).find((other) => other.id !== entry.id && isDuplicate(other, entry));
  if (clash) throw lexiconConflict(clash);
}
