// The voice library as the rest of the service uses it: uploads validated and normalized before
// anything is stored, metadata in a VoiceStore, recordings in a BlobStore, and the planning hook
// that turns a voice id into the VoicePrompt an engine receives. Engines that cache prompt
// features (prepareVoice) are told about a voice when it is added and, after a restart or a
// transcript change, before its first use.
import type { Logger } from 'pino';
import { AppError } from '../errors/app-error.js';
import { createAudioWork, type AudioWork } from '../audio/pool.js';
import type { Engine, VoicePrompt } from '../engines/engine.js';
import type { PlanServices } from '../services/synthesis.js';
import type { BlobStore } from '../storage/blob-store.js';
import { DEFAULT_OWNER, type VoicePatch, type VoiceRecord, type VoiceStore } from '../storage/voice-store.js';
import { detectLanguage } from '../text/language.js';
import { validateGender, validateLanguage, validateName, validateTranscript } from './fields.js';
import { isVoiceId, newVoiceId, voiceBlobKeys } from './ids.js';
import { PROMPT_LIMITS, PROMPT_SAMPLE_RATE, type PromptLimits } from './prompt-audio.js';

export interface VoiceUpload {
  audio: Uint8Array;
  name: string;
  transcript: string;
  /** Detected from the transcript when absent. */
  language?: string;
  /** female, male or neutral; none when absent or empty. */
  gender?: string;
  /** The uploader confirmed the speaker agreed to be cloned; callers must have checked it. */
  consent: true;
}

export type AudioVariant = 'normalized' | 'original';

export interface VoiceLibraryOptions {
  store: VoiceStore;
  blobs: BlobStore;
  engine: Engine;
  logger: Logger;
  limits?: PromptLimits;
  /** Where uploads are decoded and checked (the app's audio thread pool); default: on the event loop. */
  audio?: Pick<AudioWork, 'decode' | 'normalizePrompt'>;
}

export class VoiceLibrary {
  private readonly store: VoiceStore;
  private readonly blobs: BlobStore;
  private readonly engine: Engine;
  private readonly logger: Logger;
  private readonly limits: PromptLimits;
  private readonly audioWork: Pick<AudioWork, 'decode' | 'normalizePrompt'>;
  /** prepareVoice calls made on this engine instance, by `id@version`; failed ones are forgotten. */
  private readonly prepared = new Map<string, Promise<void>>();

  constructor(options: VoiceLibraryOptions) {
    this.store = options.store;
    this.blobs = options.blobs;
    this.engine = options.engine;
    this.logger = options.logger;
    this.limits = options.limits ?? PROMPT_LIMITS;
    this.audioWork = options.audio ?? createAudioWork({ threads: 0 });
  }

  /**
   * Validates everything first, then writes the blobs, then the row; if a later step fails the
   * blobs already written are removed, so a refused or failed upload leaves nothing behind.
   */
  async create(upload: VoiceUpload, owner = DEFAULT_OWNER): Promise<VoiceRecord> {
    const name = validateName(upload.name);
    const transcript = validateTranscript(upload.transcript);
    const language = upload.language === undefined ? detectLanguage(transcript) : validateLanguage(upload.language);
    const gender = validateGender(upload.gender ?? null);
    const prompt = await this.audioWork.normalizePrompt(upload.audio, this.limits);

    const id = newVoiceId();
    const keys = voiceBlobKeys(id);
    const written: string[] = [];
    let record: VoiceRecord;
    try {
      await this.blobs.put(keys.original, upload.audio);
      written.push(keys.original);
      await this.blobs.put(keys.prompt, prompt.wav);
      written.push(keys.prompt);
      record = await this.store.create({
        id,
        owner,
        name,
        transcript,
        language,
        gender,
        pitchHz: prompt.pitchHz,
        durationSeconds: prompt.durationSeconds,
        original: prompt.original,
      });
    } catch (err) {
      await this.deleteBlobs(written);
      throw err;
    }
    // The voice is stored either way: an engine that cannot prepare it now gets another chance on first use.
    await this.prepare(record).catch((err: unknown) => this.logger.warn({ err, voice: id }, 'prepareVoice failed; will retry on first use'));
    return record;
  }

  async get(id: string, owner = DEFAULT_OWNER): Promise<VoiceRecord> {
    const record = isVoiceId(id) ? await this.store.get(owner, id) : null;
    if (!record) throw notFound(id);
    return record;
  }

