// The stored-outputs flow over real HTTP, shared by the filesystem and the S3 suites
// (test/http/outputs*.test.ts): store:true on POST /v1/tts (whole and streamed) and on
// POST /v1/audio/speech with the official openai client, the stored bytes against the bytes the
// client got (and ffprobe's opinion of them), list/get/audio/delete, and tenant isolation.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import { ffprobeJson, tempDir, writeTemp } from '../../src/audio/test-helpers.js';
import { postJson } from './server.js';
import { expectError } from './voices.js';

export const ACME_KEY = 'acme-tenant-key-0123456789abcdef';
export const GLOBEX_KEY = 'globex-tenant-key-0123456789abcdef';
export const TWO_TENANTS = { auth: 'keys', apiKeys: `acme:${ACME_KEY},globex:${GLOBEX_KEY}` } as const;
export const acme = { authorization: `Bearer ${ACME_KEY}` };
export const globex = { authorization: `Bearer ${GLOBEX_KEY}` };
export const json = (headers: Record<string, string>) => ({ headers: { 'content-type': 'application/json', ...headers } });

export interface OutputWire {
  id: string;
  format: string;
  contentType: string;
  bytes: number;
  audioSeconds: number;
  characters: number;
  voice: string;
  engine: string;
  createdAt: string;
  expiresAt: string | null;
  url: string;
}

/** ffprobe reads the bytes as audio of this codec. */
export async function assertProbes(bytes: Buffer, codec: string, raw?: { rawRate: number }): Promise<void> {
  const dir = await tempDir('cosyfleet-outputs-');
  try {
    const probe = await ffprobeJson(await writeTemp(dir.path, 'audio', bytes), raw);
    const stream = probe.streams.find((s) => s.codec_type === 'audio');
    assert.ok(stream, 'ffprobe finds an audio stream');
    assert.equal(stream.codec_name, codec);
  } finally {
    await dir.remove();
  }
}

export async function getOutput(url: string, id: string, headers: Record<string, string>): Promise<OutputWire> {
  const res = await fetch(`${url}/v1/outputs/${id}`, { headers });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as OutputWire;
}

/** GET /v1/outputs/{id}/audio, following a redirect to the object store without the API key (as a browser would). */
export async function outputAudio(url: string, id: string, headers: Record<string, string>): Promise<{ bytes: Buffer; contentType: string; redirected: string | null }> {
  const res = await fetch(`${url}/v1/outputs/${id}/audio`, { headers, redirect: 'manual' });
  if (res.status === 302) {
    const location = res.headers.get('location');
    assert.ok(location);
    const object = await fetch(location);
    assert.equal(object.status, 200, location);
    return { bytes: Buffer.from(await object.arrayBuffer()), contentType: object.headers.get('content-type') ?? '', redirected: location };
  }
  assert.equal(res.status, 200, await res.clone().text());
  return { bytes: Buffer.from(await res.arrayBuffer()), contentType: res.headers.get('content-type') ?? '', redirected: null };
}

export interface StoredFlow {
  whole: { id: string; bytes: Buffer; urlHeader: string };
  streamed: { id: string; bytes: Buffer };
  openai: { id: string; bytes: Buffer };
}

/** Makes three stored outputs for acme and checks each against what the client received. */
const WHOLE_TEXT = 'Stored outputs keep exactly what the client heard.';
const STREAMED_TEXT = `${WHOLE_TEXT} Streamed, in two sentences.`;
const OPENAI_TEXT = 'Hello from the OpenAI client.';

export async function storeThree(url: string): Promise<StoredFlow> {
  const text = WHOLE_TEXT;
  const whole = await postJson(`${url}/v1/tts`, { text, language: 'en', format: 'mp3', store: true }, json(acme));
  assert.equal(whole.status, 200, await whole.clone().text());
  const wholeId = whole.headers.get('x-output-id');
  const urlHeader = whole.headers.get('x-output-url');
  assert.match(wholeId ?? '', /^out_[a-z2-7]{16}$/);
  assert.ok(urlHeader, 'a non-streamed response carries X-Output-Url');
  const wholeBytes = Buffer.from(await whole.arrayBuffer());
  await assertProbes(wholeBytes, 'mp3');

  const streamed = await postJson(`${url}/v1/tts`, { text: STREAMED_TEXT, language: 'en', format: 'opus', stream: true, store: true }, json(acme));
  assert.equal(streamed.status, 200, await streamed.clone().text());
  const streamedId = streamed.headers.get('x-output-id');
  assert.match(streamedId ?? '', /^out_[a-z2-7]{16}$/);
  assert.equal(streamed.headers.get('x-output-url'), null, 'a streamed response has no URL header');
  const streamedBytes = Buffer.from(await streamed.arrayBuffer());
  await assertProbes(streamedBytes, 'opus');

  // The official client, `store` sent as an extra body field.
  const client = new OpenAI({ apiKey: ACME_KEY, baseURL: `${url}/v1`, maxRetries: 0 });
  const params = { model: 'tts-1', input: OPENAI_TEXT, voice: 'alloy', response_format: 'flac', store: true } as OpenAI.Audio.SpeechCreateParams;
  const { data, response } = await client.audio.speech.create(params).withResponse();
  const openaiId = response.headers.get('x-output-id');
  assert.match(openaiId ?? '', /^out_[a-z2-7]{16}$/);
  const openaiBytes = Buffer.from(await data.arrayBuffer());
  await assertProbes(openaiBytes, 'flac');

  return {
    whole: { id: wholeId as string, bytes: wholeBytes, urlHeader },
    streamed: { id: streamedId as string, bytes: streamedBytes },
    openai: { id: openaiId as string, bytes: openaiBytes },
  };
}

