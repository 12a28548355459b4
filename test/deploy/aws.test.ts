// The AWS CDK app for a plan, synthesized offline (no AWS account, no CDK CLI) and read back
// with aws-cdk-lib/assertions. The plans are test/deploy/fixtures/aws-plan-<strategy>.json,
// made by the real planner from fixtures/aws-workload.yaml (the command that regenerates them is
// in that file's header). Each plan is synthesized once and shared by its assertions; synthesis
// also runs cdk-nag, which fails it on any unacknowledged error. Nothing is mocked: the only
// boundary not crossed is AWS itself (diff/deploy need an account and the CDK CLI).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { buildFleetApp } from '../../src/deploy/aws/app.js';
import { runDeployAws } from '../../src/deploy/aws/command.js';
import { addNagChecks, nagFindings } from '../../src/deploy/aws/nag.js';
import type { DeployOptions } from '../../src/deploy/aws/options.js';
import { readPlan, type FleetPlan } from '../../src/deploy/aws/plan-input.js';
import { scheduledActions, weeklySchedule } from '../../src/deploy/aws/schedule.js';
import { COSYVOICE_REF, userDataCommands } from '../../src/deploy/aws/user-data.js';
import { lifecycleHeartbeatS, longestSynthesisS, workerEnv } from '../../src/deploy/aws/worker-settings.js';
import { ServiceMetrics } from '../../src/metrics/metrics.js';
import type { SchedulerStats } from '../../src/scheduler/scheduler.js';
import { ADMITTED, SERIES } from '../../src/deploy/aws/service-metrics.js';
import { loadWorkloadFile } from '../../src/planner/workload.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const WORKLOAD_FILE = join(FIXTURES, 'aws-workload.yaml');
const workload = loadWorkloadFile(WORKLOAD_FILE);
const planFile = (strategy: string) => join(FIXTURES, `aws-plan-${strategy}.json`);
const rawPlan = (strategy: string) => JSON.parse(readFileSync(planFile(strategy), 'utf8')) as { recommendation: Record<string, unknown>; storage: { chosen: { lifecycle: { afterDays: number; storageClass: string }[] } } };

const OPTIONS: DeployOptions = {
  stackName: 'cosyfleet-test',
  modelBucket: 'my-models',
  modelPrefix: 'models/Fun-CosyVoice3-0.5B',
  appKey: 'cosyfleet/cosyfleet.tgz',
  vpc: { kind: 'new', maxAzs: 2 },
  apiKeysSecretName: 'cosyfleet-test/api-keys',
  rds: false,
  cloudWatchAgent: true,
  engine: 'plan',
  rootVolumeGiB: 150,
};

