// Where binary objects (voice recordings) live. Routes and services talk to this interface
// only, so the filesystem store (fs-blob-store.ts) can give way to S3 or similar without
// touching them. Keys are always minted by the server (e.g. `voices/<id>/original`) and checked
// against BLOB_KEY by every implementation, so no client input can ever become a path.

export interface BlobStore {
  /**
   * Stores `bytes` under `key`, replacing what was there; readers see the old or the new object,
   * never a part. `contentType` is kept by stores that serve objects themselves (UrlBlobStore).
   */
  put(key: string, bytes: Uint8Array, options?: { contentType?: string }): Promise<void>;
  /** The object's bytes, or null when there is none. */
  get(key: string): Promise<Buffer | null>;
  /** Removes the object; false when there was none. */
  delete(key: string): Promise<boolean>;
  exists(key: string): Promise<boolean>;
  /** Every object whose key starts with `prefix` (a whole key segment, e.g. `voices/`), with when it was last written. */
  list(prefix: string): Promise<{ key: string; modifiedMs: number }[]>;
  /**
   * Removes what interrupted puts left behind (a crash between writing and publishing an
   * object) if older than `olderThanMs`; returns how many. Stores whose puts leave nothing
   * behind return 0.
   */
  removeTemporaries(olderThanMs: number): Promise<number>;
}

/**
 * A BlobStore whose objects a client can fetch without the service (S3: a presigned GET, or
 * a CloudFront URL). Stores without it (the filesystem) are served through the service's own
 * routes instead; `hasUrls` tells the two apart.
 */
export interface UrlBlobStore extends BlobStore {
  /** A URL that serves the object's bytes to anyone who has it, for about `expiresInS` seconds. */
  url(key: string, expiresInS: number): Promise<string>;
}

export function hasUrls(store: BlobStore): store is UrlBlobStore {
  return typeof (store as Partial<UrlBlobStore>).url === 'function';
}

/**
 * 1 to 8 segments of lowercase letters, digits, `_` and `-`, separated by `/`, each starting
 * with a letter or digit: no dots (so no `..`), no leading slash, no empty segment, nothing an
 * operating system or object store reads specially.
 */
export const BLOB_KEY = /^[a-z0-9][a-z0-9_-]{0,63}(?:\/[a-z0-9][a-z0-9_-]{0,63}){0,7}$/;

export class InvalidBlobKeyError extends Error {
  override readonly name = 'InvalidBlobKeyError';
}

/** Throws unless `key` matches BLOB_KEY (a programming error: keys never come from clients). */
export function assertBlobKey(key: string): void {
  if (!BLOB_KEY.test(key)) throw new InvalidBlobKeyError(`invalid blob key ${JSON.stringify(key)}`);
}
