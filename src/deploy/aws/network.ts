// The VPC: a new one (public subnets for the balancer, private ones with one NAT gateway for the
// instances, isolated ones for the database, an S3 gateway endpoint so the model is staged
// without NAT charges, flow logs), or an existing one named by its ids (no lookup at synth).
import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { VpcChoice } from './options.js';

export interface Network {
  vpc: ec2.IVpc;
  publicSubnets: ec2.SubnetSelection;
  privateSubnets: ec2.SubnetSelection;
  /** Where the database goes: isolated subnets of a new VPC, the private ones of an existing VPC. */
  databaseSubnets: ec2.SubnetSelection;
}

export class FleetNetwork extends Construct {
  readonly network: Network;

  constructor(scope: Construct, id: string, choice: VpcChoice) {
    super(scope, id);
    if (choice.kind === 'existing') {
      const vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
        vpcId: choice.vpcId,
        vpcCidrBlock: choice.vpcCidr,
        availabilityZones: choice.availabilityZones,
        publicSubnetIds: choice.publicSubnetIds,
        privateSubnetIds: choice.privateSubnetIds,
      });
      this.network = {
        vpc,
        publicSubnets: { subnetType: ec2.SubnetType.PUBLIC },
        privateSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        databaseSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      };
      return;
    }
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: choice.maxAzs,
      // One NAT gateway: instances need the internet only to install (npm, nodejs.org).
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'database', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 26 },
      ],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    vpc.addFlowLog('FlowLog', { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.REJECT });
    this.network = {
      vpc,
      publicSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      privateSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      databaseSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    };
  }
}