interface Synth {
  plan: FleetPlan;
  template: Template;
  schedule: number[] | undefined;
  app: App;
  checks: ReturnType<typeof buildFleetApp>['checks'];
}
const synths = new Map<string, Synth>();
// Each synthesis writes a cloud assembly: into one folder of this run's, removed at the end.
const assemblies = mkdtempSync(join(tmpdir(), 'cosyfleet-aws-test-'));
after(() => rmSync(assemblies, { recursive: true, force: true }));
function synth(strategy: string, extra: Partial<DeployOptions> = {}): Synth {
  const hit = synths.get(strategy);
  if (hit) return hit;
  const plan = readPlan(readFileSync(planFile(strategy), 'utf8'), workload);
  assert.equal(plan.strategy, strategy, `fixture ${strategy}: the planner recommended ${plan.strategy}; regenerate it`);
  const schedule = strategy === 'schedule' || strategy === 'spot-schedule' ? weeklySchedule(plan, workload) : undefined;
  const { app, stack, checks } = buildFleetApp({ plan, options: { ...OPTIONS, ...extra }, ...(schedule ? { schedule } : {}), outdir: join(assemblies, strategy) });
  const s = { plan, template: Template.fromStack(stack), schedule, app, checks };
  synths.set(strategy, s);
  return s;
}
const asgProps = (t: Template) => {
  const all = Object.values(t.findResources('AWS::AutoScaling::AutoScalingGroup'));
  assert.equal(all.length, 1);
  return (all[0] as { Properties: Record<string, unknown> }).Properties;
};
const userDataText = (t: Template): string => {
  const lt = Object.values(t.findResources('AWS::EC2::LaunchTemplate'))[0] as { Properties: { LaunchTemplateData: { UserData: { 'Fn::Base64': unknown } } } };
  const ud = lt.Properties.LaunchTemplateData.UserData['Fn::Base64'] as string | { 'Fn::Join': [string, unknown[]] };
  return typeof ud === 'string' ? ud : ud['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join('');
};

describe('always-on (on-demand) in an existing VPC: through the CLI, into a cloud assembly on disk', () => {
  const out = mkdtempSync(join(tmpdir(), 'cosyfleet-cdk-'));
  after(() => rmSync(out, { recursive: true, force: true }));
  let template: Template;
  let stdout = '';
  let stderr = '';
  const cdkInstalled = spawnSync('npx', ['--no-install', 'cdk', '--version'], { stdio: 'ignore' }).status === 0;

  test('`deploy aws --action diff` synthesizes, then prints the CDK command when the CDK CLI is absent', { skip: cdkInstalled ? 'the AWS CDK CLI is installed here: diff would call AWS' : false }, async () => {
    const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } };
    const code = await runDeployAws(['--plan', planFile('always-on'), '--workload', WORKLOAD_FILE, '--model-bucket', 'my-models', '--out', out, '--stack-name', 'cosyfleet-cli', '--action', 'diff', '--account', '123456789012',
      '--vpc-id', 'vpc-0123456789abcdef0', '--vpc-cidr', '10.20.0.0/16', '--availability-zones', 'us-east-1a,us-east-1b',
      '--public-subnet-ids', 'subnet-0000000a,subnet-0000000b', '--private-subnet-ids', 'subnet-0000000c,subnet-0000000d'], io);
    assert.equal(code, 0, stderr);
    assert.match(stdout, new RegExp(`npx aws-cdk@2 diff --app ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cosyfleet-cli`));
    assert.match(stderr, /Synthesized cosyfleet-cli .*g6\.xlarge .*always-on, 6-6 instances/);
    template = Template.fromJSON(JSON.parse(readFileSync(join(out, 'cosyfleet-cli.template.json'), 'utf8')));
  });

  test('an ASG of the recommended type from the launch template, on-demand only, at the planned fleet', { skip: cdkInstalled }, () => {
    const asg = asgProps(template);
    const peak = rawPlan('always-on').recommendation.peakInstances as number;
    assert.equal(asg.MinSize, String(peak));
    assert.equal(asg.MaxSize, String(peak));
    assert.equal(asg.MixedInstancesPolicy, undefined, 'no spot in an on-demand fleet');
    assert.ok(asg.LaunchTemplate, 'the launch template itself');
    assert.equal(JSON.stringify(template.toJSON()).includes('SpotAllocationStrategy'), false);
    template.resourceCountIs('AWS::AutoScaling::ScalingPolicy', 0);
    template.resourceCountIs('AWS::AutoScaling::ScheduledAction', 0);
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', { LaunchTemplateData: Match.objectLike({ InstanceType: 'g6.xlarge' }) });
  });

  test('the existing VPC by its ids: instances in its private subnets, the balancer in its public ones, proxies trusted from its range', { skip: cdkInstalled }, () => {
    template.resourceCountIs('AWS::EC2::VPC', 0);
    assert.deepEqual(asgProps(template).VPCZoneIdentifier, ['subnet-0000000c', 'subnet-0000000d']);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Subnets: ['subnet-0000000a', 'subnet-0000000b'] });
    const ud = userDataText(template);
    assert.match(ud, /echo 'TRUST_PROXY=''10\.20\.0\.0\/16'/);
    assert.match(ud, /MAX_CONNECTIONS_PER_ADDRESS="0"/);
  });

  test('refuses what it cannot deploy, naming the option', async () => {
    let err = '';
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => (err += s) } };
    assert.equal(await runDeployAws(['--plan', planFile('spot'), '--model-bucket', 'Not_A_Bucket', '--action', 'apply'], io), 2);
    assert.match(err, /--workload is required/);
    assert.match(err, /--model-bucket: not an S3 bucket name/);
    assert.match(err, /--action must be synth, diff or deploy/);
    err = '';
    assert.equal(await runDeployAws(['--plan', planFile('autoscale'), '--workload', WORKLOAD_FILE, '--model-bucket', 'my-models', '--no-cloudwatch-agent'], io), 2);
    assert.match(err, /--no-cloudwatch-agent: strategy autoscale scales on the service's \/metrics/);
    err = '';
    assert.equal(await runDeployAws(['--plan', WORKLOAD_FILE, '--workload', WORKLOAD_FILE, '--model-bucket', 'my-models'], io), 2);
    assert.match(err, /not JSON/);
    let help = '';
    assert.equal(await runDeployAws(['--help'], { stdout: { write: (s: string) => (help += s) }, stderr: { write: () => true } }), 0);
    assert.match(help, /prints? .*exact command|exact command is\s+printed/);
  });
});

