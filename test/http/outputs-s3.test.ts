// The stored-outputs flow with OBJECT_STORE=s3 against a real S3-protocol server (s3rver on
// loopback), credentials found by the AWS SDK's default chain (the environment) as in
// production: voice recordings and outputs land in the bucket (nothing under DATA_DIR/blobs),
// voices upload and speak from S3, X-Output-Url and the metadata's url are presigned URLs that
// plain fetch (no API key) reads, GET /v1/outputs/{id}/audio redirects there, delete removes
// the object, tenants stay apart, and a cancelled stream leaves nothing in the bucket.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';
import { blobFiles, expectError, TRANSCRIPT, uploadVoice } from '../helpers/voices.js';
import { startS3, S3RVER_CREDENTIALS, useS3rverCredentials, type TestS3 } from '../helpers/s3.js';
import { waitFor } from '../helpers/wait.js';
import { ObservedEngine } from '../helpers/observed-engine.js';
import { acme, checkIsolation, checkList, checkStored, getOutput, json, outputAudio, storeThree, TWO_TENANTS, type StoredFlow } from '../helpers/outputs.js';
import { EspeakEngine } from '../../src/engines/espeak/engine.js';
import { S3BlobStore } from '../../src/storage/s3-blob-store.js';

let s3: TestS3;
let bucket: S3BlobStore;
before(async () => {
  s3 = await startS3();
  useS3rverCredentials();
  // The test's own view of the bucket (under the service's prefix), to see what is stored.
  bucket = new S3BlobStore({ bucket: s3.bucket, prefix: 'svc', region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: { ...S3RVER_CREDENTIALS } });
});
after(async () => {
  bucket.close();
  await s3.close();
});

const s3Settings = () => ({ objectStore: 's3', s3Bucket: s3.bucket, s3Prefix: 'svc', s3Region: 'us-east-1', s3Endpoint: s3.endpoint, s3ForcePathStyle: true });
const keys = async (prefix: string) => (await bucket.list(prefix)).map((o) => o.key).sort();

describe('stored outputs and voices (OBJECT_STORE=s3)', () => {
  let server: TestServer;
  let flow: StoredFlow;
  before(async () => {
    server = await startTestServer({ ...TWO_TENANTS, ...s3Settings(), outputUrlTtlS: 120 });
    flow = await storeThree(server.url);
  });
  after(async () => server.close());

  it('a voice uploads to the bucket and speaks from it', async () => {
    const audio = await postJson(`${server.url}/v1/tts`, { text: TRANSCRIPT, language: 'en', format: 'wav' }, json(acme));
    assert.equal(audio.status, 200);
    const created = await uploadVoice(server.url, { audio: { bytes: new Uint8Array(await audio.arrayBuffer()) }, headers: acme });
    assert.equal(created.status, 201, await created.clone().text());
    const id = ((await created.json()) as { id: string }).id;
    assert.deepEqual(await keys(`voices/${id}/`), [`voices/${id}/original`, `voices/${id}/prompt`]);
    const normalized = await fetch(`${server.url}/v1/voices/${id}/audio`, { headers: acme });
    assert.equal(normalized.status, 200);
    assert.deepEqual(Buffer.from(await normalized.arrayBuffer()), await bucket.get(`voices/${id}/prompt`));
    const spoken = await postJson(`${server.url}/v1/tts`, { text: 'Spoken with a voice kept in S3.', voice: id, format: 'wav', store: true }, json(acme));
    assert.equal(spoken.status, 200, await spoken.clone().text());
    const outputId = spoken.headers.get('x-output-id') as string;
    assert.deepEqual(await bucket.get(`outputs/acme/${outputId}`), Buffer.from(await spoken.arrayBuffer()));
    assert.equal((await getOutput(server.url, outputId, acme)).voice, id);
    assert.equal((await fetch(`${server.url}/v1/outputs/${outputId}`, { method: 'DELETE', headers: acme })).status, 204);
    assert.equal((await fetch(`${server.url}/v1/voices/${id}`, { method: 'DELETE', headers: acme })).status, 204);
    assert.deepEqual(await keys(`voices/${id}/`), [], 'deleting the voice deletes its objects');
  });

  it('outputs are objects outputs/<tenant>/<id> in the bucket; nothing is written under DATA_DIR/blobs', async () => {
    for (const id of [flow.whole.id, flow.streamed.id, flow.openai.id]) assert.ok((await keys('outputs/acme/')).includes(`outputs/acme/${id}`), id);
    assert.deepEqual(await blobFiles(server.config.dataDir), []);
  });

  it('X-Output-Url and the metadata url are presigned URLs plain fetch reads; /audio redirects to one', async () => {
    assert.ok(flow.whole.urlHeader.startsWith(`${s3.endpoint}/${s3.bucket}/svc/outputs/acme/${flow.whole.id}?`), flow.whole.urlHeader);
    assert.match(flow.whole.urlHeader, /X-Amz-Expires=120(&|$)/, 'OUTPUT_URL_TTL_S');
    const direct = await fetch(flow.whole.urlHeader);
    assert.equal(direct.status, 200);
    assert.deepEqual(Buffer.from(await direct.arrayBuffer()), flow.whole.bytes);
    const meta = await getOutput(server.url, flow.streamed.id, acme);
    assert.match(meta.url, /X-Amz-Signature=/);
    assert.deepEqual(Buffer.from(await (await fetch(meta.url)).arrayBuffer()), flow.streamed.bytes);
    const viaRoute = await outputAudio(server.url, flow.openai.id, acme);
    assert.ok(viaRoute.redirected?.includes(`/svc/outputs/acme/${flow.openai.id}?`), 'a 302 to the object');
  });

  it('the stored bytes equal the received bytes, and ffprobe reads them', async () => {
    await checkStored(server.url, flow);
  });

  it('lists newest first with pages; other tenants get 404 everywhere', async () => {
    await checkList(server.url, [flow.whole.id, flow.streamed.id, flow.openai.id]);
    await checkIsolation(server.url, flow.whole.id);
  });

  it('DELETE removes the object from the bucket', async () => {
    assert.equal((await fetch(`${server.url}/v1/outputs/${flow.whole.id}`, { method: 'DELETE', headers: acme })).status, 204);
    assert.ok(!(await keys('outputs/acme/')).includes(`outputs/acme/${flow.whole.id}`));
    await expectError(await fetch(`${server.url}/v1/outputs/${flow.whole.id}/audio`, { headers: acme, redirect: 'manual' }), 404, 'output_not_found');
  });
});

