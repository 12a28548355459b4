// A real S3-protocol server on loopback for tests: s3rver (an S3 implementation over a
// directory) on a free port, with one bucket, in a temporary directory of its own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/** s3rver's fixed credentials (it refuses other access keys; SigV4 signatures it does not verify). */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface TestS3 {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  bucket: string;
  close(): Promise<void>;
}

export async function startS3(bucket = 'cosyfleet-test'): Promise<TestS3> {
  const directory = mkdtempSync(join(tmpdir(), 'cosyfleet-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const address = (await server.run()) as { port: number };
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    bucket,
    close: async () => {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * Puts s3rver's credentials where the AWS SDK's default provider chain looks first (the
 * environment), so the service finds them exactly as it would in production; region and
 * endpoint are cosyfleet settings. Tests run one file per process, so this touches no other test.
 */
export function useS3rverCredentials(): void {
  process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
  // Never ask an instance-metadata endpoint (a slow timeout off EC2).
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
}
