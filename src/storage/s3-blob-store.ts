// BlobStore in an S3 bucket (AWS S3, or any S3-compatible server: MinIO, Ceph RGW, R2, ...),
// through the AWS SDK v3. Credentials are never settings: the SDK's default provider chain finds
// them (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, AWS_PROFILE and the shared
// ~/.aws files, web identity (EKS IRSA), ECS task role, EC2 instance profile), so no secret sits in
// cosyfleet's configuration. A PutObject is atomic on S3 (readers see the old object or the new
// one), so puts leave no temporaries behind and removeTemporaries has nothing to do.
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { assertBlobKey, BLOB_KEY, type UrlBlobStore } from './blob-store.js';

export interface S3BlobStoreOptions {
  readonly bucket: string;
  /** Prepended to every key (`tenant-a/cosyfleet`); '' = keys at the bucket's root. Slashes at its ends are ignored. */
  readonly prefix?: string;
  /** Empty: the SDK's own lookup (AWS_REGION, the profile's region). */
  readonly region?: string;
  /** An S3-compatible server's base URL (http://minio:9000); empty = AWS. */
  readonly endpoint?: string;
  /** Address the bucket in the path (endpoint/bucket/key) rather than as a subdomain; most S3-compatible servers need it. */
  readonly forcePathStyle?: boolean;
  /** With it, url() answers https://<domain>/<object key> (a CloudFront distribution in front of the bucket) instead of a presigned S3 URL. */
  readonly cloudfrontDomain?: string;
  /** Explicit credentials (programmatic use); absent: the SDK's default provider chain. */
  readonly credentials?: S3ClientConfig['credentials'];
}

/** Longest a SigV4 presigned URL may live (7 days). */
export const MAX_PRESIGN_SECONDS = 604_800;

export class S3BlobStore implements UrlBlobStore {
  readonly bucket: string;
  private readonly prefix: string;
  private readonly client: S3Client;
  private readonly cloudfrontDomain: string;

  constructor(options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    this.prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.cloudfrontDomain = (options.cloudfrontDomain ?? '').replace(/^https?:\/\//, '').replace(/\/+$/, '');
    this.client = new S3Client({
      ...(options.region ? { region: options.region } : {}),
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle ?? false,
      ...(options.credentials ? { credentials: options.credentials } : {}),
      // The SDK's default (a CRC32 on every request, streamed bodies as aws-chunked with a
      // trailer) is refused by many S3-compatible servers; a checksum only where S3 requires one
      // works everywhere, and puts carry a Content-Length and a SigV4 payload hash anyway.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async put(key: string, bytes: Uint8Array, options: { contentType?: string } = {}): Promise<void> {
    // The content type is what a presigned or CloudFront URL answers with.
    const type = options.contentType ? { ContentType: options.contentType } : {};
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), Body: bytes, ContentLength: bytes.length, ...type }));
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      if (!out.Body) return Buffer.alloc(0);
      return Buffer.from(await out.Body.transformToByteArray());
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<boolean> {
    // S3's DeleteObject succeeds whether or not the object existed, so ask first; a concurrent
    // delete between the two can only make this answer true for an object that just went.
    if (!(await this.exists(key))) return false;
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
    return true;
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async list(prefix: string): Promise<{ key: string; modifiedMs: number }[]> {
    const out: { key: string; modifiedMs: number }[] = [];
    const base = this.prefix === '' ? '' : `${this.prefix}/`;
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: base + prefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined || !object.Key.startsWith(base)) continue;
        const key = object.Key.slice(base.length);
        // Objects this store did not write (another tool's, under the same prefix) are left alone.
        if (!BLOB_KEY.test(key)) continue;
        out.push({ key, modifiedMs: object.LastModified?.getTime() ?? Date.now() });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async removeTemporaries(_olderThanMs?: number): Promise<number> {
    return 0;
  }

  /**
   * A URL that serves the object without cosyfleet: https://<CLOUDFRONT_DOMAIN>/<object key> when
   * a domain is set (the distribution's own policy, e.g. signed cookies, governs access; the
   * expiry applies to S3 URLs only), else a SigV4 presigned GET valid for `expiresInS` seconds.
   */
  async url(key: string, expiresInS: number): Promise<string> {
    const objectKey = this.objectKey(key);
    if (this.cloudfrontDomain !== '') return `https://${this.cloudfrontDomain}/${objectKey}`;
    const seconds = Math.max(1, Math.min(MAX_PRESIGN_SECONDS, Math.floor(expiresInS)));
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }), { expiresIn: seconds });
  }

  /** Presigns with a chosen signing time (tests: a URL that has already expired). */
  async presignedUrl(key: string, expiresInS: number, signingDate: Date): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }), { expiresIn: expiresInS, signingDate });
  }

  close(): void {
    this.client.destroy();
  }

  private objectKey(key: string): string {
    assertBlobKey(key);
    return this.prefix === '' ? key : `${this.prefix}/${key}`;
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}
