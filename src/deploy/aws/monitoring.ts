// What tells the operator the fleet is not doing what the plan assumed: a dashboard, alarms
// (5xx share, 429 share, worker restarts, GPU memory, spot interruption notices) on one SNS
// topic (mailed when --alarm-email is given), and an AWS Budgets budget at the plan's monthly
// cost over the resources tagged with the plan's id.
import { Duration } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as budgets from 'aws-cdk-lib/aws-budgets';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { justify } from './nag.js';
import { Construct } from 'constructs';
import { SPOT_STRATEGIES, type FleetPlan } from './plan-input.js';
import { ADMITTED, FINISHED, gpuMemoryPercent, REJECTED, RESTARTS, serviceMetric } from './service-metrics.js';

export const PLAN_TAG = 'cosyfleet:plan-id';

export class AlarmTopic extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, email: string | undefined) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'cosyfleet fleet alarms', enforceSSL: true });
    if (email) this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    // Budgets publishes its notices to the topic too.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({ principals: [new iam.ServicePrincipal('budgets.amazonaws.com')], actions: ['SNS:Publish'], resources: [this.topic.topicArn] }),
    );
    justify(this.topic, [
      {
        id: 'AwsSolutions-SNS2',
        reason: 'Alarm and budget notices (metric names and thresholds, no customer data); CloudWatch alarms, Budgets and Auto Scaling notifications cannot publish to a topic under the AWS-managed SNS key, and a customer key with a policy for each is not worth that.',
      },
    ]);
  }
}

export interface MonitoringProps {
  plan: FleetPlan;
  fleet: string;
  asg: autoscaling.AutoScalingGroup;
  alb: elbv2.ApplicationLoadBalancer;
  topic: sns.ITopic;
  targetAdmitted: number;
}

