// The lexicon in the service's SQLite database (migration namespace 'lexicon'). better-sqlite3
// is synchronous, so each check-then-write runs in one transaction with nothing interleaved:
// the duplicate and size checks cannot race another request.
import { isDuplicate, type LexiconEntry } from '../lexicon/entry.js';
import { foldTerm } from '../lexicon/matcher.js';
import { lexiconConflict, lexiconFull, type LexiconStore } from '../lexicon/store.js';
import { migrate, type Migration, type SqliteDatabase } from './sqlite.js';

export const LEXICON_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'lexicon entries',
    up: (db) =>
      db.exec(`
        CREATE TABLE lexicon_entries (
          id TEXT PRIMARY KEY,
          owner TEXT NOT NULL,
          term TEXT NOT NULL,
          -- foldTerm(term): candidates for the duplicate check are found by this key
          term_key TEXT NOT NULL,
          pronunciation TEXT NOT NULL,
          language TEXT,
          case_sensitive INTEGER NOT NULL CHECK (case_sensitive IN (0, 1)),
          whole_word INTEGER NOT NULL CHECK (whole_word IN (0, 1)),
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL
        );
        CREATE INDEX lexicon_entries_owner_key ON lexicon_entries (owner, term_key);
        CREATE INDEX lexicon_entries_owner ON lexicon_entries (owner, language);
      `),
  },
  {
    version: 2,
    description: 'lexicon revisions',
    up: (db) =>
      db.exec(`
        -- One counter per owner, bumped by every change, so compiled matchers know when they are stale.
        CREATE TABLE lexicon_revisions (
          owner TEXT PRIMARY KEY,
          revision INTEGER NOT NULL
        );
      `),
  },
];

/** A row of `lexicon_entries` (flags: 0/1 in SQLite, booleans in PostgreSQL; pg-lexicon-store.ts reuses it). */
export interface LexiconRow {
  id: string;
  owner: string;
  term: string;
  pronunciation: string;
  language: string | null;
  case_sensitive: number | boolean;
  whole_word: number | boolean;
  created_at: string;
  updated_at: string;
}

export const lexiconFromRow = (r: LexiconRow): LexiconEntry => ({
  id: r.id,
  owner: r.owner,
  term: r.term,
  pronunciation: r.pronunciation,
  language: r.language,
  caseSensitive: r.case_sensitive === 1 || r.case_sensitive === true,
  wholeWord: r.whole_word === 1 || r.whole_word === true,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toParams = (e: LexiconEntry) => ({
  id: e.id,
  owner: e.owner,
  term: e.term,
  term_key: foldTerm(e.term),
  pronunciation: e.pronunciation,
  language: e.language,
  case_sensitive: e.caseSensitive ? 1 : 0,
  whole_word: e.wholeWord ? 1 : 0,
  created_at: e.createdAt,
  updated_at: e.updatedAt,
});

export const LEXICON_COLUMNS = 'id, owner, term, pronunciation, language, case_sensitive, whole_word, created_at, updated_at';

function prepare(db: SqliteDatabase) {
  return {
    list: db.prepare(`SELECT ${LEXICON_COLUMNS} FROM lexicon_entries WHERE owner = ? ORDER BY rowid`),
    listLanguage: db.prepare(`SELECT ${LEXICON_COLUMNS} FROM lexicon_entries WHERE owner = ? AND language = ? ORDER BY rowid`),
    get: db.prepare(`SELECT ${LEXICON_COLUMNS} FROM lexicon_entries WHERE owner = ? AND id = ?`),
    byKey: db.prepare(`SELECT ${LEXICON_COLUMNS} FROM lexicon_entries WHERE owner = ? AND term_key = ?`),
    count: db.prepare('SELECT COUNT(*) AS n FROM lexicon_entries WHERE owner = ?'),
    insert: db.prepare(
      `INSERT INTO lexicon_entries (id, owner, term, term_key, pronunciation, language, case_sensitive, whole_word, created_at, updated_at)
       VALUES (@id, @owner, @term, @term_key, @pronunciation, @language, @case_sensitive, @whole_word, @created_at, @updated_at)`,
    ),
    update: db.prepare(
      `UPDATE lexicon_entries SET term = @term, term_key = @term_key, pronunciation = @pronunciation, language = @language,
         case_sensitive = @case_sensitive, whole_word = @whole_word, updated_at = @updated_at
       WHERE owner = @owner AND id = @id`,
    ),
    delete: db.prepare('DELETE FROM lexicon_entries WHERE owner = ? AND id = ?'),
    bump: db.prepare('INSERT INTO lexicon_revisions (owner, revision) VALUES (?, 1) ON CONFLICT (owner) DO UPDATE SET revision = revision + 1'),
    revision: db.prepare('SELECT revision FROM lexicon_revisions WHERE owner = ?'),
  };
}

export class SqliteLexiconStore implements LexiconStore {
  private readonly stmts: ReturnType<typeof prepare>;

  /** Migrates the 'lexicon' namespace of `db` (a handle from openDatabase) to the latest version. */
  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'lexicon', LEXICON_MIGRATIONS);
    this.stmts = prepare(db);
  }

  async list(owner: string, filter: { language?: string } = {}): Promise<LexiconEntry[]> {
    const rows = (filter.language === undefined ? this.stmts.list.all(owner) : this.stmts.listLanguage.all(owner, filter.language)) as LexiconRow[];
    return rows.map(lexiconFromRow);
  }

  async get(owner: string, id: string): Promise<LexiconEntry | null> {
    const row = this.stmts.get.get(owner, id) as LexiconRow | undefined;
    return row ? lexiconFromRow(row) : null;
  }

  async insert(entry: LexiconEntry, limits: { maxEntries: number }): Promise<void> {
    this.db.transaction(() => {
      this.assertNoDuplicate(entry);
      const { n } = this.stmts.count.get(entry.owner) as { n: number };
      if (n >= limits.maxEntries) throw lexiconFull(n);
      this.stmts.insert.run(toParams(entry));
      this.stmts.bump.run(entry.owner);
    })();
  }

  async replace(entry: LexiconEntry): Promise<LexiconEntry | null> {
    return this.db.transaction((): LexiconEntry | null => {
      const current = this.stmts.get.get(entry.owner, entry.id) as LexiconRow | undefined;
      if (!current) return null;
      const next: LexiconEntry = { ...entry, createdAt: current.created_at };
      this.assertNoDuplicate(next);
      this.stmts.update.run(toParams(next));
      this.stmts.bump.run(entry.owner);
      return next;
    })();
  }

  async delete(owner: string, id: string): Promise<boolean> {
    return this.db.transaction((): boolean => {
      if (this.stmts.delete.run(owner, id).changes === 0) return false;
      this.stmts.bump.run(owner);
      return true;
    })();
  }

  async revision(owner: string): Promise<number> {
    return (this.stmts.revision.get(owner) as { revision: number } | undefined)?.revision ?? 0;
  }

  private assertNoDuplicate(entry: LexiconEntry): void {
    const rows = this.stmts.byKey.all(entry.owner, foldTerm(entry.term)) as LexiconRow[];
    const clash = rows.map(lexiconFromRow).find((other) => other.id !== entry.id && isDuplicate(other, entry));
    if (clash) throw lexiconConflict(clash);
  }
}
