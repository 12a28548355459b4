// Stored outputs with the filesystem object store (OBJECT_STORE=fs, the default), over real
// HTTP on loopback with two tenants' keys: store:true on both synthesis routes (streamed and
// not, the official openai client included), list/get/audio/delete, tenant isolation on every
// route, a stream that is cancelled or fails stores nothing, and the retention sweep (run
// directly, as the timer runs it, on the server's own database and blob directory).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';
import { blobFiles, expectError } from '../helpers/voices.js';
import { waitFor } from '../helpers/wait.js';
import { ObservedEngine } from '../helpers/observed-engine.js';
import { acme, checkIsolation, checkList, checkStored, getOutput, json, outputAudio, storeThree, TWO_TENANTS, type StoredFlow } from '../helpers/outputs.js';
import { EspeakEngine } from '../../src/engines/espeak/engine.js';
import { FsBlobStore } from '../../src/storage/fs-blob-store.js';
import { SqliteOutputStore } from '../../src/storage/sqlite-output-store.js';
import { OutputService } from '../../src/outputs/service.js';
import { openDatabase } from '../../src/storage/sqlite.js';

const LONG = Array.from({ length: 10 }, (_, i) => `This is sentence number ${i + 1} of a long text that streams.`).join(' ');

describe('stored outputs (OBJECT_STORE=fs)', () => {
  let server: TestServer;
  let flow: StoredFlow;
  before(async () => {
    server = await startTestServer({ ...TWO_TENANTS });
    flow = await storeThree(server.url);
  });
  after(async () => server.close());

  it('store:true keeps the bytes each client received, in its format, under DATA_DIR/blobs/outputs/<tenant>/<id>', async () => {
    assert.equal(flow.whole.urlHeader, `/v1/outputs/${flow.whole.id}/audio`, 'fs: the URL is the service\'s own route');
    await checkStored(server.url, flow);
    const files = await blobFiles(server.config.dataDir);
    for (const id of [flow.whole.id, flow.streamed.id, flow.openai.id]) assert.ok(files.includes(`outputs/acme/${id}`), id);
    const meta = await getOutput(server.url, flow.whole.id, acme);
    assert.equal(meta.url, `/v1/outputs/${flow.whole.id}/audio`);
    assert.equal(Date.parse(meta.expiresAt as string) - Date.parse(meta.createdAt), 30 * 86_400_000, 'OUTPUT_RETENTION_DAYS defaults to 30');
  });

  it('without store (or store:false) nothing is kept and no header is sent', async () => {
    const before = await blobFiles(server.config.dataDir);
    for (const body of [{ text: 'Not kept.' }, { text: 'Not kept either.', store: false, stream: true }]) {
      const res = await postJson(`${server.url}/v1/tts`, { ...body, language: 'en' }, json(acme));
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-output-id'), null);
      await res.arrayBuffer();
    }
    assert.deepEqual(await blobFiles(server.config.dataDir), before);
  });

  it('lists the caller\'s outputs newest first, with limit/after pages', async () => {
    await checkList(server.url, [flow.whole.id, flow.streamed.id, flow.openai.id]);
  });

  it('another tenant gets 404 output_not_found on every outputs route', async () => {
    await checkIsolation(server.url, flow.whole.id);
  });

  it('refusals before the first byte keep nothing: a bad store value, a bad request with store:true', async () => {
    await expectError(await postJson(`${server.url}/v1/tts`, { text: 'x', store: 'yes' }, json(acme)), 400, 'invalid_type');
    await expectError(await postJson(`${server.url}/v1/tts`, { text: 'x', store: true, voice: 'nobody' }, json(acme)), 400, 'unknown_voice');
    const list = (await (await fetch(`${server.url}/v1/outputs`, { headers: acme })).json()) as { data: unknown[] };
    assert.equal(list.data.length, 3);
  });

  it('DELETE removes the row and the object; afterwards every route answers 404', async () => {
    const res = await fetch(`${server.url}/v1/outputs/${flow.openai.id}`, { method: 'DELETE', headers: acme });
    assert.equal(res.status, 204);
    assert.ok(!(await blobFiles(server.config.dataDir)).includes(`outputs/acme/${flow.openai.id}`));
    await expectError(await fetch(`${server.url}/v1/outputs/${flow.openai.id}`, { headers: acme }), 404, 'output_not_found');
    await expectError(await fetch(`${server.url}/v1/outputs/${flow.openai.id}/audio`, { headers: acme }), 404, 'output_not_found');
    await expectError(await fetch(`${server.url}/v1/outputs/${flow.openai.id}`, { method: 'DELETE', headers: acme }), 404, 'output_not_found');
  });

  it('an expired output is 404 at once; the sweep deletes it (row, then object) and objects without a row', async () => {
    const dataDir = server.config.dataDir;
    // Time passes for one output: its expiry moves into the past in the server's own database.
    const db = new Database(join(dataDir, 'cosyfleet.db'));
    try {
      db.prepare('UPDATE outputs SET expires_at = ? WHERE id = ?').run(new Date(Date.now() - 1000).toISOString(), flow.streamed.id);
    } finally {
      db.close();
    }
    await expectError(await fetch(`${server.url}/v1/outputs/${flow.streamed.id}`, { headers: acme }), 404, 'output_not_found');
    const listed = (await (await fetch(`${server.url}/v1/outputs`, { headers: acme })).json()) as { data: { id: string }[] };
    assert.deepEqual(listed.data.map((o) => o.id), [flow.whole.id], 'the expired output is not listed');
    assert.ok((await blobFiles(dataDir)).includes(`outputs/acme/${flow.streamed.id}`), 'not swept yet');

    // What a crash between a save's object and its row leaves: an object nobody points to.
    const blobs = new FsBlobStore(join(dataDir, 'blobs'));
    await blobs.put('outputs/acme/out_orphanorphanorph', Buffer.from('orphan'));
    const database = openDatabase(join(dataDir, 'cosyfleet.db'));
    try {
      const service = new OutputService({ store: new SqliteOutputStore(database), blobs, retentionDays: 30, urlTtlS: 3600 });
      // Within the grace period the orphan may be a save in flight: kept.
      assert.deepEqual(await service.sweep(3_600_000), { expired: 1, orphans: 0 });
      assert.ok((await blobFiles(dataDir)).includes('outputs/acme/out_orphanorphanorph'));
      assert.ok(!(await blobFiles(dataDir)).includes(`outputs/acme/${flow.streamed.id}`), 'the expired output\'s object is gone');
      assert.deepEqual(await service.sweep(0), { expired: 0, orphans: 1 });
      // 31 days on, the last output expires too.
      assert.deepEqual(await service.sweep(0, Date.now() + 31 * 86_400_000), { expired: 1, orphans: 0 });
    } finally {
      database.close();
    }
    assert.deepEqual((await blobFiles(dataDir)).filter((f) => f.startsWith('outputs/')), []);
    const rows = new Database(join(dataDir, 'cosyfleet.db'), { readonly: true });
    try {
      assert.deepEqual(rows.prepare('SELECT id FROM outputs').all(), []);
    } finally {
      rows.close();
    }
    await expectError(await fetch(`${server.url}/v1/outputs/${flow.whole.id}/audio`, { headers: acme }), 404, 'output_not_found');
  });
});

