// Stored outputs: the audio a synthesis response carried, kept when the request asked for it
// (`"store": true`), with its metadata, for the caller's tenant only. HTTP-agnostic; the routes
// are src/http/outputs.ts, the synthesis routes call save().
//
// Order of writes, so that no crash can leave a row that points to nothing: the object is
// written first and the row second (save), and the row is deleted first and the object second
// (delete, the expiry sweep). A crash in between leaves at worst an object without a row,
// which nobody can reach (every read starts at the row) and which the sweep removes once it is
// older than a grace period (a save in flight has its object but not yet its row).
import type { Logger } from 'pino';
import { AppError } from '../errors/app-error.js';
import { hasUrls, type BlobStore } from '../storage/blob-store.js';
import type { OutputRecord, OutputStore } from '../storage/output-store.js';
import { isOutputId, newOutputId, outputBlobKey } from './ids.js';

export interface OutputServiceOptions {
  readonly store: OutputStore;
  readonly blobs: BlobStore;
  /** Days until an output expires; 0 = never (OUTPUT_RETENTION_DAYS). */
  readonly retentionDays: number;
  /** The tenant's retention in days, 0 = never (its policy, else OUTPUT_RETENTION_DAYS); retentionDays when absent. */
  readonly retentionFor?: (tenant: string) => Promise<number>;
  /** Lifetime of presigned URLs (OUTPUT_URL_TTL_S). */
  readonly urlTtlS: number;
  readonly logger?: Logger;
}

/** What a synthesis route knows about the audio it sent. */
export interface NewOutput {
  readonly id: string;
  readonly tenant: string;
  readonly bytes: Buffer;
  readonly format: string;
  readonly contentType: string;
  readonly audioSeconds: number;
  readonly characters: number;
  readonly voice: string;
  readonly engine: string;
}

/** Where a client fetches an output's bytes: from the service (fs) or a URL of the object store. */
export type OutputAudio = { readonly kind: 'bytes'; readonly bytes: Buffer; readonly contentType: string } | { readonly kind: 'redirect'; readonly url: string };

export interface SweepResult {
  /** Expired outputs removed (row and object). */
  readonly expired: number;
  /** Objects under outputs/ with no row, older than the grace period, removed. */
  readonly orphans: number;
}

const DAY_MS = 86_400_000;
/** Expired rows handled per store query, so a large backlog never loads at once. */
const SWEEP_BATCH = 500;
export const MAX_LIST_LIMIT = 100;

export class OutputService {
  constructor(private readonly options: OutputServiceOptions) {}

  /** A new output id; the route announces it (X-Output-Id) before the audio is complete. */
  newId(): string {
    return newOutputId();
  }

  /** Stores the audio, then its row (see the order above); it expires after its tenant's retention as it is now. */
  async save(output: NewOutput, now = Date.now()): Promise<OutputRecord> {
    const { retentionFor } = this.options;
    const retentionDays = retentionFor ? await retentionFor(output.tenant) : this.options.retentionDays;
    const record: OutputRecord = {
      id: output.id,
      tenant: output.tenant,
      format: output.format,
      contentType: output.contentType,
      bytes: output.bytes.length,
      audioSeconds: output.audioSeconds,
      characters: output.characters,
      voice: output.voice,
      engine: output.engine,
      createdAt: new Date(now).toISOString(),
      expiresAt: retentionDays > 0 ? new Date(now + retentionDays * DAY_MS).toISOString() : null,
    };
    const key = outputBlobKey(record.tenant, record.id);
    await this.options.blobs.put(key, output.bytes, { contentType: record.contentType });
    try {
      await this.options.store.create(record);
    } catch (err) {
      await this.options.blobs.delete(key).catch(() => false);
      throw err;
    }
    return record;
  }

