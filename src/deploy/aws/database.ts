// Optional PostgreSQL for fleets of more than one node (keys, voices, lexicon, long-form jobs
// shared by every instance: DATABASE_URL). Encrypted, in the VPC's isolated subnets, reachable
// only from the instances' security group, its credentials generated into Secrets Manager.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { justify } from './nag.js';
import { Construct } from 'constructs';
import type { Network } from './network.js';

export class FleetDatabase extends Construct {
  readonly instance: rds.DatabaseInstance;

  constructor(scope: Construct, id: string, network: Network, clients: ec2.ISecurityGroup) {
    super(scope, id);
    const sg = new ec2.SecurityGroup(this, 'Sg', { vpc: network.vpc, description: 'cosyfleet PostgreSQL: the fleet only', allowAllOutbound: false });
    sg.addIngressRule(clients, ec2.Port.tcp(5432), 'cosyfleet instances');
    this.instance = new rds.DatabaseInstance(this, 'Postgres', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MEDIUM),
      vpc: network.vpc,
      vpcSubnets: network.databaseSubnets,
      securityGroups: [sg],
      credentials: rds.Credentials.fromGeneratedSecret('cosyfleet'),
      databaseName: 'cosyfleet',
      storageEncrypted: true,
      allocatedStorage: 20,
      storageType: rds.StorageType.GP3,
      backupRetention: Duration.days(7),
      deletionProtection: true,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      cloudwatchLogsExports: ['postgresql'],
      autoMinorVersionUpgrade: true,
    });
    justify(
      this.instance,
      [
        { id: 'AwsSolutions-RDS3', reason: 'Single-AZ by default: it holds keys, voices and job state that the fleet can wait for through a failover-free restart, and Multi-AZ doubles a cost the plan does not price. Turn multiAz on in this construct where availability must survive an AZ outage.' },
        { id: 'AwsSolutions-RDS11', reason: 'The port is reachable only from the fleet\'s security group inside the VPC; a non-default port adds nothing to that.' },
        { id: 'AwsSolutions-SMG4', reason: 'The service reads DATABASE_URL at boot; rotating the password under a running fleet would cut every node off until it restarts. Rotate with an instance refresh.' },
      ],
    );
  }
}
