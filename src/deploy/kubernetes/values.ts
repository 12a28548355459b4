// The Helm values a capacity plan (`cosyfleet plan … --format json`) implies: the recommended
// instance type as the GPU pods' node selector, its GPUs per pod, the plan's concurrency as the
// engine's slots, and the strategy as KEDA runs it (always-on: a fixed count; the others: the
// queue between the plan's trough and its peak; scale-to-zero: minReplicaCount 0).
import type { PlanResult } from '../../planner/plan.js';
import type { Values } from './chart.js';

export type ChartEngine = 'cosyvoice' | 'triton' | 'espeak';

/** The planner's engine profiles → what the chart runs them with. */
export const PLAN_ENGINES: Record<string, { chart: ChartEngine; note?: string }> = {
  'cosyvoice3-trtllm': { chart: 'triton' },
  'cosyvoice3-vllm-omni': {
    chart: 'cosyvoice',
    note: 'the plan was sized with the vLLM-Omni profile; the chart has no vLLM-Omni server, so it runs cosyfleet\'s own cosyvoice workers: measure them (cosyfleet bench) and plan again with --profile',
  },
  'espeak-embedded': { chart: 'espeak' },
};

/** Share of a pod's engine slots the queue may fill before KEDA adds a pod (the planner's default autoscale headroom, 10%). */
export const HEADROOM = 0.1;

export interface PlanValuesOptions {
  /** Overrides the engine the plan's profile implies. */
  engine?: ChartEngine;
  /** Prometheus query that wakes a fleet at zero (needed for scale-to-zero). */
  wakeQuery?: string;
  prometheusUrl?: string;
}

export interface PlanValues {
  values: Values;
  /** What the user should know about the translation (printed on stderr). */
  notes: string[];
}

export class PlanValuesError extends Error {}

export function valuesFromPlan(plan: PlanResult, options: PlanValuesOptions = {}): PlanValues {
  const rec = plan.recommendation;
  if (!rec) throw new PlanValuesError('the plan recommends nothing (no instance type met the SLO): there is no fleet to deploy');
  const notes: string[] = [];
  const known = PLAN_ENGINES[plan.engine];
  const engine = options.engine ?? known?.chart;
  if (!engine) throw new PlanValuesError(`the plan's engine ${plan.engine} has no chart variant; pass --engine cosyvoice or --engine triton`);
  if (!options.engine && known?.note) notes.push(known.note);

  const gpus = engine === 'espeak' ? 0 : rec.gpusPerInstance;
  const slots = Math.max(1, rec.concurrencyPerGpu * Math.max(1, gpus));
  const peak = Math.max(1, rec.peakInstances);
  const trough = Math.max(1, Math.floor(Math.min(...rec.fleetByHourOfDay)));
  const values: Values = {
    nodeSelector: { 'node.kubernetes.io/instance-type': rec.instanceType },
    ...(engine === 'triton' ? {} : { gpu: { count: gpus } }),
    config: {
      COSYFLEET_INSTANCE_TYPE: rec.instanceType,
      COSYFLEET_REGION: plan.region,
      ...(engine === 'cosyvoice' ? { WORKER_CONCURRENCY: String(rec.concurrencyPerGpu) } : {}),
      // The gateway round-robins over every Triton pod (headless Service), so it sends the peak
      // fleet's slots at once; below the peak the extra segments wait in Triton's queue, where
      // KEDA's metric (running segments) still counts them.
      ...(engine === 'triton' ? { REMOTE_CONCURRENCY: String(slots * peak) } : {}),
    },
  };
  if (engine === 'triton') values.triton = { enabled: true, gpu: { count: gpus } };
  else values.engine = engine;
  if (engine === 'triton' && peak > 1) {
    notes.push(
      `one gateway (gateway.replicas 1) feeds all ${peak} Triton pods of the peak, round-robin over the headless Service, with REMOTE_CONCURRENCY ${slots * peak} (${slots} slots per pod); below the peak the extra segments wait in Triton's queue rather than cosyfleet's (no priorities there). More gateways (availability, CPU): divide REMOTE_CONCURRENCY among them and give every voice a transcript of its own, since gateways do not see each other's sends to Triton's per-transcript prompt cache (docs/deployment.md, "One voice per transcript")`,
    );
  }
  if (engine === 'triton' && gpus > 1) notes.push(`${rec.instanceType} has ${gpus} GPUs: the official Triton recipe serves one GPU per server, so check that its model repository spreads instances over all of them`);

  const toZero = rec.strategy === 'scale-to-zero';
  if (rec.strategy === 'always-on') {
    if (engine === 'triton') (values.triton as Values).replicas = peak;
    else values.replicaCount = peak;
    values.autoscaling = { enabled: false };
  } else {
    if (toZero && !options.wakeQuery) {
      throw new PlanValuesError(
        'the plan scales to zero: pass --wake-query with a Prometheus query on what stays up while no GPU pod runs (e.g. your ingress: sum(rate(nginx_ingress_controller_requests{exported_service="cosyfleet"}[2m]))); cosyfleet itself reports no queue when it has no pod',
      );
    }
    values.autoscaling = {
      enabled: true,
      minReplicas: toZero ? 0 : Math.min(trough, peak),
      maxReplicas: peak,
      targetSegmentsPerReplica: String(Math.round((slots / (1 + HEADROOM)) * 100) / 100),
      ...(toZero ? { wakeQuery: options.wakeQuery } : {}),
      ...(options.prometheusUrl ? { prometheus: { serverAddress: options.prometheusUrl } } : {}),
    };
    if (rec.strategy === 'schedule' || rec.strategy === 'spot-schedule') {
      notes.push(`the plan's clock schedule runs here as queue-driven scaling between its trough (${Math.min(trough, peak)}) and peak (${peak}) pods`);
    }
  }
  if (rec.strategy.startsWith('spot')) {
    notes.push(`strategy ${rec.strategy}: spot or on-demand is your node pool's choice (e.g. a Karpenter NodePool's karpenter.sh/capacity-type); the chart asks only for ${rec.instanceType} nodes`);
  }
  return { values, notes };
}

/** The comment block at the top of the written values file: where they came from. */
export function planHeader(plan: PlanResult): string[] {
  const rec = plan.recommendation;
  if (!rec) return [];
  return [
    `Helm values for deploy/kubernetes/cosyfleet, from the capacity plan of ${plan.generatedAt} (catalog ${plan.catalogVersion}).`,
    `Workload ${plan.workload.name}: engine ${plan.engine}, ${rec.instanceType} (${rec.gpusPerInstance}x ${rec.gpu}), strategy ${rec.strategy},`,
    `peak ${rec.peakInstances} instances, predicted $${rec.monthlyCostUsd.toFixed(2)}/month (compute $${rec.computeMonthlyUsd.toFixed(2)}).`,
    'helm install cosyfleet deploy/kubernetes/cosyfleet -f this-file.yaml (plus your image, secrets and model volume).',
  ];
}
