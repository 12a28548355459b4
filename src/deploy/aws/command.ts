// `cosyfleet deploy aws`: synthesize the CDK app for a plan in-process (offline, no AWS account),
// then hand `diff`/`deploy` to the AWS CDK CLI when it is installed, or print its exact command.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadCatalogFile, type Catalog } from '../../planner/catalog.js';
import { parseArgs, type Io } from '../../planner/command.js';
import { loadUserProfiles } from '../../planner/profiles.js';
import { PlannerInputError } from '../../planner/validate.js';
import { loadWorkloadFile } from '../../planner/workload.js';
import { buildFleetApp } from './app.js';
import { nagFindings } from './nag.js';
import { DEFAULTS, type DeployOptions, type VpcChoice } from './options.js';
import { onDemandBase, PlanFileError, REACTIVE_STRATEGIES, readPlan, SCHEDULED_STRATEGIES } from './plan-input.js';
import { capacityFor } from './scaling.js';
import { weeklySchedule } from './schedule.js';
import { ENGINE_SERVING } from './worker-settings.js';

export const DEPLOY_AWS_USAGE = `Usage: cosyfleet deploy aws --plan plan.json --workload workload.yaml --model-bucket BUCKET [options]

Synthesizes the AWS fleet a plan recommends (an AWS CDK app, in-process: no AWS account and no
CDK CLI needed for synth) into --out, checked by cdk-nag's AWS Solutions rules.

  --plan FILE                 the report of \`cosyfleet plan workload.yaml --format json\` (required)
  --workload FILE             the workload the plan was made from (required: retention, autoscale and
                              scale-to-zero settings, and the weekly schedule, which is sized again)
  --catalog FILE              the --catalog given to \`cosyfleet plan\`, if any
  --profile FILE              the --profile files given to \`cosyfleet plan\` (repeatable)
  --model-bucket NAME         your S3 bucket holding the model and the cosyfleet package (required)
  --model-prefix PREFIX       the model directory's key prefix (default ${DEFAULTS.modelPrefix})
  --app-key KEY               the \`npm pack\` tarball of a built cosyfleet (default ${DEFAULTS.appKey})
  --out DIR                   cloud assembly folder (default cdk.out)
  --action synth|diff|deploy  synth only (default), or synth then \`cdk diff\` / \`cdk deploy\`
  --stack-name NAME           CloudFormation stack name (default cosyfleet-<workload name>)
  --account ID                pin the stack to an account (default: the CLI's credentials at deploy)
  --engine plan|cosyvoice     plan: the server the plan's engine names (Triton + TensorRT-LLM, vLLM-Omni;
                              it must come with the AMI); cosyvoice: cosyfleet's own GPU workers (default plan)
  --ami-parameter NAME        an SSM parameter with your own AMI id (default: the Deep Learning Base GPU AMI's)
  --root-volume-gib N         encrypted gp3 root volume size (default ${DEFAULTS.rootVolumeGiB})
  --domain NAME               the API's host name (added to ALLOWED_HOSTS; point its DNS at the balancer)
  --certificate-arn ARN       ACM certificate for HTTPS on the balancer (HTTP then redirects)
  --vpc-id ID                 use this VPC instead of a new one, with (no lookups, so synth stays offline):
  --vpc-cidr CIDR               its IPv4 range (the service trusts X-Forwarded-For from there only)
  --availability-zones LIST     its zones, comma-separated
  --public-subnet-ids LIST      its public subnets (the balancer)
  --private-subnet-ids LIST     its private subnets with egress (instances, database)
  --max-azs N                 zones of a new VPC (default 2)
  --api-keys-secret NAME      Secrets Manager name of the generated API keys (default <stack>/api-keys)
  --rds                       add PostgreSQL (RDS, encrypted, private) for fleets of more than one node
  --alarm-email ADDRESS       mail alarms and budget notices here
  --no-cloudwatch-agent       no CloudWatch agent (only with always-on and schedule strategies: the others
                              scale on the service's /metrics, which the agent publishes)

diff and deploy run \`npx --no-install cdk … --app DIR\` when the AWS CDK CLI (npm package aws-cdk) is
installed; otherwise the exact command is printed for you to run. Details: docs/deployment.md, "AWS".
`;

const one = (flags: Map<string, string[]>, name: string) => flags.get(name)?.[0];
const list = (v: string | undefined) => (v ?? '').split(',').map((x) => x.trim()).filter(Boolean);

