// Helpers for voice-library end-to-end tests: multipart uploads as a browser or curl would send
// them, speech made by the running server itself, and what is on disk under DATA_DIR.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { postJson } from './server.js';

export const TRANSCRIPT = 'The quick brown fox jumps over the lazy dog, then it runs into the forest.';

export interface UploadOptions {
  audio?: { bytes: Uint8Array; filename?: string; type?: string };
  /** Text fields; defaults give a valid upload. A field set to undefined is left out. */
  fields?: Record<string, string | undefined>;
  /** Extra request headers (an API key). */
  headers?: Record<string, string>;
}

/** POST /v1/voices as multipart/form-data (fetch's own FormData encoding). */
export async function uploadVoice(url: string, options: UploadOptions): Promise<Response> {
  const form = new FormData();
  const fields: Record<string, string | undefined> = { name: 'Test voice', transcript: TRANSCRIPT, language: 'en', consent: 'true', ...options.fields };
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) form.append(key, value);
  if (options.audio) {
    form.append('audio', new Blob([options.audio.bytes], { type: options.audio.type ?? 'application/octet-stream' }), options.audio.filename ?? 'voice.wav');
  }
  return fetch(`${url}/v1/voices`, { method: 'POST', body: form, ...(options.headers ? { headers: options.headers } : {}) });
}

/** Speech from the server's own engine (espeak), in the format and rate asked for. */
export async function speech(url: string, body: Record<string, unknown>): Promise<Buffer> {
  const res = await postJson(`${url}/v1/tts`, { text: TRANSCRIPT, language: 'en', ...body });
  assert.equal(res.status, 200, await res.clone().text());
  return Buffer.from(await res.arrayBuffer());
}

/** Every file under DATA_DIR/blobs (relative paths); temporary files included. */
export async function blobFiles(dataDir: string): Promise<string[]> {
  const root = join(dataDir, 'blobs');
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => !e.isDirectory()).map((e) => join(e.parentPath, e.name).slice(root.length + 1)).sort();
}

/** Voice rows in DATA_DIR/cosyfleet.db, read with a separate connection. */
export function voiceRows(dataDir: string): { id: string }[] {
  return readVoices(dataDir, 'SELECT id FROM voices ORDER BY id') as { id: string }[];
}

/** A voice's gender as the database holds it (undefined: no such row). */
export function storedGender(dataDir: string, id: string): string | null | undefined {
  return (readVoices(dataDir, 'SELECT id, gender FROM voices ORDER BY id') as { id: string; gender: string | null }[]).find((r) => r.id === id)?.gender;
}

function readVoices(dataDir: string, sql: string): unknown[] {
  const db = new Database(join(dataDir, 'cosyfleet.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

export interface ErrorBody {
  error: { code: string; message: string; param: string | null };
}

export async function expectError(res: Response, status: number, code: string, param?: string | null): Promise<ErrorBody['error']> {
  const raw = await res.text();
  assert.equal(res.status, status, raw);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  const body = JSON.parse(raw) as ErrorBody;
  assert.equal(body.error.code, code, raw);
  assert.ok(body.error.message.length > 0);
  if (param !== undefined) assert.equal(body.error.param, param, raw);
  return body.error;
}
