// S3BlobStore against a real S3-protocol server (s3rver on loopback; it checks the access key
// and a presigned URL's expiry, not SigV4 signatures themselves): the BlobStore contract, the key prefix, presigned URLs fetched with plain fetch
// (and refused once expired), the CloudFront form, and keys that never leave BLOB_KEY.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InvalidBlobKeyError } from './blob-store.js';
import { S3BlobStore } from './s3-blob-store.js';
import { S3RVER_CREDENTIALS, startS3, type TestS3 } from '../../test/helpers/s3.js';

let s3: TestS3;
const stores: S3BlobStore[] = [];
const open = (options: { prefix?: string; cloudfrontDomain?: string } = {}) => {
  const store = new S3BlobStore({ bucket: s3.bucket, region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: { ...S3RVER_CREDENTIALS }, ...options });
  stores.push(store);
  return store;
};

before(async () => {
  s3 = await startS3();
});
after(async () => {
  for (const store of stores) store.close();
  await s3.close();
});

describe('S3BlobStore', () => {
  it('stores, reads, replaces, lists and deletes objects under their keys', async () => {
    const store = open();
    assert.equal(await store.get('voices/v1/original'), null);
    assert.equal(await store.exists('voices/v1/original'), false);
    await store.put('voices/v1/original', Buffer.from('first'));
    await store.put('voices/v1/prompt', new Uint8Array([1, 2, 3]));
    await store.put('outputs/acme/out_a', Buffer.alloc(0));
    assert.equal((await store.get('voices/v1/original'))?.toString(), 'first');
    assert.deepEqual([...((await store.get('voices/v1/prompt')) ?? [])], [1, 2, 3]);
    assert.equal((await store.get('outputs/acme/out_a'))?.length, 0, 'an empty object is an object');
    await store.put('voices/v1/original', Buffer.from('second'));
    assert.equal((await store.get('voices/v1/original'))?.toString(), 'second');
    const listed = await store.list('voices/');
    assert.deepEqual(listed.map((o) => o.key).sort(), ['voices/v1/original', 'voices/v1/prompt']);
    assert.ok(listed.every((o) => Number.isFinite(o.modifiedMs) && o.modifiedMs > 0));
    assert.equal(await store.delete('voices/v1/original'), true);
    assert.equal(await store.delete('voices/v1/original'), false, 'a second delete finds nothing');
    assert.equal(await store.exists('voices/v1/original'), false);
    assert.equal(await store.removeTemporaries(0), 0, 'S3 puts leave no temporaries');
  });

  it('keeps every key under its prefix, and lists only its own keys', async () => {
    const a = open({ prefix: 'tenant-a/cosyfleet/' });
    const b = open({ prefix: 'tenant-b' });
    await a.put('voices/v2/prompt', Buffer.from('a'));
    await b.put('voices/v2/prompt', Buffer.from('b'));
    assert.equal((await a.get('voices/v2/prompt'))?.toString(), 'a');
    assert.equal((await b.get('voices/v2/prompt'))?.toString(), 'b');
    assert.deepEqual((await a.list('voices/')).map((o) => o.key), ['voices/v2/prompt']);
    const root = open();
    assert.equal((await root.get('tenant-a/cosyfleet/voices/v2/prompt'))?.toString(), 'a', 'the object key is prefix/key');
    assert.ok(!(await root.list('voices/')).some((o) => o.key.includes('v2')), 'the root store does not see prefixed objects as its own');
  });

  it('refuses keys outside BLOB_KEY before any request', async () => {
    const store = open();
    for (const key of ['../x', '/voices/a', 'voices//a', 'Voices/A', 'voices/a.b', 'voices/a?x=1']) {
      await assert.rejects(store.put(key, Buffer.from('x')), InvalidBlobKeyError, key);
      await assert.rejects(store.get(key), InvalidBlobKeyError, key);
      await assert.rejects(store.url(key, 60), InvalidBlobKeyError, key);
    }
  });

  it('a presigned URL serves the bytes to plain fetch, without credentials, until it expires', async () => {
    const store = open({ prefix: 'signed' });
    const bytes = Buffer.from('RIFF....fake audio bytes');
    await store.put('outputs/acme/out_b', bytes, { contentType: 'audio/wav' });
    const url = await store.url('outputs/acme/out_b', 60);
    assert.match(url, /X-Amz-Signature=/);
    assert.match(url, /X-Amz-Expires=60(&|$)/);
    assert.ok(url.startsWith(`${s3.endpoint}/${s3.bucket}/signed/outputs/acme/out_b?`), url);
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'audio/wav', 'served with the type it was put with');
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);

    // Signed an hour ago for one second: the server refuses it as expired.
    const expired = await store.presignedUrl('outputs/acme/out_b', 1, new Date(Date.now() - 3_600_000));
    const refused = await fetch(expired);
    assert.equal(refused.status, 403);
    assert.match(await refused.text(), /expired/i);
  });

  it('with a CloudFront domain, the URL is https://<domain>/<object key>', async () => {
    const store = open({ prefix: 'media', cloudfrontDomain: 'd111111abcdef8.cloudfront.net' });
    assert.equal(await store.url('outputs/acme/out_d', 60), 'https://d111111abcdef8.cloudfront.net/media/outputs/acme/out_d');
  });
});
