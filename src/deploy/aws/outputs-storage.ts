// Stored outputs: a private, encrypted, SSL-only bucket with the lifecycle the plan priced
// (its transitions, and expiry at the workload's retention) on the service's `outputs/` keys,
// CloudFront in front of it through origin access control, and one log bucket for the
// balancer's, the bucket's and the distribution's access logs.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { justify } from './nag.js';
import { Construct } from 'constructs';

/** The planner's storage classes (workload.ts STORAGE_CLASSES) as S3 lifecycle names them. */
export const STORAGE_CLASS: Record<string, s3.StorageClass> = {
  STANDARD_IA: s3.StorageClass.INFREQUENT_ACCESS,
  ONEZONE_IA: s3.StorageClass.ONE_ZONE_INFREQUENT_ACCESS,
  GLACIER_IR: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
  GLACIER: s3.StorageClass.GLACIER,
  DEEP_ARCHIVE: s3.StorageClass.DEEP_ARCHIVE,
};

/** The service's key prefix for stored outputs (src/outputs/ids.ts). */
export const OUTPUTS_PREFIX = 'outputs/';

export interface OutputsStorageProps {
  lifecycle: { afterDays: number; storageClass: string }[];
  retentionDays: number;
}

export class OutputsStorage extends Construct {
  readonly bucket: s3.Bucket;
  readonly logs: s3.Bucket;
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: OutputsStorageProps) {
    super(scope, id);
    this.logs = new s3.Bucket(this, 'Logs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // CloudFront's standard logs are delivered with an ACL grant.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    justify(this.logs, [
      { id: 'AwsSolutions-S1', reason: 'This is the access-log bucket itself: logging it into itself would log its own log deliveries without end.' },
    ]);

    const transitions = props.lifecycle.map((step) => {
      const storageClass = STORAGE_CLASS[step.storageClass];
      if (!storageClass) throw new Error(`storage class ${step.storageClass} has no S3 lifecycle name here (known: ${Object.keys(STORAGE_CLASS).join(', ')})`);
      return { storageClass, transitionAfter: Duration.days(step.afterDays) };
    });
    this.bucket = new s3.Bucket(this, 'Outputs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: this.logs,
      serverAccessLogsPrefix: 'outputs-bucket/',
      lifecycleRules: [
        {
          id: 'plan-lifecycle',
          prefix: OUTPUTS_PREFIX,
          ...(transitions.length > 0 ? { transitions } : {}),
          ...(props.retentionDays > 0 ? { expiration: Duration.days(props.retentionDays) } : {}),
        },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.distribution = new cloudfront.Distribution(this, 'Cdn', {
      comment: 'cosyfleet stored outputs',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
      },
      // Audio goes to listeners everywhere; the plan priced the delivery of all of it.
      priceClass: cloudfront.PriceClass.PRICE_CLASS_ALL,
      enableLogging: true,
      logBucket: this.logs,
      logFilePrefix: 'cloudfront/',
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
    });
    justify(this.distribution, [
      { id: 'AwsSolutions-CFR1', reason: 'Stored outputs are served wherever the API\'s clients are; the service, not geography, decides who gets an output URL.' },
      { id: 'AwsSolutions-CFR2', reason: 'The distribution serves immutable audio objects by unguessable keys from a private bucket (origin access control); a WAF web ACL (from $5/month + per-request) is not in the plan\'s price. Attach one to the distribution if your policy asks for it.' },
      {
        id: 'AwsSolutions-CFR4',
        reason: 'Served on the default *.cloudfront.net certificate, where CloudFront allows TLSv1 regardless of minimumProtocolVersion; a custom domain with its own certificate lifts it.',
      },
    ]);
  }
}
