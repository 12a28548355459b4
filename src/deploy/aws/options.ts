// What the user chooses beyond the plan (`cosyfleet deploy aws --help` lists each).
export type VpcChoice =
  | { kind: 'new'; maxAzs: number }
  /** An existing VPC by its ids: no lookup, so synth stays offline. */
  | { kind: 'existing'; vpcId: string; vpcCidr: string; availabilityZones: string[]; publicSubnetIds: string[]; privateSubnetIds: string[] };

export interface DeployOptions {
  stackName: string;
  /** Optional: without it the stack is environment-agnostic (the account comes from the CLI's credentials at deploy). */
  account?: string;
  modelBucket: string;
  /** Key prefix of the model directory in modelBucket (its last segment names the directory on the instance). */
  modelPrefix: string;
  /** Key in modelBucket of the `npm pack` tarball of a built cosyfleet checkout. */
  appKey: string;
  domainName?: string;
  certificateArn?: string;
  vpc: VpcChoice;
  apiKeysSecretName: string;
  rds: boolean;
  alarmEmail?: string;
  cloudWatchAgent: boolean;
  /** `plan`: the server the plan's engine names; `cosyvoice`: cosyfleet's own workers (process mode). */
  engine: 'plan' | 'cosyvoice';
  /** An SSM parameter holding the AMI id, instead of the Deep Learning Base AMI's (a baked image). */
  amiParameter?: string;
  rootVolumeGiB: number;
}

export const PORT = 8080;

/**
 * The public SSM parameters of AWS's Deep Learning Base OSS NVIDIA Driver GPU AMI (Ubuntu 22.04:
 * Python 3.10, the CosyVoice environment's), and Canonical's Ubuntu 22.04 for CPU plans.
 */
export const AMI_PARAMETERS = {
  gpu: {
    x86_64: '/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id',
    arm64: '/aws/service/deeplearning/ami/arm64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id',
  },
  cpu: {
    x86_64: '/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id',
    arm64: '/aws/service/canonical/ubuntu/server/22.04/stable/current/arm64/hvm/ebs-gp2/ami-id',
  },
} as const;

export const DEFAULTS = {
  modelPrefix: 'models/Fun-CosyVoice3-0.5B',
  appKey: 'cosyfleet/cosyfleet.tgz',
  rootVolumeGiB: 150,
};
