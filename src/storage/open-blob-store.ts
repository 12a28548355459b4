// The BlobStore OBJECT_STORE names: the filesystem under DATA_DIR/blobs, or an S3 bucket (which
// then holds voice recordings and stored outputs alike, so several instances can share them).
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import type { BlobStore } from './blob-store.js';
import { FsBlobStore } from './fs-blob-store.js';
import { S3BlobStore } from './s3-blob-store.js';

type BlobConfig = Pick<Config, 'objectStore' | 'dataDir' | 's3Bucket' | 's3Prefix' | 's3Region' | 's3Endpoint' | 's3ForcePathStyle' | 'cloudfrontDomain'>;

export function openBlobStore(config: BlobConfig): { store: BlobStore; close(): void } {
  if (config.objectStore === 'fs') return { store: new FsBlobStore(join(config.dataDir, 'blobs')), close: () => {} };
  const store = new S3BlobStore({
    bucket: config.s3Bucket,
    prefix: config.s3Prefix,
    region: config.s3Region,
    endpoint: config.s3Endpoint,
    forcePathStyle: config.s3ForcePathStyle,
    cloudfrontDomain: config.cloudfrontDomain,
  });
  return { store, close: () => store.close() };
}