/** The stored bytes equal the received bytes; metadata says what they are. */
export async function checkStored(url: string, flow: StoredFlow): Promise<void> {
  const cases = [
    { ...flow.whole, format: 'mp3', contentType: 'audio/mpeg', codec: 'mp3', characters: [...WHOLE_TEXT].length },
    { ...flow.streamed, format: 'opus', contentType: 'audio/ogg; codecs=opus', codec: 'opus', characters: [...STREAMED_TEXT].length },
    { ...flow.openai, format: 'flac', contentType: 'audio/flac', codec: 'flac', characters: [...OPENAI_TEXT].length },
  ];
  for (const c of cases) {
    const meta = await getOutput(url, c.id, acme);
    assert.equal(meta.id, c.id);
    assert.equal(meta.format, c.format);
    assert.equal(meta.contentType, c.contentType);
    assert.equal(meta.bytes, c.bytes.length);
    assert.equal(meta.characters, c.characters);
    assert.equal(meta.engine, 'espeak');
    assert.ok(meta.voice.length > 0);
    assert.ok(meta.audioSeconds > 0.5 && meta.audioSeconds < 30, `audioSeconds ${meta.audioSeconds}`);
    const stored = await outputAudio(url, c.id, acme);
    assert.deepEqual(stored.bytes, c.bytes, `${c.format}: the stored bytes are the bytes the client received`);
    assert.equal(stored.contentType, c.contentType);
    await assertProbes(stored.bytes, c.codec);
  }
}

/** The listing is acme's, newest first, paged with limit/after. */
export async function checkList(url: string, ids: string[]): Promise<void> {
  const all = (await (await fetch(`${url}/v1/outputs`, { headers: acme })).json()) as { data: OutputWire[]; hasMore: boolean };
  assert.deepEqual(all.data.map((o) => o.id), [...ids].reverse(), 'newest first');
  assert.equal(all.hasMore, false);
  const seen: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = (await (await fetch(`${url}/v1/outputs?limit=1${after ? `&after=${after}` : ''}`, { headers: acme })).json()) as { data: OutputWire[]; hasMore: boolean };
    assert.equal(page.data.length, 1);
    seen.push((page.data[0] as OutputWire).id);
    after = (page.data[0] as OutputWire).id;
    if (!page.hasMore) break;
  }
  assert.deepEqual(seen, all.data.map((o) => o.id), 'pages of one give the same order');
  await expectError(await fetch(`${url}/v1/outputs?limit=0`, { headers: acme }), 400, 'invalid_value');
  await expectError(await fetch(`${url}/v1/outputs?after=out_aaaaaaaaaaaaaaaa`, { headers: acme }), 400, 'invalid_value', 'after');
}

/** globex sees none of acme's outputs on any route: 404 output_not_found, exactly as for an id that never existed. */
export async function checkIsolation(url: string, id: string): Promise<void> {
  const theirs = (await (await fetch(`${url}/v1/outputs`, { headers: globex })).json()) as { data: OutputWire[] };
  assert.deepEqual(theirs.data, []);
  await expectError(await fetch(`${url}/v1/outputs?after=${id}`, { headers: globex }), 400, 'invalid_value', 'after');
  await expectError(await fetch(`${url}/v1/outputs/${id}`, { headers: globex }), 404, 'output_not_found');
  await expectError(await fetch(`${url}/v1/outputs/${id}/audio`, { headers: globex, redirect: 'manual' }), 404, 'output_not_found');
  await expectError(await fetch(`${url}/v1/outputs/${id}`, { method: 'DELETE', headers: globex }), 404, 'output_not_found');
  await expectError(await fetch(`${url}/v1/outputs/out_aaaaaaaaaaaaaaaa`, { headers: globex }), 404, 'output_not_found');
  await expectError(await fetch(`${url}/v1/outputs/not-an-id`, { headers: globex }), 404, 'output_not_found');
  // Still there for its owner.
  assert.equal((await getOutput(url, id, acme)).id, id);
}

/** Output rows in DATA_DIR/cosyfleet.db, read with a separate connection. */
export function outputRows(dataDir: string): { tenant: string; id: string }[] {
  const db = new Database(join(dataDir, 'cosyfleet.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT tenant, id FROM outputs ORDER BY id').all() as { tenant: string; id: string }[];
  } finally {
    db.close();
  }
}