export class FleetMonitoring extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { plan, fleet, alb } = props;
    const five = Duration.minutes(5);
    const albMetric = (metricName: string, period = five) => new cloudwatch.Metric({ namespace: 'AWS/ApplicationELB', metricName, dimensionsMap: { LoadBalancer: alb.loadBalancerFullName }, statistic: 'Sum', period });
    const requests = albMetric('RequestCount');
    const fivexx = new cloudwatch.MathExpression({
      expression: '100 * (FILL(t, 0) + FILL(e, 0)) / MAX([FILL(r, 0), 1])',
      usingMetrics: { t: albMetric('HTTPCode_Target_5XX_Count'), e: albMetric('HTTPCode_ELB_5XX_Count'), r: requests },
      label: '5xx (% of requests)',
      period: five,
    });
    const rejected = new cloudwatch.MathExpression({
      expression: '100 * FILL(q, 0) / MAX([FILL(r, 0), 1])',
      usingMetrics: { q: serviceMetric(fleet, REJECTED, 'Sum', five), r: requests },
      label: '429 at admission (% of requests)',
      period: five,
    });
    const restarts = serviceMetric(fleet, RESTARTS, 'Sum', Duration.minutes(15));
    const gpu = gpuMemoryPercent(props.asg.autoScalingGroupName);
    const action = new actions.SnsAction(props.topic);
    const alarm = (alarmId: string, metric: cloudwatch.IMetric, threshold: number, description: string, evaluationPeriods = 1) => {
      const a = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(action);
      this.alarms.push(a);
      return a;
    };
    alarm('FiveXx', fivexx, 1, '5xx answers (the service\'s and the balancer\'s) are at least 1% of requests for 10 minutes', 2);
    alarm('Rejected429', rejected, 5, 'At least 5% of requests refused with 429 at admission for 10 minutes: the fleet is smaller than the traffic the plan assumed', 2);
    alarm('WorkerRestarts', restarts, 3, 'Three or more worker processes replaced in 15 minutes (crashes, CUDA out of memory, unresponsive workers)');
    alarm('GpuMemory', gpu, 90, 'A GPU at 90% of its memory or more for 5 minutes: the next stream may run out of memory', 5);
    if (SPOT_STRATEGIES.includes(plan.strategy)) {
      const rule = new events.Rule(this, 'SpotNotices', {
        description: 'EC2 spot interruption warnings and rebalance recommendations',
        eventPattern: { source: ['aws.ec2'], detailType: ['EC2 Spot Instance Interruption Warning', 'EC2 Instance Rebalance Recommendation'] },
        targets: [new targets.SnsTopic(props.topic)],
      });
      const notices = new cloudwatch.Metric({ namespace: 'AWS/Events', metricName: 'TriggeredRules', dimensionsMap: { RuleName: rule.ruleName }, statistic: 'Sum', period: Duration.hours(1) });
      // The plan simulated an interruption rate; four times its hourly share (at least 2 notices,
      // rebalance recommendations included) means its spot savings and latency are at risk.
      const threshold = Math.max(2, Math.ceil((4 * plan.spotInterruptions) / (plan.days * 24)));
      alarm('SpotInterruptions', notices, threshold, `${threshold} or more spot interruption notices or rebalance recommendations in an hour: far more than the ${plan.spotInterruptions} a month the plan simulated`);
    }

    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = [], leftAnnotations: cloudwatch.HorizontalAnnotation[] = []) =>
      new cloudwatch.GraphWidget({ title, left, right, leftAnnotations, width: 12 });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: fleet.slice(0, 255) });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# cosyfleet ${fleet}\nPlan \`${plan.planId}\` (${plan.workloadName}, ${plan.generatedAt}): ${plan.instanceType} × ${plan.gpusPerInstance} ${plan.gpu}, **${plan.strategy}**, predicted **$${plan.monthlyCostUsd.toFixed(2)}/month** (compute $${plan.computeMonthlyUsd.toFixed(2)}, storage $${plan.storageMonthlyUsd.toFixed(2)}, delivery $${plan.deliveryMonthlyUsd.toFixed(2)}); peak ${plan.peakInstances}, mean ${plan.meanInstances.toFixed(2)} instances.`,
        width: 24,
        height: 3,
      }),
      graph('Requests and errors', [requests], [fivexx, rejected]),
      graph('Admitted jobs per instance (target tracking)', [serviceMetric(fleet, ADMITTED, 'Average')], [], [{ value: props.targetAdmitted, label: 'target' }]),
      graph('Instances in service', [new cloudwatch.Metric({ namespace: 'AWS/AutoScaling', metricName: 'GroupInServiceInstances', dimensionsMap: { AutoScalingGroupName: props.asg.autoScalingGroupName }, statistic: 'Average', period: five })]),
      graph('Finished jobs and worker restarts', [serviceMetric(fleet, FINISHED, 'Sum', five)], [restarts]),
      graph('GPU memory (%)', [gpu], [], [{ value: 90, label: 'alarm' }]),
      graph('Target response time (p95, s)', [new cloudwatch.Metric({ namespace: 'AWS/ApplicationELB', metricName: 'TargetResponseTime', dimensionsMap: { LoadBalancer: alb.loadBalancerFullName }, statistic: 'p95', period: five })]),
    );

    new budgets.CfnBudget(this, 'Budget', {
      budget: {
        budgetName: `${fleet}-plan-${plan.planId}`.slice(0, 100),
        budgetType: 'COST',
        timeUnit: 'MONTHLY',
        budgetLimit: { amount: Math.round(plan.monthlyCostUsd * 100) / 100, unit: 'USD' },
        // User-defined cost allocation tags carry the `user:` prefix once activated in Billing.
        costFilters: { TagKeyValue: [`user:${PLAN_TAG}$${plan.planId}`] },
      },
      notificationsWithSubscribers: (['ACTUAL', 'FORECASTED'] as const).map((notificationType) => ({
        notification: { notificationType, comparisonOperator: 'GREATER_THAN', threshold: 100, thresholdType: 'PERCENTAGE' },
        subscribers: [{ subscriptionType: 'SNS', address: props.topic.topicArn }],
      })),
    });
  }
}
