// Where the voice library's metadata lives. Routes and the library service talk to this
// interface only, so the SQLite store (sqlite-voice-store.ts) can give way to PostgreSQL
// without touching them; methods are async for that reason although SQLite answers at once.
// Every record belongs to an `owner` and every read is scoped by one, ready for per-API-key
// libraries (today every voice belongs to DEFAULT_OWNER).
import type { SniffedFormat } from '../audio/decoders.js';
import type { VoiceGender } from '../engines/engine.js';

export const DEFAULT_OWNER = 'default';

/** What the upload was, before normalization. */
export interface OriginalAudio {
  readonly format: SniffedFormat;
  readonly contentType: string;
  readonly bytes: number;
  readonly sampleRate: number;
  readonly channels: number;
  readonly durationSeconds: number;
}

export interface VoiceRecord {
  readonly id: string;
  readonly owner: string;
  readonly name: string;
  /** The words spoken in the recording. */
  readonly transcript: string;
  readonly language: string;
  /** As the uploader declared it; null when they did not (the pitch says nothing reliable about it). */
  readonly gender: VoiceGender | null;
  /** Starts at 1; grows whenever what an engine derives from the voice changes (transcript, language). */
  readonly version: number;
  /** Median F0 of the normalized prompt; null when too little of it is voiced to tell. */
  readonly pitchHz: number | null;
  /** Length of the normalized (trimmed) prompt. */
  readonly durationSeconds: number;
  readonly original: OriginalAudio;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type NewVoice = Omit<VoiceRecord, 'version' | 'createdAt' | 'updatedAt'>;

export interface VoicePatch {
  readonly name?: string;
  readonly transcript?: string;
  readonly language?: string;
  /** null clears it. Not part of the prompt an engine derives features from, so the version stays. */
  readonly gender?: VoiceGender | null;
}

export interface VoiceStore {
  /** Inserts a new voice (version 1); the id must be new. */
  create(voice: NewVoice): Promise<VoiceRecord>;
  get(owner: string, id: string): Promise<VoiceRecord | null>;
  /** The owner's voices, oldest first. */
  list(owner: string): Promise<VoiceRecord[]>;
  /** Applies the patch; bumps `version` when the transcript or language changes. null when there is no such voice. */
  update(owner: string, id: string, patch: VoicePatch): Promise<VoiceRecord | null>;
  /** false when there was no such voice. */
  delete(owner: string, id: string): Promise<boolean>;
  /** Every voice id, whoever owns it (storage reconciliation). */
  ids(): Promise<Set<string>>;
}
