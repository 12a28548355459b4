// The GPU fleet: a launch template (the AMI from its public SSM parameter, IMDSv2 only, an
// encrypted gp3 root volume, the first-boot script) and an Auto Scaling group that buys what the
// plan's strategy buys: on-demand only, or an on-demand base with spot above it across several
// sizes of the same GPU (price-capacity-optimized, capacity rebalance). A termination lifecycle
// hook gives each instance time to drain (the service completes the action when it is done).
import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { justify } from './nag.js';
import { Construct } from 'constructs';
import type { Network } from './network.js';
import { LIFECYCLE_HOOK_NAME } from './user-data.js';
import { onDemandBase, SPOT_STRATEGIES, type FleetPlan } from './plan-input.js';

export interface FleetProps {
  plan: FleetPlan;
  network: Network;
  amiParameter: string;
  userData: ec2.UserData;
  instanceTypes: string[];
  rootVolumeGiB: number;
  capacity: { min: number; max: number };
  /** Seconds a terminating instance may drain before it goes (the lifecycle hook's heartbeat). */
  drainS: number;
  notifications: sns.ITopic;
}

export class GpuFleet extends Construct {
  readonly asg: autoscaling.AutoScalingGroup;
  readonly securityGroup: ec2.SecurityGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: FleetProps) {
    super(scope, id);
    const { plan, network } = props;
    this.securityGroup = new ec2.SecurityGroup(this, 'Sg', { vpc: network.vpc, description: 'cosyfleet instances: the service port from the load balancer only' });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      managedPolicies: [
        // Session Manager instead of SSH (no key pair, no port 22), and the CloudWatch agent.
        iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore'),
        iam.ManagedPolicy.fromAwsManagedPolicyName('CloudWatchAgentServerPolicy'),
      ],
    });
    const managed = ['AmazonSSMManagedInstanceCore', 'CloudWatchAgentServerPolicy'];
    justify(
      this.role,
      managed.map((name) => ({
        id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`,
        reason: 'AmazonSSMManagedInstanceCore (shell access through Session Manager, no SSH) and CloudWatchAgentServerPolicy (the agent that publishes /metrics) are the AWS-maintained minimal policies for exactly those agents.',
      })),
    );

    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: ec2.MachineImage.fromSsmParameter(props.amiParameter),
      instanceType: new ec2.InstanceType(plan.instanceType),
      userData: props.userData,
      role: this.role,
      securityGroup: this.securityGroup,
      requireImdsv2: true,
      // The service's IMDS watcher runs on the host, one hop away.
      httpPutResponseHopLimit: 1,
      instanceMetadataTags: true,
      detailedMonitoring: true,
      blockDevices: [
        {
          // The Deep Learning Base and Ubuntu AMIs' root device.
          deviceName: '/dev/sda1',
          volume: ec2.BlockDeviceVolume.ebs(props.rootVolumeGiB, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3, deleteOnTermination: true }),
        },
      ],
    });

    const spot = SPOT_STRATEGIES.includes(plan.strategy);
    const common = {
      vpc: network.vpc,
      vpcSubnets: network.privateSubnets,
      minCapacity: props.capacity.min,
      maxCapacity: props.capacity.max,
      // ELB health (/readyz) after the plan's cold start: boot, model load, first readiness.
      healthChecks: autoscaling.HealthChecks.withAdditionalChecks({
        additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB],
        gracePeriod: Duration.seconds(Math.max(300, Math.ceil(plan.coldStartS * 2))),
      }),
      defaultInstanceWarmup: Duration.seconds(Math.max(60, Math.ceil(plan.coldStartS))),
      notifications: [{ topic: props.notifications, scalingEvents: autoscaling.ScalingEvents.ALL }],
      groupMetrics: [autoscaling.GroupMetrics.all()],
    };
    this.asg = spot
      ? new autoscaling.AutoScalingGroup(this, 'Asg', {
          ...common,
          // Replace an instance AWS says is at risk before its interruption notice, not after.
          capacityRebalance: true,
          mixedInstancesPolicy: {
            launchTemplate,
            launchTemplateOverrides: props.instanceTypes.map((t) => ({ instanceType: new ec2.InstanceType(t) })),
            instancesDistribution: {
              onDemandBaseCapacity: onDemandBase(plan),
              onDemandPercentageAboveBaseCapacity: 0,
              onDemandAllocationStrategy: autoscaling.OnDemandAllocationStrategy.PRIORITIZED,
              spotAllocationStrategy: autoscaling.SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED,
            },
          },
        })
      : new autoscaling.AutoScalingGroup(this, 'Asg', { ...common, launchTemplate });

    if (spot) {
      justify(this.asg, [
        {
          id: 'AwsSolutions-EC26',
          reason:
            'cdk-nag 3.0.2\'s EC26 reads only an ASG\'s top-level LaunchTemplate and throws on a MixedInstancesPolicy. Every instance comes from the launch template above, whose only block device is encrypted (test/deploy/aws.test.ts checks it).',
        },
      ]);
    }
    this.asg.addLifecycleHook('Drain', {
      lifecycleTransition: autoscaling.LifecycleTransition.INSTANCE_TERMINATING,
      heartbeatTimeout: Duration.seconds(props.drainS),
      defaultResult: autoscaling.DefaultResult.CONTINUE,
      lifecycleHookName: LIFECYCLE_HOOK_NAME,
    });
    // The unit's ExecStopPost completes the termination action once the service has drained
    // (user-data.ts, src/lifecycle/host-hook.ts) with the instance role. A policy of its own: the launch template waits for the role's default policy, and this
    // statement names the group, which needs the launch template first.
    const lifecycle = new iam.Policy(this, 'CompleteLifecycle', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          actions: ['autoscaling:CompleteLifecycleAction', 'autoscaling:RecordLifecycleActionHeartbeat'],
          resources: [this.asg.autoScalingGroupArn],
        }),
      ],
    });
    const stack = Stack.of(this);
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    const asgId = stack.getLogicalId(this.asg.node.defaultChild as autoscaling.CfnAutoScalingGroup);
    justify(lifecycle, [
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:autoscaling:${stack.region}:${account}:autoScalingGroup:*:autoScalingGroupName/<${asgId}>]`,
        reason: 'The one wildcard is the account-unique id segment of this group\'s own ARN (autoScalingGroup:*:autoScalingGroupName/<this group>), which CloudFormation cannot know before the group exists.',
      },
    ]);
  }
}
