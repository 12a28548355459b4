// The result cache: an identical request is answered with the bytes an earlier one produced,
// without the engine. IVR prompts and menu phrases repeat all day; each hit is engine time saved
// outright. "Identical" is everything that shapes the audio, after planning: the text the engine
// receives (lexicon applied), its segments, pauses and speeds, the voice and its version (a
// changed transcript is a new version, so a new key), mode, instruction, language, seed, format,
// rate, streaming (a streamed WAV's header differs) and the engine. Tenants never share entries.
// Whether a request may be cached is its tenant's mode (the tenant's policy, else RESULT_CACHE):
// seeded (only requests with a seed: the caller asked for a repeatable result), always, or off.
import { createHash } from 'node:crypto';
import type { BlobStore } from '../storage/blob-store.js';
import type { TextPlan } from '../services/synthesis.js';
import type { RESULT_CACHE_MODES } from '../config/settings.js';

export type ResultCacheMode = (typeof RESULT_CACHE_MODES)[number];

/** What a hit needs besides the bytes, kept in the entry's first line. */
export interface CachedMeta {
  contentType: string;
  sampleRate: number;
  audioSeconds: number;
}

const MAGIC = 'cosyfleet-cache-1';

export interface ResultCacheOptions {
  blobs: BlobStore;
  /** One mode for every tenant, or each tenant's (src/accounts/tenant-policies.ts). */
  mode: ResultCacheMode | ((tenant: string) => Promise<ResultCacheMode>);
  /** Entries older than this are swept. */
  maxAgeDays: number;
  /** Counts hits, misses and stores (metrics). */
  onEvent?: (event: 'hit' | 'miss' | 'stored') => void;
}

export class ResultCache {
  constructor(private readonly options: ResultCacheOptions) {}

  /** The entry's blob key for this planned request, or null when it may not be cached. */
  async keyFor(tenant: string, plan: TextPlan, engine: string, extra: Record<string, unknown> = {}): Promise<string | null> {
    const mode = typeof this.options.mode === 'function' ? await this.options.mode(tenant) : this.options.mode;
    if (mode === 'off' || (mode === 'seeded' && plan.seed === undefined)) return null;
    const material = JSON.stringify({
      engine,
      text: plan.text,
      segments: plan.segments,
      speeds: plan.speeds ?? null,
      pauses: plan.pauses ?? null,
      joins: plan.joins ?? null,
      mode: plan.mode,
      voice: plan.voice,
      voiceVersion: plan.prompt?.version ?? null,
      instruction: plan.instruction ?? null,
      language: plan.language,
      speed: plan.speed,
      seed: plan.seed ?? null,
      format: plan.format,
      pcmRate: plan.pcmRate,
      stream: plan.stream,
      gapMs: plan.gapMs,
      ...extra,
    });
    return `cache/${tenant}/${createHash('sha256').update(material).digest('hex')}`;
  }

  /** The cached answer, or null (a miss). */
  async get(key: string): Promise<{ meta: CachedMeta; bytes: Buffer } | null> {
    const entry = await this.options.blobs.get(key);
    const newline = entry ? entry.indexOf(10) : -1;
    if (!entry || newline < 0) {
      this.options.onEvent?.('miss');
      return null;
    }
    try {
      const head = JSON.parse(entry.subarray(0, newline).toString('utf8')) as { magic?: string } & CachedMeta;
      if (head.magic !== MAGIC) throw new Error('not a cache entry');
      this.options.onEvent?.('hit');
      return { meta: { contentType: head.contentType, sampleRate: head.sampleRate, audioSeconds: head.audioSeconds }, bytes: entry.subarray(newline + 1) };
    } catch {
      this.options.onEvent?.('miss');
      return null;
    }
  }

  /** Passes `source` through; once it has ended normally, its bytes become the entry for `key`. */
  async *fill(source: AsyncIterable<Buffer>, key: string, meta: () => CachedMeta): AsyncGenerator<Buffer> {
    const parts: Buffer[] = [];
    for await (const part of source) {
      parts.push(part);
      yield part;
    }
    const head = Buffer.from(`${JSON.stringify({ magic: MAGIC, ...meta() })}\n`, 'utf8');
    await this.options.blobs.put(key, Buffer.concat([head, ...parts]));
    this.options.onEvent?.('stored');
  }

  /** Deletes entries written more than maxAgeDays ago; returns how many. */
  async sweep(now = Date.now()): Promise<number> {
    const cutoff = now - this.options.maxAgeDays * 86_400_000;
    let removed = 0;
    for (const { key, modifiedMs } of await this.options.blobs.list('cache/')) {
      if (modifiedMs < cutoff && (await this.options.blobs.delete(key))) removed++;
    }
    return removed;
  }
}