describe('spot with an on-demand base', () => {
  test('MixedInstancesPolicy: the base on demand, price-capacity-optimized spot above it, several sizes of the same GPU', () => {
    const { template, plan } = synth('spot', { rds: true, certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc', alarmEmail: 'ops@example.com' });
    const asg = asgProps(template) as { MixedInstancesPolicy: { InstancesDistribution: Record<string, unknown>; LaunchTemplate: { Overrides: { InstanceType: string }[] } }; CapacityRebalance: boolean };
    // The workload's strategies.spot.onDemandBase, which the plan simulated.
    assert.equal(workload.strategies.spot.onDemandBase, 2);
    assert.deepEqual(asg.MixedInstancesPolicy.InstancesDistribution, {
      OnDemandAllocationStrategy: 'prioritized',
      OnDemandBaseCapacity: 2,
      OnDemandPercentageAboveBaseCapacity: 0,
      SpotAllocationStrategy: 'price-capacity-optimized',
    });
    assert.equal(asg.CapacityRebalance, true);
    const types = asg.MixedInstancesPolicy.LaunchTemplate.Overrides.map((o) => o.InstanceType);
    assert.equal(types[0], plan.instanceType, 'the recommended type first: the on-demand base takes it');
    assert.ok(types.length >= 2 && types.every((t) => t.startsWith('g6.')), types.join());
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { 'detail-type': Match.arrayWith(['EC2 Spot Instance Interruption Warning']) } });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/Events', MetricName: 'TriggeredRules' });
  });

  test('launch template: the Deep Learning Base GPU AMI from its SSM parameter, IMDSv2 only, an encrypted gp3 root volume', () => {
    const { template } = synth('spot');
    const params = template.toJSON().Parameters as Record<string, { Type: string; Default: string }>;
    const ami = Object.values(params).find((p) => p.Type === 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>');
    assert.equal(ami?.Default, '/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id');
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: Match.objectLike({ HttpTokens: 'required' }),
        BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: Match.objectLike({ Encrypted: true, VolumeType: 'gp3' }) }],
      }),
    });
  });

  test('user data: the model staged once from the bucket, cosyfleet as a systemd service with the plan\'s settings', () => {
    const { template, plan } = synth('spot');
    const ud = userDataText(template);
    assert.match(ud, /if \[ ! -f "\$MODEL_DIR\/\.cosyfleet-staged" \]; then\n\s+mkdir -p "\$MODEL_DIR" && aws s3 sync 's3:\/\/my-models\/models\/Fun-CosyVoice3-0\.5B\/' "\$MODEL_DIR"/);
    assert.match(ud, /ExecStart=\/usr\/local\/bin\/cosyfleet serve/);
    assert.match(ud, /systemctl daemon-reload && systemctl enable --now cosyfleet\.service/);
    // cosyvoice3-trtllm runs behind the `triton` engine, with the plan's streams per instance.
    assert.match(ud, /COSYFLEET_ENGINE="triton"/);
    assert.match(ud, new RegExp(`REMOTE_CONCURRENCY="${plan.concurrencyPerGpu * plan.gpusPerInstance}"`));
    assert.match(ud, /DATABASE_URL=postgres:/, 'RDS credentials from Secrets Manager');
    assert.match(ud, /OUTPUT_RETENTION_DAYS=''90'/);
  });

  test('ALB: /readyz health checks, an idle timeout longer than the longest synthesis, HTTPS with the certificate', () => {
    const { template, plan } = synth('spot');
    const longest = longestSynthesisS(plan);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckPath: '/readyz', Port: 8080 });
    const alb = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'))[0] as { Properties: { LoadBalancerAttributes: { Key: string; Value: string }[] } };
    const idle = Number(alb.Properties.LoadBalancerAttributes.find((a) => a.Key === 'idle_timeout.timeout_seconds')?.Value);
    assert.ok(idle >= longest && longest > 60, `idle ${idle} s vs longest synthesis ${longest} s`);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 443, Protocol: 'HTTPS', Certificates: [{ CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' }] });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, DefaultActions: [Match.objectLike({ Type: 'redirect' })] });
  });

  test('termination lifecycle hook: outlasts the drain and the stop; the unit\'s ExecStopPost completes it', () => {
    const { template, plan } = synth('spot');
    template.hasResourceProperties('AWS::AutoScaling::LifecycleHook', { LifecycleHookName: 'cosyfleet-drain', LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING', DefaultResult: 'CONTINUE', HeartbeatTimeout: lifecycleHeartbeatS(plan) });
    const ud = userDataText(template);
    const stop = Number(/TimeoutStopSec=(\d+)/.exec(ud)?.[1]);
    const drain = Number(/SHUTDOWN_TIMEOUT_MS="(\d+)"/.exec(ud)?.[1]) / 1000;
    assert.ok(drain > 0 && stop > drain && lifecycleHeartbeatS(plan) > stop, `drain ${drain} s < stop ${stop} s < heartbeat ${lifecycleHeartbeatS(plan)} s`);
    assert.match(ud, /ExecStopPost=-\+\/bin\/sh \/usr\/local\/lib\/cosyfleet\/complete-lifecycle-action\.sh/);
    assert.match(ud, /Restart=on-failure/);
    assert.match(ud, /complete-lifecycle-action --lifecycle-hook-name 'cosyfleet-drain'/);
    template.hasResourceProperties('AWS::IAM::Policy', { PolicyDocument: { Statement: [Match.objectLike({ Action: Match.arrayWith(['autoscaling:CompleteLifecycleAction']) })] } });
  });

  test('RDS PostgreSQL: encrypted, in isolated subnets, credentials in Secrets Manager', () => {
    const { template } = synth('spot');
    template.hasResourceProperties('AWS::RDS::DBInstance', { Engine: 'postgres', StorageEncrypted: true, PubliclyAccessible: false });
    const group = Object.values(template.findResources('AWS::RDS::DBSubnetGroup'))[0] as { Properties: { SubnetIds: { Ref: string }[] } };
    assert.ok(group.Properties.SubnetIds.length >= 2 && group.Properties.SubnetIds.every((s) => /databaseSubnet/.test(s.Ref)), JSON.stringify(group.Properties.SubnetIds));
    template.resourceCountIs('AWS::SecretsManager::SecretTargetAttachment', 1);
  });

  test('outputs bucket: the lifecycle the plan priced (transition, expiry), private, encrypted, SSL only, behind CloudFront with OAC', () => {
    const { template } = synth('spot');
    const lifecycle = rawPlan('spot').storage.chosen.lifecycle;
    assert.deepEqual(lifecycle, [{ afterDays: 30, storageClass: 'STANDARD_IA' }]);
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'outputs/', Transitions: lifecycle.map((l) => ({ StorageClass: l.storageClass, TransitionInDays: l.afterDays })), ExpirationInDays: workload.storage.retentionDays }),
        ]),
      },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: Match.anyValue(),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.hasResourceProperties('AWS::CloudFront::Distribution', { DistributionConfig: Match.objectLike({ Origins: [Match.objectLike({ OriginAccessControlId: Match.anyValue() })] }) });
  });

  test('a budget at the plan\'s monthly cost over the resources tagged with the plan id', () => {
    const { template, plan } = synth('spot');
    const monthly = rawPlan('spot').recommendation.monthlyCostUsd as number;
    template.hasResourceProperties('AWS::Budgets::Budget', {
      Budget: Match.objectLike({ BudgetLimit: { Amount: Math.round(monthly * 100) / 100, Unit: 'USD' }, TimeUnit: 'MONTHLY', CostFilters: { TagKeyValue: [`user:cosyfleet:plan-id$${plan.planId}`] } }),
    });
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { Tags: Match.arrayWith([{ Key: 'cosyfleet:plan-id', PropagateAtLaunch: true, Value: plan.planId }]) });
  });

  test('alarms: 5xx, 429, worker restarts, GPU memory; and a dashboard', () => {
    const { template } = synth('spot');
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => JSON.stringify(a));
    for (const needle of ['HTTPCode_Target_5XX_Count', 'cosyfleet_jobs_rejected_total', 'cosyfleet_worker_restarts_total', 'nvidia_smi_memory_used', 'TriggeredRules']) {
      assert.ok(alarms.some((a) => a.includes(needle)), `an alarm on ${needle}`);
    }
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  test('cdk-nag AWS Solutions: no unacknowledged error or warning (each acknowledgement carries its reason in code)', () => {
    const { app, checks } = synth('spot');
    const findings = nagFindings(checks, app);
    assert.deepEqual(findings.errors, []);
    assert.deepEqual(findings.warnings, []);
  });

  test('cdk-nag is really on: an unjustified public, unencrypted bucket is reported', () => {
    const app = new App();
    const checks = addNagChecks(app);
    new s3.Bucket(new Stack(app, 'Bad'), 'Open', { enforceSSL: false });
    const errors = nagFindings(checks, app).errors;
    assert.ok(errors.some((e) => e.startsWith('AwsSolutions-S10')), errors.join('\n'));
  });
});

