// `cosyfleet deploy kubernetes --plan plan.json`: the Helm values the plan implies, and with
// --render the chart's manifests rendered with them (what `helm template` would print).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { parseArgs, type Io } from '../../planner/command.js';
import type { PlanResult } from '../../planner/plan.js';
import { CHART_DIR, mergeValues, renderChart, YAML_1_1, type Manifest } from './chart.js';
import { TemplateError } from './render.js';
import { planHeader, PlanValuesError, valuesFromPlan, type ChartEngine } from './values.js';

export const DEPLOY_KUBERNETES_USAGE = `Usage: cosyfleet deploy kubernetes --plan plan.json [options]

Writes Helm values for the chart in deploy/kubernetes/cosyfleet from a capacity plan
(cosyfleet plan workload.yaml --format json --out plan.json).

  --plan FILE          the plan (JSON), required
  --out FILE           write the values there (default: stdout)
  --render DIR         also render the chart's manifests with them into DIR (as helm template --output-dir)
  --values FILE        your own values (image, secrets, model volume), merged over the plan's for --render
  --engine NAME        cosyvoice | triton | espeak (default: what the plan's engine profile implies)
  --wake-query QUERY   Prometheus query that wakes a scale-to-zero fleet (required for that strategy)
  --prometheus URL     Prometheus server KEDA queries (default: the chart's)
  --release NAME       release name for --render (default cosyfleet)
  --namespace NS       namespace for --render (default default)

Then: helm install cosyfleet deploy/kubernetes/cosyfleet -f values.yaml -f your-values.yaml
`;

const ENGINES: readonly ChartEngine[] = ['cosyvoice', 'triton', 'espeak'];

export async function runDeployKubernetes(argv: readonly string[], io: Io): Promise<number> {
  const { positional, flags, problems } = parseArgs(argv, {
    '--plan': 'value', '--out': 'value', '--render': 'value', '--values': 'value', '--engine': 'value', '--wake-query': 'value', '--prometheus': 'value', '--release': 'value', '--namespace': 'value', '--help': 'bool',
  });
  if (flags.has('--help')) {
    io.stdout.write(DEPLOY_KUBERNETES_USAGE);
    return 0;
  }
  const one = (name: string) => flags.get(name)?.[0];
  const planPath = one('--plan');
  if (!planPath) problems.push('missing --plan');
  if (positional.length > 0) problems.push(`unexpected argument ${positional.join(' ')}`);
  const engine = one('--engine');
  if (engine !== undefined && !(ENGINES as readonly string[]).includes(engine)) problems.push(`--engine must be ${ENGINES.join(', ')}, got ${engine}`);
  const release = one('--release') ?? 'cosyfleet';
  const namespace = one('--namespace') ?? 'default';
  // DNS-1123 labels: what Kubernetes accepts as a release's object names and a namespace.
  if (!/^[a-z0-9]([-a-z0-9]{0,51}[a-z0-9])?$/.test(release)) problems.push(`--release must be a lower-case DNS label of at most 53 characters, got ${release}`);
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) problems.push(`--namespace must be a lower-case DNS label, got ${namespace}`);
  const prometheus = one('--prometheus');
  if (prometheus !== undefined && !/^https?:\/\/\S+$/.test(prometheus)) problems.push(`--prometheus must be an http(s) URL, got ${prometheus}`);
  if (problems.length > 0) {
    io.stderr.write(`${problems.map((p) => `cosyfleet deploy kubernetes: ${p}`).join('\n')}\n\n${DEPLOY_KUBERNETES_USAGE}`);
    return 2;
  }
  const fail = (message: string) => {
    io.stderr.write(`cosyfleet deploy kubernetes: ${message}\n`);
    return 2;
  };

  let plan: PlanResult;
  try {
    plan = JSON.parse(readFileSync(planPath as string, 'utf8')) as PlanResult;
  } catch (err) {
    return fail(`cannot read the plan ${planPath}: ${(err as Error).message}`);
  }
  if (typeof plan !== 'object' || plan === null || typeof plan.engine !== 'string' || !('recommendation' in plan)) {
    return fail(`${planPath} is not a plan from \`cosyfleet plan --format json\``);
  }
  let result;
  try {
    const wakeQuery = one('--wake-query');
    result = valuesFromPlan(plan, { ...(engine ? { engine: engine as ChartEngine } : {}), ...(wakeQuery ? { wakeQuery } : {}), ...(prometheus ? { prometheusUrl: prometheus } : {}) });
  } catch (err) {
    if (err instanceof PlanValuesError) return fail(err.message);
    throw err;
  }
  for (const note of result.notes) io.stderr.write(`note: ${note}\n`);
  const text = `${planHeader(plan).map((l) => `# ${l}`).join('\n')}\n${YAML.stringify(result.values, { ...YAML_1_1, lineWidth: 0 })}`;
  const out = one('--out');
  if (out) {
    writeFileSync(out, text);
    io.stderr.write(`wrote ${out}\n`);
  } else io.stdout.write(text);

  const dir = one('--render');
  if (dir) {
    let values = result.values;
    const own = one('--values');
    if (own) {
      try {
        values = mergeValues(values, (YAML.parse(readFileSync(own, 'utf8'), YAML_1_1) ?? {}) as Record<string, unknown>);
      } catch (err) {
        return fail(`cannot read --values ${own}: ${(err as Error).message}`);
      }
    }
    let manifests: Manifest[];
    try {
      manifests = renderChart(values, { name: release, namespace }).manifests;
    } catch (err) {
      if (err instanceof TemplateError) return fail(`the chart refused these values: ${err.message}`);
      throw err;
    }
    const bySource = new Map<string, Manifest[]>();
    for (const m of manifests) bySource.set(m.source, [...(bySource.get(m.source) ?? []), m]);
    for (const [source, ms] of bySource) {
      const path = join(dir, source);
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, ms.map((m) => `---\n# Source: ${source}\n${YAML.stringify(m.object, { ...YAML_1_1, lineWidth: 0 })}`).join(''));
    }
    io.stderr.write(`rendered ${manifests.length} objects from ${CHART_DIR} into ${dir}\n`);
  }
  return 0;
}
