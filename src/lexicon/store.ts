// Where lexicon entries live. The service talks to this interface only: the SQLite store
// (src/storage/sqlite-lexicon-store.ts) or the PostgreSQL one several nodes share
// (src/storage/pg-lexicon-store.ts); methods are async although SQLite answers synchronously.
import { AppError } from '../errors/app-error.js';
import type { LexiconEntry } from './entry.js';

export interface LexiconStore {
  /** The owner's entries, oldest first; with `language`, only entries scoped to exactly that language. */
  list(owner: string, filter?: { language?: string }): Promise<LexiconEntry[]>;
  get(owner: string, id: string): Promise<LexiconEntry | null>;
  /**
   * Adds an entry atomically with its checks: throws AppError `lexicon_conflict` when it
   * duplicates an entry (see conflictsWith) and `lexicon_full` when the owner already has
   * `maxEntries`.
   */
  insert(entry: LexiconEntry, limits: { maxEntries: number }): Promise<void>;
  /** Replaces the entry with the same owner and id (null when there is none); same conflict rule. */
  replace(entry: LexiconEntry): Promise<LexiconEntry | null>;
  /** False when there was no such entry. */
  delete(owner: string, id: string): Promise<boolean>;
  /**
   * A number that changes whenever the owner's entries change, whoever changed them (another
   * node sharing the database too), so a matcher compiled from them knows when it is stale.
   */
  revision(owner: string): Promise<number>;
}

/** What insert and replace throw when `clash` already holds the term (both stores say the same). */
export function lexiconConflict(clash: LexiconEntry): AppError {
  const scope = clash.language === null ? 'every language' : `language ${clash.language}`;
  return new AppError('lexicon_conflict', `An entry for "${clash.term}" in ${scope} already exists (${clash.id}); replace it with PUT /v1/lexicon/${clash.id}.`, {
    param: 'term',
  });
}

/** What insert throws when the owner already has `count` entries, the most allowed. */
export function lexiconFull(count: number): AppError {
  return new AppError('lexicon_full', `The lexicon already holds ${count} entries, the most this server keeps (LEXICON_MAX_ENTRIES); delete some first.`);
}
