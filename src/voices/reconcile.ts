// Storage and database agree again after a crash. A voice is written as blobs first and its row
// second, and deleted row first and blobs second (src/voices/library.ts), so a kill -9 can leave
// a put's temporary file, or blobs of a voice that has no row (an upload that never got its row,
// a delete that never removed its files). Nothing else can: a row without its blobs is reported,
// never repaired (that would be data loss someone must look at).
//
// At start nothing is in flight and everything left over goes; on the timer only what is older
// than a grace period, so an upload between its blobs and its row is never touched.
import type { Logger } from 'pino';
import type { BlobStore } from '../storage/blob-store.js';
import type { VoiceStore } from '../storage/voice-store.js';
import { isVoiceId, voiceBlobKeys } from './ids.js';

export interface ReconcileResult {
  /** Temporary files of interrupted writes, removed. */
  readonly temporaries: number;
  /** Blobs of voices without a row, removed (keys). */
  readonly orphans: readonly string[];
  /** Voices whose row exists but whose blobs do not (reported only). */
  readonly missing: readonly string[];
}

export async function reconcileVoiceStorage(store: VoiceStore, blobs: BlobStore, graceMs: number): Promise<ReconcileResult> {
  const temporaries = await blobs.removeTemporaries(graceMs);
  const ids = await store.ids();
  const now = Date.now();
  const orphans: string[] = [];
  const seen = new Set<string>();
  for (const { key, modifiedMs } of await blobs.list('voices/')) {
    const id = key.split('/')[1] ?? '';
    if (ids.has(id)) {
      seen.add(key);
      continue;
    }
    if (now - modifiedMs < graceMs) continue;
    // Only what a voice is made of: anything else under voices/ was not written by the library.
    if (!isVoiceId(id) || !Object.values(voiceBlobKeys(id)).includes(key)) continue;
    await blobs.delete(key);
    orphans.push(key);
  }
  const missing: string[] = [];
  for (const id of ids) {
    if (!Object.values(voiceBlobKeys(id)).every((key) => seen.has(key))) missing.push(id);
  }
  return { temporaries, orphans, missing };
}

/** Logs what a reconciliation did; quiet when there was nothing to do. */
export function logReconcile(logger: Logger, result: ReconcileResult): void {
  if (result.temporaries > 0 || result.orphans.length > 0) {
    logger.warn({ temporaries: result.temporaries, orphans: result.orphans.length }, 'storage reconciled: removed what an interrupted write or delete left behind');
  }
  if (result.missing.length > 0) {
    logger.error({ voices: result.missing }, 'voices whose recordings are missing from storage (restore them from a backup, or delete the voices)');
  }
}
