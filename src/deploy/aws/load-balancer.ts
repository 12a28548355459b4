// The public entry: an Application Load Balancer with health checks on /readyz (503 while the
// model loads, while draining, and on a spot notice), an idle timeout longer than the longest
// synthesis (a non-streamed response sends nothing until it is done), a deregistration delay as
// long, and HTTPS when a certificate is given (HTTP then only redirects).
import { Duration } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { justify } from './nag.js';
import { Construct } from 'constructs';
import type { Network } from './network.js';

export interface LoadBalancerProps {
  network: Network;
  asg: autoscaling.AutoScalingGroup;
  instances: ec2.SecurityGroup;
  port: number;
  idleTimeoutS: number;
  deregistrationDelayS: number;
  certificateArn?: string;
  logs: s3.IBucket;
}

export class FleetLoadBalancer extends Construct {
  readonly alb: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;

  constructor(scope: Construct, id: string, props: LoadBalancerProps) {
    super(scope, id);
    const sg = new ec2.SecurityGroup(this, 'Sg', { vpc: props.network.vpc, description: 'cosyfleet load balancer: the public API', allowAllOutbound: false });
    if (props.certificateArn) sg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS from clients');
    sg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), props.certificateArn ? 'HTTP, redirected to HTTPS' : 'HTTP from clients (no certificate given)');
    justify(sg, [
      { id: 'AwsSolutions-EC23', reason: 'This is the public API\'s load balancer: clients anywhere reach it; the service authenticates every request with an API key.' },
    ]);
    sg.addEgressRule(props.instances, ec2.Port.tcp(props.port), 'to the instances');
    props.instances.addIngressRule(sg, ec2.Port.tcp(props.port), 'from the load balancer');

    this.alb = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc: props.network.vpc,
      vpcSubnets: props.network.publicSubnets,
      internetFacing: true,
      securityGroup: sg,
      idleTimeout: Duration.seconds(props.idleTimeoutS),
      http2Enabled: true,
      dropInvalidHeaderFields: true,
      // X-Forwarded-For is appended, never replaced: the service trusts only the balancer's hop.
      xffHeaderProcessingMode: elbv2.XffHeaderProcessingMode.APPEND,
    });
    this.alb.logAccessLogs(props.logs, 'alb');

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'Targets', {
      vpc: props.network.vpc,
      port: props.port,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.INSTANCE,
      targets: [props.asg],
      deregistrationDelay: Duration.seconds(Math.min(3600, props.deregistrationDelayS)),
      healthCheck: {
        path: '/readyz',
        healthyHttpCodes: '200',
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 2,
      },
    });

    if (props.certificateArn) {
      this.alb.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [elbv2.ListenerCertificate.fromArn(props.certificateArn)],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        defaultTargetGroups: [this.targetGroup],
        open: false,
      });
      this.alb.addListener('Http', { port: 80, open: false, defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }) });
    } else {
      this.alb.addListener('Http', { port: 80, open: false, defaultTargetGroups: [this.targetGroup] });
    }
  }
}
