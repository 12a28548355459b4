// OBJECT_STORE and the S3 settings are checked at boot, each problem naming its variable.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig({ env });
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
};

describe('object store settings', () => {
  it('defaults: fs, 1 h URLs, 30 days retention', () => {
    const config = loadConfig({ env: {} });
    assert.equal(config.objectStore, 'fs');
    assert.equal(config.outputUrlTtlS, 3600);
    assert.equal(config.outputRetentionDays, 30);
    assert.equal(config.s3ForcePathStyle, false);
  });

  it('s3 without a bucket is a config error naming S3_BUCKET', () => {
    const found = problems({ OBJECT_STORE: 's3' });
    assert.equal(found.length, 1);
    assert.match(found[0] as string, /^S3_BUCKET: required when OBJECT_STORE=s3/);
    assert.deepEqual(problems({ OBJECT_STORE: 's3', S3_BUCKET: 'b' }), []);
  });

  it('bad endpoint, prefix, CloudFront domain, TTL and store are named', () => {
    const found = problems({ OBJECT_STORE: 'gcs', S3_ENDPOINT: 'minio:9000', S3_PREFIX: 'a/../b', CLOUDFRONT_DOMAIN: 'https://cdn.example.com/x', OUTPUT_URL_TTL_S: '604801', OUTPUT_RETENTION_DAYS: '-1' });
    for (const name of ['OBJECT_STORE', 'S3_ENDPOINT', 'S3_PREFIX', 'CLOUDFRONT_DOMAIN', 'OUTPUT_URL_TTL_S', 'OUTPUT_RETENTION_DAYS']) {
      assert.ok(found.some((p) => p.startsWith(`${name}=`)), `${name} in ${JSON.stringify(found)}`);
    }
    assert.deepEqual(problems({ OBJECT_STORE: 's3', S3_BUCKET: 'b', S3_ENDPOINT: 'http://127.0.0.1:9000', S3_PREFIX: '/svc/prod/', CLOUDFRONT_DOMAIN: 'd111111abcdef8.cloudfront.net', S3_FORCE_PATH_STYLE: 'true' }), []);
  });
});