  /** The tenant's live output; 404 output_not_found for a malformed id, another tenant's, an expired one. */
  async get(tenant: string, id: string, now = Date.now()): Promise<OutputRecord> {
    const record = isOutputId(id) ? await this.options.store.get(tenant, id) : null;
    if (!record || isExpired(record, now)) throw notFound(id);
    return record;
  }

  /** The tenant's live outputs, newest first; `after` is the last id of the previous page. */
  async list(tenant: string, limit: number, after?: string, now = Date.now()): Promise<{ data: OutputRecord[]; hasMore: boolean }> {
    let before: OutputRecord | undefined;
    if (after !== undefined) {
      before = isOutputId(after) ? ((await this.options.store.get(tenant, after)) ?? undefined) : undefined;
      if (!before) throw new AppError('invalid_value', `after must be the id of one of your outputs (the last id of the previous page); "${after}" is not.`, { param: 'after' });
    }
    const rows = await this.options.store.list(tenant, { limit: limit + 1, liveAt: new Date(now).toISOString(), ...(before ? { before } : {}) });
    return { data: rows.slice(0, limit), hasMore: rows.length > limit };
  }

  /** A URL for the output's audio: the object store's (presigned or CloudFront), else the service's own route. */
  async url(record: OutputRecord): Promise<string> {
    const { blobs, urlTtlS } = this.options;
    if (hasUrls(blobs)) return blobs.url(outputBlobKey(record.tenant, record.id), urlTtlS);
    return `/v1/outputs/${record.id}/audio`;
  }

  async audio(tenant: string, id: string, now = Date.now()): Promise<OutputAudio> {
    const record = await this.get(tenant, id, now);
    const { blobs } = this.options;
    if (hasUrls(blobs)) return { kind: 'redirect', url: await this.url(record) };
    const bytes = await blobs.get(outputBlobKey(record.tenant, record.id));
    // A row without its object cannot come from a crash (see the order above); someone removed it by hand.
    if (!bytes) throw notFound(id);
    return { kind: 'bytes', bytes, contentType: record.contentType };
  }

  /** Row first, then the object (see the order above). */
  async delete(tenant: string, id: string, now = Date.now()): Promise<void> {
    const record = await this.get(tenant, id, now);
    if (!(await this.options.store.delete(tenant, record.id))) throw notFound(id);
    await this.removeObject(record);
  }

  /**
   * Deletes every expired output (row, then object) and objects under outputs/ that have no row
   * and are older than `graceMs` (a crash between the two steps of a save or a delete). Runs on
   * a timer (buildApp) and is callable directly.
   */
  async sweep(graceMs: number, now = Date.now()): Promise<SweepResult> {
    const { store, blobs } = this.options;
    const nowIso = new Date(now).toISOString();
    let expired = 0;
    for (;;) {
      const batch = await store.expired(nowIso, SWEEP_BATCH);
      for (const record of batch) {
        if (!(await store.delete(record.tenant, record.id))) continue;
        await this.removeObject(record);
        expired++;
      }
      if (batch.length < SWEEP_BATCH) break;
    }
    let orphans = 0;
    for (const { key, modifiedMs } of await blobs.list('outputs/')) {
      if (now - modifiedMs < graceMs) continue;
      const id = key.split('/')[2] ?? '';
      if (isOutputId(id) && (await store.has(id))) continue;
      if (await blobs.delete(key)) orphans++;
    }
    return { expired, orphans };
  }

  /** A failure here leaves an object without a row, which the sweep removes later. */
  private async removeObject(record: OutputRecord): Promise<void> {
    try {
      await this.options.blobs.delete(outputBlobKey(record.tenant, record.id));
    } catch (err) {
      this.options.logger?.warn({ err, output: record.id }, 'could not delete a stored output\'s audio; the sweep will retry');
    }
  }
}

function isExpired(record: OutputRecord, now: number): boolean {
  return record.expiresAt !== null && Date.parse(record.expiresAt) <= now;
}

function notFound(id: string): AppError {
  return new AppError('output_not_found', `No stored output "${id}".`, { param: 'id' });
}
