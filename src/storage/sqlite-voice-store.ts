// The voice library's metadata in the service's SQLite database (migration namespace 'voices').
import type { SniffedFormat } from '../audio/decoders.js';
import type { VoiceGender } from '../engines/engine.js';
import { migrate, type Migration, type SqliteDatabase } from './sqlite.js';
import type { NewVoice, VoicePatch, VoiceRecord, VoiceStore } from './voice-store.js';

export const VOICE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'voice library',
    up: (db) =>
      db.exec(`
        CREATE TABLE voices (
          id TEXT PRIMARY KEY,
          owner TEXT NOT NULL DEFAULT 'default',
          name TEXT NOT NULL,
          transcript TEXT NOT NULL,
          language TEXT NOT NULL,
          version INTEGER NOT NULL DEFAULT 1,
          pitch_hz REAL,
          duration_seconds REAL NOT NULL,
          original_format TEXT NOT NULL,
          original_content_type TEXT NOT NULL,
          original_bytes INTEGER NOT NULL,
          original_sample_rate INTEGER NOT NULL,
          original_channels INTEGER NOT NULL,
          original_duration_seconds REAL NOT NULL,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL
        );
        CREATE INDEX voices_owner_created ON voices (owner, created_at);
      `),
  },
  { version: 2, description: 'declared gender', up: (db) => db.exec('ALTER TABLE voices ADD COLUMN gender TEXT') },
];

/** A row of `voices`, as both databases give it back (src/storage/pg-voice-store.ts reuses it). */
export interface VoiceRow {
  id: string;
  owner: string;
  name: string;
  transcript: string;
  language: string;
  gender: string | null;
  version: number;
  pitch_hz: number | null;
  duration_seconds: number;
  original_format: string;
  original_content_type: string;
  original_bytes: number;
  original_sample_rate: number;
  original_channels: number;
  original_duration_seconds: number;
  created_at: string;
  updated_at: string;
}

export const voiceFromRow = (r: VoiceRow): VoiceRecord => ({
  id: r.id,
  owner: r.owner,
  name: r.name,
  transcript: r.transcript,
  language: r.language,
  gender: r.gender as VoiceGender | null,
  version: r.version,
  pitchHz: r.pitch_hz,
  durationSeconds: r.duration_seconds,
  original: {
    format: r.original_format as SniffedFormat,
    contentType: r.original_content_type,
    bytes: r.original_bytes,
    sampleRate: r.original_sample_rate,
    channels: r.original_channels,
    durationSeconds: r.original_duration_seconds,
  },
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class SqliteVoiceStore implements VoiceStore {
  /** Runs the 'voices' migrations on `db` (shared with other stores; the caller closes it). */
  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'voices', VOICE_MIGRATIONS);
  }

  async create(voice: NewVoice): Promise<VoiceRecord> {
    const now = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO voices (id, owner, name, transcript, language, gender, version, pitch_hz, duration_seconds,
           original_format, original_content_type, original_bytes, original_sample_rate, original_channels,
           original_duration_seconds, created_at, updated_at)
         VALUES (@id, @owner, @name, @transcript, @language, @gender, 1, @pitchHz, @durationSeconds,
           @format, @contentType, @bytes, @sampleRate, @channels, @originalSeconds, @now, @now)`,
      )
      .run({
        id: voice.id,
        owner: voice.owner,
        name: voice.name,
        transcript: voice.transcript,
        language: voice.language,
        gender: voice.gender,
        pitchHz: voice.pitchHz,
        durationSeconds: voice.durationSeconds,
        format: voice.original.format,
        contentType: voice.original.contentType,
        bytes: voice.original.bytes,
        sampleRate: voice.original.sampleRate,
        channels: voice.original.channels,
        originalSeconds: voice.original.durationSeconds,
        now,
      });
    return { ...voice, version: 1, createdAt: now, updatedAt: now };
  }

  async get(owner: string, id: string): Promise<VoiceRecord | null> {
    const row = this.db.prepare('SELECT * FROM voices WHERE owner = ? AND id = ?').get(owner, id) as VoiceRow | undefined;
    return row ? voiceFromRow(row) : null;
  }

  async list(owner: string): Promise<VoiceRecord[]> {
    const rows = this.db.prepare('SELECT * FROM voices WHERE owner = ? ORDER BY created_at, rowid').all(owner) as VoiceRow[];
    return rows.map(voiceFromRow);
  }

  async update(owner: string, id: string, patch: VoicePatch): Promise<VoiceRecord | null> {
    // Read, compare and write in one transaction so two PATCHes cannot both bump from the same version.
    return this.db.transaction((): VoiceRecord | null => {
      const row = this.db.prepare('SELECT * FROM voices WHERE owner = ? AND id = ?').get(owner, id) as VoiceRow | undefined;
      if (!row) return null;
      const name = patch.name ?? row.name;
      const transcript = patch.transcript ?? row.transcript;
      const language = patch.language ?? row.language;
      const gender = patch.gender === undefined ? row.gender : patch.gender;
      const promptChanged = transcript !== row.transcript || language !== row.language;
      const version = promptChanged ? row.version + 1 : row.version;
      const updatedAt = new Date().toISOString();
      this.db
        .prepare('UPDATE voices SET name = ?, transcript = ?, language = ?, gender = ?, version = ?, updated_at = ? WHERE owner = ? AND id = ?')
        .run(name, transcript, language, gender, version, updatedAt, owner, id);
      return voiceFromRow({ ...row, name, transcript, language, gender, version, updated_at: updatedAt });
    })();
  }

  async delete(owner: string, id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM voices WHERE owner = ? AND id = ?').run(owner, id).changes > 0;
  }

  async ids(): Promise<Set<string>> {
    return new Set((this.db.prepare('SELECT id FROM voices').all() as { id: string }[]).map((r) => r.id));
  }
}
