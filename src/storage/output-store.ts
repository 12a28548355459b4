// Where the metadata of stored outputs (`"store": true` on a synthesis request) lives; the
// audio itself is in the BlobStore under outputs/<tenant>/<id>. Routes and the output service
// talk to this interface only, so the SQLite store (sqlite-output-store.ts) can give way to
// PostgreSQL without touching them. Every read is scoped by a tenant; timestamps are ISO 8601
// UTC strings with milliseconds (`2026-01-02T03:04:05.678Z`), which sort as they read.

export interface OutputRecord {
  /** `out_` + 16 base32 characters (src/outputs/ids.ts). */
  readonly id: string;
  readonly tenant: string;
  /** The audio format the client received: wav, pcm, mp3, opus, flac or aac. */
  readonly format: string;
  readonly contentType: string;
  readonly bytes: number;
  readonly audioSeconds: number;
  /** Code points of the request's text (as sent, before the lexicon). */
  readonly characters: number;
  readonly voice: string;
  readonly engine: string;
  readonly createdAt: string;
  /** null: kept until deleted (OUTPUT_RETENTION_DAYS=0 when it was made). */
  readonly expiresAt: string | null;
}

export interface OutputListQuery {
  readonly limit: number;
  /** Only outputs older than this one in the listing's order (newest first): the previous page's last. */
  readonly before?: Pick<OutputRecord, 'createdAt' | 'id'>;
  /** Leave out outputs whose expiresAt is at or before this instant (expired, not yet swept). */
  readonly liveAt: string;
}

export interface OutputStore {
  /** Inserts a new output; the id must be new. */
  create(record: OutputRecord): Promise<void>;
  /** The tenant's output, expired or not; null when there is none (or it is another tenant's). */
  get(tenant: string, id: string): Promise<OutputRecord | null>;
  /** The tenant's outputs, newest first (createdAt, then id, both descending). */
  list(tenant: string, query: OutputListQuery): Promise<OutputRecord[]>;
  /** false when the tenant has no such output. */
  delete(tenant: string, id: string): Promise<boolean>;
  /** Up to `limit` outputs of any tenant whose expiresAt is at or before `now`, oldest expiry first. */
  expired(now: string, limit: number): Promise<OutputRecord[]>;
  /** Whether any tenant has an output with this id (the sweep's check for objects without a row). */
  has(id: string): Promise<boolean>;
}
