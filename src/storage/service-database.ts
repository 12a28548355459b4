// The service's one metadata database file (DATABASE_URL empty). Every store (voice library,
// lexicon, ...) shares the handle openStores (stores.ts) opens here, each migrating its own namespace.
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { openDatabase, type SqliteDatabase } from './sqlite.js';

export const SERVICE_DATABASE_FILE = 'cosyfleet.db';

/** Opens (creating if needed) DATA_DIR/cosyfleet.db. The caller closes it when the app closes. */
export function openServiceDatabase(config: Pick<Config, 'dataDir'>): SqliteDatabase {
  return openDatabase(join(config.dataDir, SERVICE_DATABASE_FILE));
}