  list(owner = DEFAULT_OWNER): Promise<VoiceRecord[]> {
    return this.store.list(owner);
  }

  async update(id: string, patch: VoicePatch, owner = DEFAULT_OWNER): Promise<VoiceRecord> {
    const checked: { -readonly [K in keyof VoicePatch]: VoicePatch[K] } = {};
    if (patch.name !== undefined) checked.name = validateName(patch.name);
    if (patch.transcript !== undefined) checked.transcript = validateTranscript(patch.transcript);
    if (patch.language !== undefined) checked.language = validateLanguage(patch.language);
    if (patch.gender !== undefined) checked.gender = validateGender(patch.gender);
    const record = isVoiceId(id) ? await this.store.update(owner, id, checked) : null;
    if (!record) throw notFound(id);
    return record;
  }

  /** Removes the row first (the voice is gone for every reader at once), then its recordings. */
  async delete(id: string, owner = DEFAULT_OWNER): Promise<void> {
    if (!isVoiceId(id) || !(await this.store.delete(owner, id))) throw notFound(id);
    const keys = voiceBlobKeys(id);
    await this.deleteBlobs([keys.original, keys.prompt]);
    for (const key of this.prepared.keys()) if (key.startsWith(`${id}@`)) this.prepared.delete(key);
  }

  async audio(id: string, variant: AudioVariant, owner = DEFAULT_OWNER): Promise<{ bytes: Buffer; contentType: string }> {
    const record = await this.get(id, owner);
    const keys = voiceBlobKeys(record.id);
    const bytes = await this.blobs.get(variant === 'original' ? keys.original : keys.prompt);
    if (!bytes) throw new AppError('internal', undefined, { cause: new Error(`voice ${id} has no ${variant} recording in the blob store`) });
    return { bytes, contentType: variant === 'original' ? record.original.contentType : 'audio/wav' };
  }

  /** The engine's view of a library voice, prepared on this engine; null when there is no such voice. */
  async prompt(id: string, owner = DEFAULT_OWNER): Promise<VoicePrompt | null> {
    const record = isVoiceId(id) ? await this.store.get(owner, id) : null;
    if (!record) return null;
    try {
      await this.prepare(record);
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw new AppError('engine_failed', `The ${this.engine.capabilities.name} engine could not prepare voice ${id}.`, { cause: err });
    }
    return this.toPrompt(record);
  }

  /** The planning hook POST /v1/tts uses (PlanServices.resolveVoice). */
  resolveVoiceHook(owner = DEFAULT_OWNER): NonNullable<PlanServices['resolveVoice']> {
    return (id) => this.prompt(id, owner);
  }

  private toPrompt(record: VoiceRecord): VoicePrompt {
    const blobs = this.blobs;
    const audio = this.audioWork;
    const key = voiceBlobKeys(record.id).prompt;
    return {
      id: record.id,
      version: record.version,
      transcript: record.transcript,
      language: record.language,
      sampleRate: PROMPT_SAMPLE_RATE,
      ...(record.pitchHz === null ? {} : { pitchHz: record.pitchHz }),
      ...(record.gender === null ? {} : { gender: record.gender }),
      async loadAudio() {
        const bytes = await blobs.get(key);
        if (!bytes) throw new Error(`voice ${record.id} has no prompt recording in the blob store`);
        const decoded = await audio.decode(bytes);
        return decoded.channels[0] as Float32Array;
      },
    };
  }

  /** Calls engine.prepareVoice once per voice version on this engine instance (concurrent callers share the call). */
  private prepare(record: VoiceRecord): Promise<void> {
    const engine = this.engine;
    if (!engine.prepareVoice) return Promise.resolve();
    const key = `${record.id}@${record.version}`;
    let pending = this.prepared.get(key);
    if (!pending) {
      pending = engine.prepareVoice(this.toPrompt(record)).catch((err: unknown) => {
        this.prepared.delete(key);
        throw err;
      });
      this.prepared.set(key, pending);
    }
    return pending;
  }

  private async deleteBlobs(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      await this.blobs.delete(key).catch((err: unknown) => this.logger.error({ err, key }, 'could not delete a voice recording; it is orphaned'));
    }
  }
}

function notFound(id: string): AppError {
  return new AppError('voice_not_found', `No voice "${id}" in the library.`, { param: 'id' });
}