describe('stored outputs: OUTPUT_RETENTION_DAYS=0 keeps them', () => {
  it('expiresAt is null and the sweep leaves the output alone', async () => {
    const server = await startTestServer({ outputRetentionDays: 0 });
    try {
      const res = await postJson(`${server.url}/v1/tts`, { text: 'Kept for good.', language: 'en', format: 'wav', store: true });
      assert.equal(res.status, 200);
      const id = res.headers.get('x-output-id') as string;
      const bytes = Buffer.from(await res.arrayBuffer());
      assert.equal((await getOutput(server.url, id, {})).expiresAt, null);
      const database = openDatabase(join(server.config.dataDir, 'cosyfleet.db'));
      try {
        const service = new OutputService({ store: new SqliteOutputStore(database), blobs: new FsBlobStore(join(server.config.dataDir, 'blobs')), retentionDays: 0, urlTtlS: 3600 });
        assert.deepEqual(await service.sweep(0, Date.now() + 3650 * 86_400_000), { expired: 0, orphans: 0 });
      } finally {
        database.close();
      }
      assert.deepEqual((await outputAudio(server.url, id, {})).bytes, bytes);
    } finally {
      await server.close();
    }
  });
});

describe('stored outputs: a stream that does not complete stores nothing', () => {
  const nothingStored = async (server: TestServer) => {
    const list = (await (await fetch(`${server.url}/v1/outputs`)).json()) as { data: unknown[] };
    assert.deepEqual(list.data, [], 'no row');
    assert.deepEqual((await blobFiles(server.config.dataDir)).filter((f) => f.startsWith('outputs/')), [], 'no object, not even a partial one');
  };

  it('a client that cancels mid-stream', async () => {
    const engine = new ObservedEngine(new EspeakEngine({ workers: 1 }));
    engine.holdSegment = 2;
    const server = await startTestServer({ maxSegmentChars: 60, segmentLookahead: 1 }, { engine });
    try {
      const controller = new AbortController();
      const res = await postJson(`${server.url}/v1/tts`, { text: LONG, language: 'en', format: 'wav', stream: true, store: true }, { signal: controller.signal });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('x-output-id') ?? '', /^out_/);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      await reader.read();
      await waitFor(() => engine.events.includes('segment 2 held'), 'segment 2 to be reached');
      controller.abort();
      await waitFor(() => engine.abortedSignals > 0, 'the engine signal to abort');
      engine.release();
      await waitFor(() => server.app.engine.scheduler.stats().activeJobs === 0, 'no job left');
      assert.equal(server.app.engine.scheduler.stats().outcomes.cancelled, 1, 'the job ended as cancelled');
      await nothingStored(server);
    } finally {
      await server.close();
    }
  });

  it('a stream cut by an engine failure after its first audio', async () => {
    const engine = new ObservedEngine(new EspeakEngine({ workers: 1 }));
    engine.failSegment = 1;
    const server = await startTestServer({ maxSegmentChars: 60, workerCrashRetries: 0 }, { engine });
    try {
      const res = await postJson(`${server.url}/v1/tts`, { text: LONG, language: 'en', format: 'wav', stream: true, store: true });
      assert.equal(res.status, 200);
      await assert.rejects(res.arrayBuffer(), 'the chunked response is truncated');
      await waitFor(() => server.app.engine.scheduler.stats().activeJobs === 0, 'no job left');
      await nothingStored(server);
    } finally {
      await server.close();
    }
  });
});
