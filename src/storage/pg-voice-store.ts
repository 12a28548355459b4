// The voice library's metadata in PostgreSQL (migration namespace 'voices'), the same records
// and semantics as SqliteVoiceStore. Times stay ISO 8601 text, as the API gives them out; `seq`
// stands in for SQLite's rowid as the tie-break of creation order.
import { inTransaction, migrate, type PgMigration, type PgPool } from './postgres.js';
import { voiceFromRow as fromRow, type VoiceRow as Row } from './sqlite-voice-store.js';
import type { NewVoice, VoicePatch, VoiceRecord, VoiceStore } from './voice-store.js';

export const PG_VOICE_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    description: 'voice library',
    up: async (client) => {
      await client.query(`
        CREATE TABLE voices (
          id TEXT PRIMARY KEY,
          seq BIGINT GENERATED ALWAYS AS IDENTITY,
          owner TEXT NOT NULL DEFAULT 'default',
          name TEXT NOT NULL,
          transcript TEXT NOT NULL,
          language TEXT NOT NULL,
          version INTEGER NOT NULL DEFAULT 1,
          pitch_hz DOUBLE PRECISION,
          duration_seconds DOUBLE PRECISION NOT NULL,
          original_format TEXT NOT NULL,
          original_content_type TEXT NOT NULL,
          original_bytes BIGINT NOT NULL,
          original_sample_rate INTEGER NOT NULL,
          original_channels INTEGER NOT NULL,
          original_duration_seconds DOUBLE PRECISION NOT NULL,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL
        );
        CREATE INDEX voices_owner_created ON voices (owner, created_at, seq);
      `);
    },
  },
  {
    version: 2,
    description: 'declared gender',
    up: async (client) => {
      await client.query('ALTER TABLE voices ADD COLUMN gender TEXT');
    },
  },
];

// BIGINT comes back as a string from pg; the byte count is cast so it arrives as a number.
const COLUMNS = `id, owner, name, transcript, language, gender, version, pitch_hz, duration_seconds, original_format, original_content_type,
  original_bytes::float8 AS original_bytes, original_sample_rate, original_channels, original_duration_seconds, created_at, updated_at`;

export class PgVoiceStore implements VoiceStore {
  private constructor(private readonly pool: PgPool) {}

  /** Migrates the 'voices' namespace of the pool's database (shared with other stores; the caller ends the pool). */
  static async open(pool: PgPool): Promise<PgVoiceStore> {
    await migrate(pool, 'voices', PG_VOICE_MIGRATIONS);
    return new PgVoiceStore(pool);
  }

  async create(voice: NewVoice): Promise<VoiceRecord> {
    const now = new Date().toISOString();
    await this.pool.query(
      `INSERT INTO voices (id, owner, name, transcript, language, gender, version, pitch_hz, duration_seconds,
         original_format, original_content_type, original_bytes, original_sample_rate, original_channels,
         original_duration_seconds, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)`,
      [
        voice.id,
        voice.owner,
        voice.name,
        voice.transcript,
        voice.language,
        voice.gender,
        voice.pitchHz,
        voice.durationSeconds,
        voice.original.format,
        voice.original.contentType,
        voice.original.bytes,
        voice.original.sampleRate,
        voice.original.channels,
        voice.original.durationSeconds,
        now,
      ],
    );
    return { ...voice, version: 1, createdAt: now, updatedAt: now };
  }

  async get(owner: string, id: string): Promise<VoiceRecord | null> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM voices WHERE owner = $1 AND id = $2`, [owner, id]);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async list(owner: string): Promise<VoiceRecord[]> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM voices WHERE owner = $1 ORDER BY created_at, seq`, [owner]);
    return rows.map(fromRow);
  }

  async update(owner: string, id: string, patch: VoicePatch): Promise<VoiceRecord | null> {
    // The row is locked from the read to the write, so two PATCHes (on any nodes) cannot both
    // bump from the same version.
    return inTransaction(this.pool, async (client): Promise<VoiceRecord | null> => {
      const { rows } = await client.query<Row>(`SELECT ${COLUMNS} FROM voices WHERE owner = $1 AND id = $2 FOR UPDATE`, [owner, id]);
      const row = rows[0];
      if (!row) return null;
      const name = patch.name ?? row.name;
      const transcript = patch.transcript ?? row.transcript;
      const language = patch.language ?? row.language;
      const gender = patch.gender === undefined ? row.gender : patch.gender;
      const promptChanged = transcript !== row.transcript || language !== row.language;
      const version = promptChanged ? row.version + 1 : row.version;
      const updatedAt = new Date().toISOString();
      await client.query('UPDATE voices SET name = $1, transcript = $2, language = $3, gender = $4, version = $5, updated_at = $6 WHERE owner = $7 AND id = $8', [
        name,
        transcript,
        language,
        gender,
        version,
        updatedAt,
        owner,
        id,
      ]);
      return fromRow({ ...row, name, transcript, language, gender, version, updated_at: updatedAt });
    });
  }

  async delete(owner: string, id: string): Promise<boolean> {
    const result = await this.pool.query('DELETE FROM voices WHERE owner = $1 AND id = $2', [owner, id]);
    return (result.rowCount ?? 0) > 0;
  }

  async ids(): Promise<Set<string>> {
    const { rows } = await this.pool.query<{ id: string }>('SELECT id FROM voices');
    return new Set(rows.map((r) => r.id));
  }
}
