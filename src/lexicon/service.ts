// The lexicon as the rest of the service uses it: validated CRUD over a LexiconStore, and
// `rewrite`, which applies the entries for a request's language. Compiled matchers are cached
// per owner and language, each with the store's revision of the owner's entries it was compiled
// from: a change made through another node sharing the database (PostgreSQL) moves the revision,
// so the next request here compiles again. Changes made here also drop the cache at once.
import { randomUUID } from 'node:crypto';
import { AppError } from '../errors/app-error.js';
import { detectLanguage } from '../text/language.js';
import type { PlanServices } from '../services/synthesis.js';
import { DEFAULT_OWNER, validateEntryInput, type LexiconEntry, type LexiconEntryInput } from './entry.js';
import { compileLexicon, type LexiconMatcher, type LexiconRewrite } from './matcher.js';
import type { LexiconStore } from './store.js';

export interface LexiconServiceOptions {
  maxEntries: number;
  /** Clock for createdAt/updatedAt (tests). */
  now?: () => Date;
}

export class LexiconService {
  private readonly matchers = new Map<string, { revision: number; matcher: LexiconMatcher }>();
  /** Bumped on every change, so a matcher compiled from a list read before the change is not cached. */
  private generation = 0;
  private readonly now: () => Date;

  constructor(
    private readonly store: LexiconStore,
    private readonly options: LexiconServiceOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  list(filter: { language?: string } = {}, owner = DEFAULT_OWNER): Promise<LexiconEntry[]> {
    return this.store.list(owner, filter);
  }

  async get(id: string, owner = DEFAULT_OWNER): Promise<LexiconEntry> {
    const entry = await this.store.get(owner, id);
    if (!entry) throw notFound(id);
    return entry;
  }

  async create(input: LexiconEntryInput, owner = DEFAULT_OWNER): Promise<LexiconEntry> {
    const { kind: _kind, ...fields } = validateEntryInput(input);
    const at = this.now().toISOString();
    const entry: LexiconEntry = { id: `lex_${randomUUID().replace(/-/g, '')}`, owner, ...fields, createdAt: at, updatedAt: at };
    await this.store.insert(entry, { maxEntries: this.options.maxEntries });
    this.changed(owner);
    return entry;
  }

  async replace(id: string, input: LexiconEntryInput, owner = DEFAULT_OWNER): Promise<LexiconEntry> {
    const { kind: _kind, ...fields } = validateEntryInput(input);
    const at = this.now().toISOString();
    const entry = await this.store.replace({ id, owner, ...fields, createdAt: at, updatedAt: at });
    if (!entry) throw notFound(id);
    this.changed(owner);
    return entry;
  }

  async delete(id: string, owner = DEFAULT_OWNER): Promise<void> {
    if (!(await this.store.delete(owner, id))) throw notFound(id);
    this.changed(owner);
  }

  /**
   * Applies the entries for `language` (detected from the text when the request names none,
   * as synthesis would) to `text`. A result over `maxChars` code points is refused
   * (`text_too_long`) before it is built.
   */
  async rewrite(text: string, language: string | undefined, owner = DEFAULT_OWNER, maxChars = Infinity): Promise<LexiconRewrite> {
    const matcher = await this.matcherFor(owner, language ?? detectLanguage(text));
    return matcher.apply(text, maxChars);
  }

  /**
   * The planning hook POST /v1/tts uses (PlanServices.rewriteText). `observe` sees each result
   * whole (the preview route reports what was applied through the very same hook).
   */
  rewriteHook(observe?: (result: LexiconRewrite) => void, owner = DEFAULT_OWNER): NonNullable<PlanServices['rewriteText']> {
    return async (text, context) => {
      const result = await this.rewrite(text, context.language, owner, context.maxChars);
      observe?.(result);
      return result.text;
    };
  }

  private async matcherFor(owner: string, language: string): Promise<LexiconMatcher> {
    const key = `${owner}\u0000${language}`;
    // Revision first, entries second: entries newer than the revision only make the next
    // request compile again, never keep a stale matcher.
    const revision = await this.store.revision(owner);
    const cached = this.matchers.get(key);
    if (cached?.revision === revision) return cached.matcher;
    const generation = this.generation;
    const matcher = compileLexicon(await this.store.list(owner), language);
    if (generation === this.generation) this.matchers.set(key, { revision, matcher });
    return matcher;
  }

  private changed(owner: string): void {
    this.generation++;
    for (const key of this.matchers.keys()) if (key.startsWith(`${owner}\u0000`)) this.matchers.delete(key);
  }
}

function notFound(id: string): AppError {
  return new AppError('lexicon_not_found', `No lexicon entry "${id}".`, { param: 'id' });
}
