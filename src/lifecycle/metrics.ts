// The instance lifecycle's Prometheus metrics, on the app's registry (src/metrics/metrics.ts):
// notices by kind (alarm on spot interruptions), the drain as it happens, and how often the
// metadata service told us nothing (a watcher that cannot read IMDS protects nothing).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { InstanceDrain } from './drain.js';
import type { ImdsProblem } from './notice-watcher.js';
import type { NoticeKind } from './notices.js';

export class LifecycleMetrics {
  readonly notices: Counter<'kind'>;
  readonly refused: Counter;
  readonly drains: Counter<'outcome'>;
  readonly imdsProblems: Counter<'problem'>;

  constructor(registry: Registry, drain: InstanceDrain) {
    const registers = [registry];
    this.notices = new Counter({
      name: 'cosyfleet_instance_notices_total',
      help: 'Notices that this instance is going away or at risk: spot_interruption (spot/instance-action), rebalance (rebalance recommendation), scale_in (Auto Scaling target lifecycle state leaving service).',
      labelNames: ['kind'],
      registers,
    });
    for (const kind of ['spot_interruption', 'rebalance', 'scale_in'] satisfies NoticeKind[]) this.notices.inc({ kind }, 0);
    this.refused = new Counter({ name: 'cosyfleet_instance_drain_refused_total', help: 'New work refused with 503 instance_draining while this instance drained.', registers });
    this.drains = new Counter({
      name: 'cosyfleet_instance_drains_total',
      help: 'Drains on a notice that ended: finished (nothing left in flight) or deadline (the notice window ran out first).',
      labelNames: ['outcome'],
      registers,
    });
    this.imdsProblems = new Counter({
      name: 'cosyfleet_imds_problems_total',
      help: 'Instance metadata reads that told nothing: unreachable, malformed (a body not as documented), status (neither 200 nor 404).',
      labelNames: ['problem'],
      registers,
    });
    for (const problem of ['unreachable', 'malformed', 'status'] satisfies ImdsProblem[]) this.imdsProblems.inc({ problem }, 0);
    new Gauge({
      name: 'cosyfleet_instance_draining',
      help: '1 while this instance drains on a notice (readiness red, new work refused), else 0.',
      registers,
      collect() {
        this.set(drain.draining ? 1 : 0);
      },
    });
    new Gauge({
      name: 'cosyfleet_instance_unready',
      help: '1 while readiness is red on the instance\'s account (a notice; not the engine\'s), else 0.',
      registers,
      collect() {
        this.set(drain.unreadyReason === null ? 0 : 1);
      },
    });
    new Gauge({
      name: 'cosyfleet_instance_requests_in_flight',
      help: 'HTTP requests in flight that a drain waits for (probes and /metrics excluded).',
      registers,
      collect() {
        this.set(drain.inFlight);
      },
    });
  }
}
