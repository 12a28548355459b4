// Where lexicon entries live. The service talks to this interface only, so the SQLite store
// (src/storage/sqlite-lexicon-store.ts) can be swapped for a shared database later; methods are
// async for that reason even though SQLite answers synchronously.
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
}