describe('schedule', () => {
  test('scheduled actions in the workload\'s time zone reproduce the planner\'s weekly schedule', () => {
    const { template, schedule, plan } = synth('schedule');
    assert.ok(schedule);
    assert.equal(Math.max(...schedule), plan.peakInstances);
    const actions = Object.values(template.findResources('AWS::AutoScaling::ScheduledAction')).map((a) => (a as { Properties: { Recurrence: string; TimeZone: string; MinSize: number; MaxSize: number; DesiredCapacity: number } }).Properties);
    assert.ok(actions.length > 1);
    // The planner's hours are UTC (docs/planner.md): the actions run in that zone.
    for (const a of actions) assert.equal(a.TimeZone, 'Etc/UTC');
    // Replay the cron actions over a week: at the middle of each hour the group has the planned size.
    const events = actions.flatMap((a) => {
      const [minute, hour, , , days] = a.Recurrence.split(' ');
      assert.equal(a.MinSize, a.MaxSize);
      return (days as string).split(',').map((d) => ({ at: ((Number(d) + 6) % 7) * 1440 + Number(hour) * 60 + Number(minute), size: a.DesiredCapacity }));
    });
    events.sort((x, y) => x.at - y.at);
    for (let h = 0; h < 168; h++) {
      const t = h * 60 + 30;
      const last = [...events].reverse().find((e) => e.at <= t) ?? events[events.length - 1];
      assert.equal(last?.size, schedule[h], `hour ${h} of the week`);
    }
    // Growth starts a cold start early, as the planner's controller does.
    const lead = Math.ceil(plan.coldStartS / 60);
    assert.ok(scheduledActions(schedule, lead).some((a) => a.minuteOfDay % 60 === 60 - lead));
    assert.equal(asgProps(template).MinSize, String(Math.min(...schedule)));
  });
});

