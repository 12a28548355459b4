// OBJECT_STORE and the S3 settings, checked together at boot: a bucket that is missing or an
// endpoint that is not a URL should stop the process, not fail the first voice upload.
import { parseHttpBase } from './remote.js';

/** `/`-separated segments of letters, digits, `.`, `_`, `-`, none of them `.` or `..`. */
const PREFIX = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;
/** A DNS name (a CloudFront distribution or an alternate domain), nothing else. */
const DOMAIN = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function objectStoreProblems(settings: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const s3 = settings.objectStore === 's3';
  if (s3 && settings.s3Bucket === '') problems.push('S3_BUCKET: required when OBJECT_STORE=s3 (the bucket that holds voice recordings and stored outputs)');
  const prefix = String(settings.s3Prefix ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix !== '' && !PREFIX.test(prefix)) problems.push(`S3_PREFIX=${JSON.stringify(settings.s3Prefix)}: must be /-separated segments of letters, digits, ".", "_" and "-" (no "." or ".." segment)`);
  if (settings.s3Endpoint !== '' && settings.s3Endpoint !== undefined) {
    try {
      parseHttpBase(String(settings.s3Endpoint));
    } catch (err) {
      problems.push(`S3_ENDPOINT=${JSON.stringify(settings.s3Endpoint)}: ${(err as Error).message}`);
    }
  }
  const domain = String(settings.cloudfrontDomain ?? '');
  if (domain !== '' && !DOMAIN.test(domain)) problems.push(`CLOUDFRONT_DOMAIN=${JSON.stringify(domain)}: must be a host name such as d111111abcdef8.cloudfront.net (no scheme, path or port)`);
  return problems;
}
