// How the service's own /metrics reach CloudWatch, and the metrics the fleet scales and alarms
// on. The CloudWatch agent scrapes http://127.0.0.1:PORT/metrics every minute (Prometheus
// scrape config) and publishes the selected series as embedded-metric-format logs under the
// namespace below, with one dimension, Fleet (the stack's name), set as a static scrape label:
// every instance writes the same metric, so a statistic over Fleet is the fleet's (Average =
// per instance). The agent's own nvidia_gpu plugin adds GPU memory per instance under CWAgent.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

export const NAMESPACE = 'Cosyfleet';
export const AGENT_NAMESPACE = 'CWAgent';

/** One selected Prometheus series: its name, the label values that pick it, the statistic read. */
interface Series {
  metric: string;
  /** Labels (besides job) and the regular expression their values must match, joined by ';'. */
  labels: string[];
  matcher: string;
}

/**
 * Admitted jobs (waiting + running) on the instance: cosyfleet_jobs_active{state="admitted"}.
 * Divided by the instance's engine slots it is the busy share; the fleet tracks its per-instance
 * average against slots × target utilization.
 */
export const ADMITTED: Series = { metric: 'cosyfleet_jobs_active', labels: ['state'], matcher: 'admitted' };
/** Requests refused with 429 at admission (queue_full, overloaded): a counter, sent as its change per scrape. */
export const REJECTED: Series = { metric: 'cosyfleet_jobs_rejected_total', labels: [], matcher: '' };
/** Worker processes replaced (crash, unresponsive, cuda_oom, recycling). */
export const RESTARTS: Series = { metric: 'cosyfleet_worker_restarts_total', labels: [], matcher: '' };
export const FINISHED: Series = { metric: 'cosyfleet_jobs_total', labels: [], matcher: '' };

export const SERIES = [ADMITTED, REJECTED, RESTARTS, FINISHED];

export function prometheusYaml(fleet: string, port: number): string {
  return [
    'global:',
    '  scrape_interval: 1m',
    '  scrape_timeout: 10s',
    'scrape_configs:',
    '  - job_name: cosyfleet',
    '    static_configs:',
    `      - targets: ['127.0.0.1:${port}']`,
    '        labels:',
    `          Fleet: '${fleet}'`,
    '',
  ].join('\n');
}

export function agentConfig(fleet: string): string {
  const declaration = (s: Series) => ({
    source_labels: ['job', ...s.labels],
    label_matcher: s.labels.length === 0 ? '^cosyfleet$' : `^cosyfleet;${s.matcher}$`,
    dimensions: [['Fleet']],
    metric_selectors: [`^${s.metric}$`],
  });
  return JSON.stringify(
    {
      agent: { metrics_collection_interval: 60 },
      metrics: {
        namespace: AGENT_NAMESPACE,
        append_dimensions: { AutoScalingGroupName: '${aws:AutoScalingGroupName}', InstanceId: '${aws:InstanceId}' },
        aggregation_dimensions: [['AutoScalingGroupName']],
        metrics_collected: { nvidia_gpu: { measurement: ['memory_used', 'memory_total', 'utilization_gpu'] } },
      },
      logs: {
        metrics_collected: {
          prometheus: {
            log_group_name: `/cosyfleet/${fleet}/prometheus`,
            prometheus_config_path: '/opt/aws/amazon-cloudwatch-agent/etc/prometheus.yaml',
            emf_processor: { metric_declaration_dedup: true, metric_namespace: NAMESPACE, metric_declaration: SERIES.map(declaration) },
          },
        },
      },
    },
    null,
    2,
  );
}

export function serviceMetric(fleet: string, s: Series, statistic: string, period = Duration.minutes(1)): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: NAMESPACE, metricName: s.metric, dimensionsMap: { Fleet: fleet }, statistic, period });
}

/** GPU memory used, percent of the GPU's, highest instance of the group (the agent's nvidia_gpu plugin). */
export function gpuMemoryPercent(asgName: string): cloudwatch.MathExpression {
  const m = (name: string) => new cloudwatch.Metric({ namespace: AGENT_NAMESPACE, metricName: `nvidia_smi_${name}`, dimensionsMap: { AutoScalingGroupName: asgName }, statistic: 'Maximum', period: Duration.minutes(1) });
  return new cloudwatch.MathExpression({ expression: '100 * used / total', usingMetrics: { used: m('memory_used'), total: m('memory_total') }, label: 'GPU memory used (%)', period: Duration.minutes(1) });
}