describe('spot-schedule', () => {
  test('the schedule bought as spot: no on-demand base, every instance spot, the same scheduled actions', () => {
    const { template, schedule } = synth('spot-schedule');
    const asg = asgProps(template) as { MixedInstancesPolicy: { InstancesDistribution: Record<string, unknown> } };
    assert.deepEqual(asg.MixedInstancesPolicy.InstancesDistribution, {
      OnDemandAllocationStrategy: 'prioritized',
      OnDemandBaseCapacity: 0,
      OnDemandPercentageAboveBaseCapacity: 0,
      SpotAllocationStrategy: 'price-capacity-optimized',
    });
    assert.ok(schedule);
    template.resourceCountIs('AWS::AutoScaling::ScheduledAction', scheduledActions(schedule, Math.ceil(synth('spot-schedule').plan.coldStartS / 60)).length);
  });
});

describe('autoscale', () => {
  test('target tracking on admitted jobs per instance, the metric the CloudWatch agent carries from /metrics', () => {
    const { template, plan } = synth('autoscale');
    const slots = plan.concurrencyPerGpu * plan.gpusPerInstance;
    template.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingConfiguration: {
        CustomizedMetricSpecification: { Namespace: 'Cosyfleet', MetricName: 'cosyfleet_jobs_active', Dimensions: [{ Name: 'Fleet', Value: 'cosyfleet-test' }], Statistic: 'Average' },
        TargetValue: Math.round(((slots * workload.planning.maxUtilization) / (1 + workload.strategies.autoscale.headroom)) * 100) / 100,
      },
    });
    const ud = userDataText(template);
    assert.match(ud, /"label_matcher": "\^cosyfleet;admitted\$"/);
    assert.match(ud, /"metric_selectors": \[\s*"\^cosyfleet_jobs_active\$"/);
    assert.match(ud, /Fleet: 'cosyfleet-test'/);
    assert.equal(asgProps(template).MinSize, String(workload.strategies.autoscale.minInstances));
  });

  test('every series the agent selects is one the service registers; admitted jobs carry state="admitted"', async () => {
    const metrics = new ServiceMetrics({ defaultMetrics: false });
    for (const series of SERIES) assert.ok(metrics.registry.getSingleMetric(series.metric), `${series.metric} is not in /metrics`);
    // The real gauge, fed a scheduler snapshot with 5 admitted jobs (3 of them still waiting).
    metrics.schedulerObserver('triton', () => ({ activeJobs: 5, waitingJobs: 3, running: 2 }) as unknown as SchedulerStats);
    const gauge = (await metrics.registry.getSingleMetric(ADMITTED.metric)?.get()) as { values: { labels: Record<string, string>; value: number }[] };
    assert.deepEqual(gauge.values.find((v) => v.labels[ADMITTED.labels[0] as string] === ADMITTED.matcher), { labels: { engine: 'triton', state: 'admitted' }, value: 5 });
  });
});