export async function runDeployAws(argv: readonly string[], io: Io): Promise<number> {
  const { positional, flags, problems } = parseArgs(argv, {
    '--plan': 'value', '--workload': 'value', '--catalog': 'value', '--profile': 'multi', '--model-bucket': 'value', '--model-prefix': 'value', '--app-key': 'value',
    '--out': 'value', '--action': 'value', '--stack-name': 'value', '--account': 'value', '--engine': 'value', '--ami-parameter': 'value', '--root-volume-gib': 'value',
    '--domain': 'value', '--certificate-arn': 'value', '--vpc-id': 'value', '--vpc-cidr': 'value', '--availability-zones': 'value', '--public-subnet-ids': 'value', '--private-subnet-ids': 'value',
    '--max-azs': 'value', '--api-keys-secret': 'value', '--rds': 'bool', '--alarm-email': 'value', '--no-cloudwatch-agent': 'bool', '--help': 'bool',
  });
  if (flags.has('--help')) {
    io.stdout.write(DEPLOY_AWS_USAGE);
    return 0;
  }
  if (positional.length > 0) problems.push(`unexpected argument ${positional.join(' ')}`);
  for (const required of ['--plan', '--workload', '--model-bucket']) if (!one(flags, required)) problems.push(`${required} is required`);
  const action = one(flags, '--action') ?? 'synth';
  if (!['synth', 'diff', 'deploy'].includes(action)) problems.push(`--action must be synth, diff or deploy, got ${action}`);
  const engine = one(flags, '--engine') ?? 'plan';
  if (engine !== 'plan' && engine !== 'cosyvoice') problems.push(`--engine must be plan or cosyvoice, got ${engine}`);
  const bucket = one(flags, '--model-bucket') ?? '';
  if (bucket && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) problems.push(`--model-bucket: not an S3 bucket name: ${bucket}`);
  const keyLike = /^[A-Za-z0-9!_.*'()/-]+$/;
  const modelPrefix = one(flags, '--model-prefix') ?? DEFAULTS.modelPrefix;
  const appKey = one(flags, '--app-key') ?? DEFAULTS.appKey;
  for (const [name, v] of [['--model-prefix', modelPrefix], ['--app-key', appKey]] as const) if (!keyLike.test(v) || v.includes('..')) problems.push(`${name}: letters, digits and !_.*'()/- only, got ${v}`);
  const rootText = one(flags, '--root-volume-gib');
  const rootVolumeGiB = rootText === undefined ? DEFAULTS.rootVolumeGiB : Number(rootText);
  if (!(Number.isSafeInteger(rootVolumeGiB) && rootVolumeGiB >= 30 && rootVolumeGiB <= 16384)) problems.push(`--root-volume-gib must be a whole number from 30 to 16384, got ${rootText}`);
  const maxAzsText = one(flags, '--max-azs');
  const maxAzs = maxAzsText === undefined ? 2 : Number(maxAzsText);
  if (!(Number.isSafeInteger(maxAzs) && maxAzs >= 2 && maxAzs <= 6)) problems.push(`--max-azs must be 2 to 6 (a load balancer needs two zones), got ${maxAzsText}`);
  const account = one(flags, '--account');
  if (account !== undefined && !/^\d{12}$/.test(account)) problems.push(`--account: 12 digits, got ${account}`);
  const cert = one(flags, '--certificate-arn');
  if (cert !== undefined && !/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/.test(cert)) problems.push(`--certificate-arn: not an ACM certificate ARN: ${cert}`);
  const domain = one(flags, '--domain');
  if (domain !== undefined && !/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(domain)) problems.push(`--domain: not a host name: ${domain}`);
  const email = one(flags, '--alarm-email');
  if (email !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) problems.push(`--alarm-email: not an address: ${email}`);
  let vpc: VpcChoice = { kind: 'new', maxAzs };
  const vpcId = one(flags, '--vpc-id');
  if (vpcId !== undefined) {
    const azs = list(one(flags, '--availability-zones'));
    const pub = list(one(flags, '--public-subnet-ids'));
    const priv = list(one(flags, '--private-subnet-ids'));
    const vpcCidr = one(flags, '--vpc-cidr') ?? '';
    if (!/^vpc-[0-9a-f]{8,17}$/.test(vpcId)) problems.push(`--vpc-id: not a VPC id: ${vpcId}`);
    if (!/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/.test(vpcCidr)) problems.push(`--vpc-id needs --vpc-cidr, the VPC's IPv4 range (e.g. 10.0.0.0/16), got ${vpcCidr || 'nothing'}`);
    if (azs.length < 2 || pub.length !== azs.length || priv.length !== azs.length) problems.push('--vpc-id needs --availability-zones (at least 2) and as many --public-subnet-ids and --private-subnet-ids, in the same order');
    for (const id of [...pub, ...priv]) if (!/^subnet-[0-9a-f]{8,17}$/.test(id)) problems.push(`not a subnet id: ${id}`);
    vpc = { kind: 'existing', vpcId, vpcCidr, availabilityZones: azs, publicSubnetIds: pub, privateSubnetIds: priv };
  } else if (['--vpc-cidr', '--availability-zones', '--public-subnet-ids', '--private-subnet-ids'].some((f) => flags.has(f))) problems.push('subnets and zones are for an existing VPC: add --vpc-id');
  if (problems.length > 0) {
    io.stderr.write(`${problems.map((p) => `cosyfleet deploy aws: ${p}`).join('\n')}\n\n${DEPLOY_AWS_USAGE}`);
    return 2;
  }

  const out = resolve(one(flags, '--out') ?? 'cdk.out');
  try {
    const workload = loadWorkloadFile(one(flags, '--workload') as string);
    const planPath = one(flags, '--plan') as string;
    let text: string;
    try {
      text = readFileSync(planPath, 'utf8');
    } catch (err) {
      throw new PlanFileError(`cannot read ${planPath}: ${(err as Error).message}`);
    }
    const plan = readPlan(text, workload);
    if (!ENGINE_SERVING[plan.engine]) throw new PlanFileError(`engine ${plan.engine}: no AWS recipe for it (known: ${Object.keys(ENGINE_SERVING).join(', ')})`);
    if (flags.has('--no-cloudwatch-agent') && REACTIVE_STRATEGIES.includes(plan.strategy)) {
      throw new PlanFileError(`--no-cloudwatch-agent: strategy ${plan.strategy} scales on the service's /metrics, which reach CloudWatch only through the agent`);
    }
    const catalogPath = one(flags, '--catalog');
    const catalog: Catalog | undefined = catalogPath ? loadCatalogFile(catalogPath) : undefined;
    const userProfiles = (flags.get('--profile') ?? []).flatMap((p) => loadUserProfiles(p));
    const schedule = SCHEDULED_STRATEGIES.includes(plan.strategy) ? weeklySchedule(plan, workload, { ...(catalog ? { catalog } : {}), userProfiles }) : undefined;
    const stackName = one(flags, '--stack-name') ?? `cosyfleet-${plan.workloadName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'fleet'}`.slice(0, 128);
    if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stackName)) throw new PlanFileError(`--stack-name: letters, digits and hyphens, starting with a letter: ${stackName}`);
    const options: DeployOptions = {
      stackName,
      ...(account ? { account } : {}),
      modelBucket: bucket,
      modelPrefix,
      appKey,
      ...(domain ? { domainName: domain } : {}),
      ...(cert ? { certificateArn: cert } : {}),
      vpc,
      apiKeysSecretName: one(flags, '--api-keys-secret') ?? `${stackName}/api-keys`,
      rds: flags.has('--rds'),
      ...(email ? { alarmEmail: email } : {}),
      cloudWatchAgent: !flags.has('--no-cloudwatch-agent'),
      engine: engine as 'plan' | 'cosyvoice',
      ...(one(flags, '--ami-parameter') ? { amiParameter: one(flags, '--ami-parameter') as string } : {}),
      rootVolumeGiB,
    };
    const { app, checks } = buildFleetApp({ plan, options, ...(schedule ? { schedule } : {}), outdir: out });
    try {
      app.synth();
    } catch (err) {
      const findings = nagFindings(checks, app);
      io.stderr.write(`cosyfleet deploy aws: synth failed: ${(err as Error).message}\n${findings.errors.map((e) => `  ${e}\n`).join('')}`);
      return 1;
    }
    const cap = capacityFor(plan, schedule);
    io.stderr.write(
      `Synthesized ${stackName} into ${out}: ${plan.instanceType} (${plan.gpusPerInstance} x ${plan.gpu}), ${plan.strategy}` +
        `${plan.strategy === 'spot' ? ` (on-demand base ${onDemandBase(plan)})` : ''}, ${cap.min}-${cap.max} instances; ` +
        `predicted $${plan.monthlyCostUsd.toFixed(2)}/month; plan id ${plan.planId} (tag cosyfleet:plan-id).\n`,
    );
    if (action === 'synth') return 0;
    const cdkArgs = [action, '--app', out, stackName];
    const probe = spawnSync('npx', ['--no-install', 'cdk', '--version'], { stdio: 'ignore' });
    if (probe.status !== 0) {
      io.stdout.write(`The AWS CDK CLI is not installed here. Run:\n  npx aws-cdk@2 ${cdkArgs.join(' ')}\n`);
      return 0;
    }
    const run = spawnSync('npx', ['--no-install', 'cdk', ...cdkArgs], { stdio: 'inherit' });
    return run.status ?? 1;
  } catch (err) {
    if (err instanceof PlanFileError || err instanceof PlannerInputError) {
      io.stderr.write(`cosyfleet deploy aws: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
