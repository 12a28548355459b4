// One stack per plan: the fleet the plan recommends with everything it needs around it, every
// resource tagged with the plan's id so Cost Explorer and the budget can hold the bill against
// the plan.
import { CfnOutput, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { FleetDatabase } from './database.js';
import { GpuFleet } from './fleet.js';
import { gpuMemoryGiB, hostArch, sameGpuSizes } from './instance-family.js';
import { FleetLoadBalancer } from './load-balancer.js';
import { AlarmTopic, FleetMonitoring, PLAN_TAG } from './monitoring.js';
import { FleetNetwork } from './network.js';
import { AMI_PARAMETERS, PORT, type DeployOptions } from './options.js';
import { OutputsStorage } from './outputs-storage.js';
import { REACTIVE_STRATEGIES, SCHEDULED_STRATEGIES, type FleetPlan } from './plan-input.js';
import { applyScaling, capacityFor, PLAN_TIME_ZONE, targetAdmittedPerInstance } from './scaling.js';
import { FleetSecrets } from './secrets.js';
import { agentConfig, prometheusYaml } from './service-metrics.js';
import { justify } from './nag.js';
import { MODEL_ROOT, userDataCommands } from './user-data.js';
import { ENGINE_SERVING, idleTimeoutS, lifecycleHeartbeatS, longestSynthesisS, stopTimeoutS, workerEnv } from './worker-settings.js';

export interface FleetStackProps extends StackProps {
  plan: FleetPlan;
  options: DeployOptions;
  /** Instances per UTC hour of the week (168): required by the schedule strategies. */
  schedule?: readonly number[];
  /** The workload's time zone for scheduled actions; the planner's hours are UTC. */
  timeZone?: string;
}

export class CosyfleetFleetStack extends Stack {
  readonly fleet: GpuFleet;

  constructor(scope: Construct, id: string, props: FleetStackProps) {
    const { plan, options } = props;
    super(scope, id, {
      ...props,
      // The region is the plan's: prices, the ELB log account and the AMI parameter depend on it.
      env: { region: plan.region, ...(options.account ? { account: options.account } : {}) },
      description: `cosyfleet fleet for plan ${plan.planId} (${plan.workloadName}): ${plan.instanceType}, ${plan.strategy}, predicted $${plan.monthlyCostUsd.toFixed(2)}/month`,
    });
    Tags.of(this).add(PLAN_TAG, plan.planId);
    Tags.of(this).add('cosyfleet:workload', plan.workloadName.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '_').slice(0, 256) || 'workload');
    Tags.of(this).add('cosyfleet:strategy', plan.strategy);
    if (SCHEDULED_STRATEGIES.includes(plan.strategy) && !props.schedule) throw new Error(`strategy ${plan.strategy} needs the weekly schedule`);
    if ((REACTIVE_STRATEGIES.includes(plan.strategy)) && !options.cloudWatchAgent) {
      throw new Error(`strategy ${plan.strategy} scales on the service's metrics, which reach CloudWatch through the CloudWatch agent: it cannot be turned off`);
    }
    const serving = ENGINE_SERVING[plan.engine];
    if (!serving) throw new Error(`no AWS serving recipe for engine ${plan.engine} (known: ${Object.keys(ENGINE_SERVING).join(', ')})`);
    const fleetName = id;

    const network = new FleetNetwork(this, 'Network', options.vpc).network;
    const alarms = new AlarmTopic(this, 'Alarms', options.alarmEmail);
    const storage = new OutputsStorage(this, 'Outputs', { lifecycle: plan.lifecycle, retentionDays: plan.retentionDays });
    const secrets = new FleetSecrets(this, 'Secrets', options.apiKeysSecretName);

    const isGpu = gpuMemoryGiB(plan.instanceType) !== undefined;
    const arch = hostArch(plan.instanceType);
    const amiParameter = options.amiParameter ?? AMI_PARAMETERS[isGpu ? 'gpu' : 'cpu'][arch];
    const userData = ec2.UserData.forLinux();
    this.fleet = new GpuFleet(this, 'Fleet', {
      plan,
      network,
      amiParameter,
      userData,
      instanceTypes: sameGpuSizes(plan.instanceType, plan.region),
      rootVolumeGiB: options.rootVolumeGiB,
      capacity: capacityFor(plan, props.schedule),
      drainS: lifecycleHeartbeatS(plan),
      notifications: alarms.topic,
    });
    const idle = idleTimeoutS(plan);
    const lb = new FleetLoadBalancer(this, 'Api', {
      network,
      asg: this.fleet.asg,
      instances: this.fleet.securityGroup,
      port: PORT,
      idleTimeoutS: idle,
      deregistrationDelayS: longestSynthesisS(plan),
      ...(options.certificateArn ? { certificateArn: options.certificateArn } : {}),
      logs: storage.logs,
    });
    const database = options.rds ? new FleetDatabase(this, 'Database', network, this.fleet.securityGroup) : undefined;

    applyScaling({ plan, asg: this.fleet.asg, ...(props.schedule ? { schedule: props.schedule } : {}), fleet: fleetName, alb: lb.alb, timeZone: props.timeZone ?? PLAN_TIME_ZONE });
    new FleetMonitoring(this, 'Monitoring', { plan, fleet: fleetName, asg: this.fleet.asg, alb: lb.alb, topic: alarms.topic, targetAdmitted: targetAdmittedPerInstance(plan) });

    // What the instances may touch: the model and package (read), outputs (read/write), their secrets.
    const role = this.fleet.role;
    const modelPrefix = options.modelPrefix.replace(/^\/+|\/+$/g, '');
    const modelObjects = `arn:${this.partition}:s3:::${options.modelBucket}/${modelPrefix}/*`;
    const storagePolicy = new iam.Policy(this, 'InstanceStorage', {
      roles: [role],
      statements: [
        new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [modelObjects, `arn:${this.partition}:s3:::${options.modelBucket}/${options.appKey}`] }),
        new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [`arn:${this.partition}:s3:::${options.modelBucket}`], conditions: { StringLike: { 's3:prefix': [`${modelPrefix}/*`] } } }),
        // The service's object store: outputs, the result cache and voice recordings, all its keys.
        new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'], resources: [storage.bucket.arnForObjects('*')] }),
        new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [storage.bucket.bucketArn] }),
      ],
    });
    const bucketId = this.getLogicalId(storage.bucket.node.defaultChild as s3.CfnBucket);
    justify(storagePolicy, [
      { id: `AwsSolutions-IAM5[Resource::${modelObjects.replace(`arn:${this.partition}`, 'arn:<AWS::Partition>')}]`, reason: 'Every file of the model directory the user staged under this prefix is read at first boot; the prefix bounds it.' },
      { id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/*]`, reason: 'The outputs bucket is the service\'s own object store (outputs/, cache/, voice recordings): it reads, writes and deletes any key it made, in this bucket only.' },
    ]);
    secrets.apiKeys.grantRead(role);
    secrets.adminKey.grantRead(role);
    database?.instance.secret?.grantRead(role);

    const modelDir = `${MODEL_ROOT}/${modelPrefix.split('/').pop() ?? 'model'}`;
    const allowedHosts = [lb.alb.loadBalancerDnsName, ...(options.domainName ? [options.domainName] : [])];
    userData.addCommands(
      ...userDataCommands({
        region: plan.region,
        modelBucket: options.modelBucket,
        modelPrefix,
        appKey: options.appKey,
        env: workerEnv(plan, { engine: options.engine, modelDir, port: PORT }),
        resourceEnv: {
          OBJECT_STORE: 's3',
          S3_BUCKET: storage.bucket.bucketName,
          S3_REGION: plan.region,
          CLOUDFRONT_DOMAIN: storage.distribution.distributionDomainName,
          ...(plan.retentionDays > 0 ? { OUTPUT_RETENTION_DAYS: String(plan.retentionDays) } : {}),
          ALLOWED_HOSTS: allowedHosts.join(','),
          // The balancer's nodes live in the VPC: X-Forwarded-For is believed from there only.
          TRUST_PROXY: network.vpc.vpcCidrBlock,
        },
        apiKeysSecretArn: secrets.apiKeys.secretArn,
        adminKeySecretArn: secrets.adminKey.secretArn,
        ...(database?.instance.secret ? { databaseSecretArn: database.instance.secret.secretArn } : {}),
        ...(options.engine === 'plan' && serving.engineUnit ? { engineUnit: serving.engineUnit } : {}),
        installCosyvoice: options.engine === 'cosyvoice',
        ...(options.cloudWatchAgent ? { cloudWatchAgent: { configJson: agentConfig(fleetName), prometheusYaml: prometheusYaml(fleetName, PORT) } } : {}),
        stopTimeoutS: stopTimeoutS(plan),
      }),
    );

    new CfnOutput(this, 'ApiUrl', { value: `${options.certificateArn ? 'https' : 'http'}://${options.domainName ?? lb.alb.loadBalancerDnsName}`, description: 'The API (point your domain\'s DNS at LoadBalancerDns)' });
    new CfnOutput(this, 'LoadBalancerDns', { value: lb.alb.loadBalancerDnsName });
    new CfnOutput(this, 'OutputsBucket', { value: storage.bucket.bucketName });
    new CfnOutput(this, 'OutputsCdn', { value: storage.distribution.distributionDomainName });
    new CfnOutput(this, 'ApiKeysSecret', { value: secrets.apiKeys.secretName, description: 'aws secretsmanager get-secret-value --secret-id <this> to read the API keys' });
    new CfnOutput(this, 'AutoScalingGroup', { value: this.fleet.asg.autoScalingGroupName });
    new CfnOutput(this, 'PlanId', { value: plan.planId, description: `Cost allocation tag ${PLAN_TAG}: activate it in Billing to see this fleet in Cost Explorer and the budget` });
  }
}