describe('scale-to-zero', () => {
  test('MinSize 0; back to one on the balancer\'s first 503, to zero after the idle minutes', () => {
    const { template } = synth('scale-to-zero');
    assert.equal(asgProps(template).MinSize, '0');
    template.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', { PolicyType: 'TargetTrackingScaling' });
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => JSON.stringify(a));
    assert.ok(alarms.some((a) => a.includes('HTTPCode_ELB_503_Count') && a.includes('GreaterThanOrEqualToThreshold')), 'scale from zero');
    const idle = alarms.find((a) => a.includes('"RequestCount"') && a.includes('LessThanOrEqualToThreshold'));
    assert.ok(idle, 'scale to zero');
    assert.ok(idle.includes(`"Period":${workload.strategies.scaleToZero.idleMinutes * 60}`), idle);
  });
});

describe('--engine cosyvoice: cosyfleet\'s own workers', () => {
  test('one worker process per GPU at the plan\'s streams per GPU, the official package at the Dockerfile\'s commit', () => {
    const plan = readPlan(readFileSync(planFile('autoscale'), 'utf8'), workload);
    const env = workerEnv(plan, { engine: 'cosyvoice', modelDir: '/opt/models/Fun-CosyVoice3-0.5B', port: 8080 });
    assert.equal(env.COSYFLEET_ENGINE, 'cosyvoice');
    assert.equal(env.WORKER_PROCESSES, String(plan.gpusPerInstance));
    assert.equal(env.WORKER_CONCURRENCY, String(plan.concurrencyPerGpu));
    assert.equal(env.COSYVOICE_MODEL_DIR, '/opt/models/Fun-CosyVoice3-0.5B');
    const dockerfile = readFileSync(join(import.meta.dirname, '..', '..', 'deploy', 'cosyvoice', 'Dockerfile'), 'utf8');
    assert.equal(/^ARG COSYVOICE_REF=([0-9a-f]{40})$/m.exec(dockerfile)?.[1], COSYVOICE_REF, 'the same pinned commit as the image');
    const script = userDataCommands({
      region: 'us-east-1', modelBucket: 'b', modelPrefix: 'models/m', appKey: 'app.tgz', env, resourceEnv: {}, apiKeysSecretArn: 'k', adminKeySecretArn: 'a',
      installCosyvoice: true, stopTimeoutS: 100,
    }).join('\n');
    assert.match(script, new RegExp(`git -C /opt/CosyVoice checkout --detach ${COSYVOICE_REF}`));
    assert.match(script, /WORKER_CONCURRENCY="16"/);
    assert.doesNotMatch(script, /cosyvoice-engine\.service/, 'no engine server to wait for');
  });
});