describe('OBJECT_STORE=s3 with CLOUDFRONT_DOMAIN', () => {
  it('URLs are https://<domain>/<object key>', async () => {
    const server = await startTestServer({ ...s3Settings(), cloudfrontDomain: 'd111111abcdef8.cloudfront.net' });
    try {
      const res = await postJson(`${server.url}/v1/tts`, { text: 'Through the CDN.', language: 'en', store: true });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      const id = res.headers.get('x-output-id') as string;
      const expected = `https://d111111abcdef8.cloudfront.net/svc/outputs/default/${id}`;
      assert.equal(res.headers.get('x-output-url'), expected);
      assert.equal((await getOutput(server.url, id, {})).url, expected);
      const audio = await fetch(`${server.url}/v1/outputs/${id}/audio`, { redirect: 'manual' });
      assert.equal(audio.status, 302);
      assert.equal(audio.headers.get('location'), expected);
    } finally {
      await server.close();
    }
  });
});

describe('OBJECT_STORE=s3: a cancelled stream', () => {
  it('leaves no object in the bucket and no row', async () => {
    const engine = new ObservedEngine(new EspeakEngine({ workers: 1 }));
    engine.holdSegment = 2;
    const server = await startTestServer({ ...s3Settings(), s3Prefix: 'cancel', maxSegmentChars: 60, segmentLookahead: 1 }, { engine });
    const cancelBucket = new S3BlobStore({ bucket: s3.bucket, prefix: 'cancel', region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true });
    try {
      const text = Array.from({ length: 10 }, (_, i) => `This is sentence number ${i + 1} of a long text that streams.`).join(' ');
      const controller = new AbortController();
      const res = await postJson(`${server.url}/v1/tts`, { text, language: 'en', format: 'wav', stream: true, store: true }, { signal: controller.signal });
      assert.equal(res.status, 200);
      await (res.body as ReadableStream<Uint8Array>).getReader().read();
      await waitFor(() => engine.events.includes('segment 2 held'), 'segment 2 to be reached');
      controller.abort();
      await waitFor(() => engine.abortedSignals > 0, 'the engine signal to abort');
      engine.release();
      await waitFor(() => server.app.engine.scheduler.stats().activeJobs === 0, 'no job left');
      assert.deepEqual(await cancelBucket.list('outputs/'), []);
      assert.deepEqual(((await (await fetch(`${server.url}/v1/outputs`)).json()) as { data: unknown[] }).data, []);
    } finally {
      cancelBucket.close();
      await server.close();
    }
  });
});
