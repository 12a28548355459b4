// The plan's strategy as Auto Scaling runs it: the group's bounds, the weekly schedule as cron
// actions in the workload's time zone (the planner's hours are UTC), target tracking on the
// admitted jobs per instance the service publishes, and for scale-to-zero the two alarms that
// take the group to nothing when idle and back to one when a request finds nothing to serve it.
import { Duration } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { onDemandBase, REACTIVE_STRATEGIES, SCHEDULED_STRATEGIES, type FleetPlan } from './plan-input.js';
import { scheduledActions } from './schedule.js';
import { ADMITTED, serviceMetric } from './service-metrics.js';

/** The planner's week is in UTC hours (docs/planner.md, hourlyWeights). */
export const PLAN_TIME_ZONE = 'Etc/UTC';

export function capacityFor(plan: FleetPlan, schedule: readonly number[] | undefined): { min: number; max: number } {
  const peak = Math.max(plan.peakInstances, ...(schedule ?? []));
  const reactiveMax = Math.max(1, Math.ceil(peak * (1 + plan.autoscale.headroom)), peak + 1);
  switch (plan.strategy) {
    case 'always-on':
      return { min: peak, max: peak };
    case 'schedule':
    case 'spot-schedule':
      return { min: Math.min(...(schedule ?? [0])), max: peak };
    case 'autoscale':
    case 'spot-only':
      return { min: plan.autoscale.minInstances, max: reactiveMax };
    case 'spot':
      return { min: Math.max(onDemandBase(plan), 1), max: reactiveMax };
    case 'scale-to-zero':
      return { min: 0, max: reactiveMax };
  }
}

/** Admitted jobs per instance to hold: its engine slots at the utilization the plan sized for, less the headroom. */
export function targetAdmittedPerInstance(plan: FleetPlan): number {
  const slots = plan.concurrencyPerGpu * plan.gpusPerInstance;
  return Math.round(((slots * plan.maxUtilization) / (1 + plan.autoscale.headroom)) * 100) / 100;
}

export interface ScalingProps {
  plan: FleetPlan;
  asg: autoscaling.AutoScalingGroup;
  schedule?: readonly number[];
  fleet: string;
  alb: elbv2.ApplicationLoadBalancer;
  timeZone: string;
}

export function applyScaling(p: ScalingProps): void {
  const { plan, asg } = p;
  if (SCHEDULED_STRATEGIES.includes(plan.strategy)) {
    if (!p.schedule) throw new Error(`strategy ${plan.strategy} needs the weekly schedule`);
    for (const a of scheduledActions(p.schedule, Math.ceil(plan.coldStartS / 60))) {
      const hour = Math.floor(a.minuteOfDay / 60);
      const minute = a.minuteOfDay % 60;
      asg.scaleOnSchedule(`At${String(hour).padStart(2, '0')}${String(minute).padStart(2, '0')}To${a.instances}Days${a.weekDays.join('')}`, {
        schedule: autoscaling.Schedule.cron({ minute: String(minute), hour: String(hour), weekDay: a.weekDays.join(',') }),
        minCapacity: a.instances,
        maxCapacity: a.instances,
        desiredCapacity: a.instances,
        timeZone: p.timeZone,
      });
    }
  }
  if (REACTIVE_STRATEGIES.includes(plan.strategy)) {
    asg.scaleToTrackMetric('AdmittedPerInstance', {
      metric: serviceMetric(p.fleet, ADMITTED, 'Average'),
      targetValue: targetAdmittedPerInstance(plan),
      estimatedInstanceWarmup: Duration.seconds(Math.max(60, Math.ceil(plan.coldStartS))),
    });
  }
  if (plan.strategy === 'scale-to-zero') {
    const albMetric = (metricName: string, period: Duration) =>
      new cloudwatch.Metric({ namespace: 'AWS/ApplicationELB', metricName, dimensionsMap: { LoadBalancer: p.alb.loadBalancerFullName }, statistic: 'Sum', period });
    // With no instance registered the balancer answers 503 itself; one such answer starts one instance.
    const oneMinute = Duration.minutes(1);
    asg.scaleOnMetric('FromZero', {
      metric: new cloudwatch.MathExpression({ expression: 'FILL(m, 0)', usingMetrics: { m: albMetric('HTTPCode_ELB_503_Count', oneMinute) }, period: oneMinute }),
      scalingSteps: [
        { upper: 0, change: 0 },
        { lower: 1, change: 1 },
      ],
      adjustmentType: autoscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      evaluationPeriods: 1,
    });
    // No request for the plan's idle minutes: stop everything (the planner's idleMinutes).
    const idle = Duration.minutes(plan.idleMinutes);
    asg.scaleOnMetric('ToZero', {
      metric: new cloudwatch.MathExpression({ expression: 'FILL(m, 0)', usingMetrics: { m: albMetric('RequestCount', idle) }, period: idle }),
      scalingSteps: [
        { upper: 0, change: -100 },
        { lower: 1, change: 0 },
      ],
      adjustmentType: autoscaling.AdjustmentType.PERCENT_CHANGE_IN_CAPACITY,
      evaluationPeriods: 1,
    });
  }
}
