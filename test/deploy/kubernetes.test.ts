// The Helm chart (deploy/kubernetes/cosyfleet) rendered the way `helm template` renders it (no helm
// binary can be installed here: src/deploy/kubernetes/render.ts), every object checked against
// the Kubernetes schemas (kubernetes-models' validate() plus unknown fields from its type
// declarations) and the CRDs' own schemas, the values against values.schema.json, and values
// made by `cosyfleet deploy kubernetes` from real plans of examples/workload.yaml.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Ajv } from 'ajv';
import YAML from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { parseGrpcTarget } from '../../src/config/remote.js';
import { SETTINGS } from '../../src/config/settings.js';
import { ROUTE_SCOPES } from '../../src/http/auth.js';
import { ServiceMetrics } from '../../src/metrics/metrics.js';
import { CHART_DIR, loadChartDefaults, mergeValues, renderChart, YAML_1_1, type Manifest, type Values } from '../../src/deploy/kubernetes/chart.js';
import { runDeployCommand } from '../../src/deploy/command.js';
import { runDeployKubernetes } from '../../src/deploy/kubernetes/command.js';
import { SCALED_OBJECT_SCHEMA, SERVICE_MONITOR_SCHEMA } from '../../src/deploy/kubernetes/crd-schemas.js';
import { unknownFields } from '../../src/deploy/kubernetes/k8s-fields.js';
import { TemplateError } from '../../src/deploy/kubernetes/render.js';
import { valuesFromPlan } from '../../src/deploy/kubernetes/values.js';
import { plan, type PlanResult } from '../../src/planner/plan.js';
import { renderJson } from '../../src/planner/report.js';
import type { StrategyName } from '../../src/planner/simulate.js';
import { loadWorkloadFile } from '../../src/planner/workload.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ajv = new Ajv({ allErrors: true, strict: false });
const valuesSchema = ajv.compile(JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8')) as object);
const crdSchemas: Record<string, ReturnType<typeof ajv.compile>> = {
  ScaledObject: ajv.compile(SCALED_OBJECT_SCHEMA),
  ServiceMonitor: ajv.compile(SERVICE_MONITOR_SCHEMA),
};
const BUILTIN: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

/** Every object valid for its kind; returns the manifests for further checks. */
function validateAll(manifests: Manifest[]): Manifest[] {
  assert.ok(manifests.length > 0);
  for (const { source, object } of manifests) {
    const where = `${source}: ${String(object.kind)} ${String((object.metadata as Obj | undefined)?.name)}`;
    const crd = crdSchemas[String(object.kind)];
    if (crd) {
      assert.ok(crd(object), `${where}: ${JSON.stringify(crd.errors)}`);
      continue;
    }
    const Model = BUILTIN[`${String(object.apiVersion)}/${String(object.kind)}`];
    assert.ok(Model, `${where}: a kind this test does not know`);
    assert.doesNotThrow(() => new Model(object as never).validate(), where);
    assert.deepEqual(unknownFields(object), [], where);
    assert.match(String((object.metadata as Obj).name), /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, `${where}: name`);
  }
  return manifests;
}

function checkValues(values: Values): void {
  const merged = mergeValues(loadChartDefaults(), values);
  assert.ok(valuesSchema(merged), JSON.stringify(valuesSchema.errors));
}

const find = (ms: Manifest[], kind: string, name?: string): Obj | undefined =>
  ms.map((m) => m.object as Obj).find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
const all = (ms: Manifest[], kind: string): Obj[] => ms.map((m) => m.object as Obj).filter((o) => o.kind === kind);
const envOf = (c: Obj): Map<string, Obj> => new Map((c.env as Obj[]).map((e) => [e.name as string, e]));

/** preStop, then the drain the service is told, must both fit in the grace period. */
function assertDrainFits(d: Obj): void {
  const pod = d.spec.template.spec;
  const grace = pod.terminationGracePeriodSeconds as number;
  for (const c of pod.containers as Obj[]) {
    const sleep = Number((c.lifecycle.preStop.exec.command as string[])[1]);
    assert.ok(sleep > 0, 'preStop waits for the endpoint removal to spread');
    const drainMs = c.name === 'cosyfleet' ? Number(envOf(c).get('SHUTDOWN_TIMEOUT_MS')?.value) : 0;
    if (c.name === 'cosyfleet') assert.ok(drainMs > 0);
    assert.ok(grace > sleep + drainMs / 1000, `${d.metadata.name}/${c.name}: grace ${grace} s must exceed preStop ${sleep} s + drain ${drainMs / 1000} s`);
  }
}

const GOOD_KEYS = { adminKey: 'admin-key-0123456789abcdef', apiKeys: 'tenant-a:app-key-0123456789abcdef' };

test('the default values pass the schema and render objects that all validate', () => {
  checkValues({});
  const { manifests, notes } = renderChart({});
  validateAll(manifests);
  assert.deepEqual(manifests.map((m) => m.object.kind).sort(), ['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Secret', 'Service']);
  const d = find(manifests, 'Deployment') as Obj;
  const c = d.spec.template.spec.containers[0] as Obj;
  assert.equal(c.resources.limits['nvidia.com/gpu'], 1);
  assert.equal(c.resources.requests['nvidia.com/gpu'], 1);
  assert.deepEqual(d.spec.template.spec.tolerations, [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
  assert.equal(envOf(c).get('COSYFLEET_ENGINE')?.value, 'cosyvoice');
  assert.equal(envOf(c).get('WORKER_GPUS')?.value, '0');
  // The model comes from the volume, read-only, where COSYVOICE_MODEL_DIR points.
  const mount = (c.volumeMounts as Obj[]).find((m) => m.name === 'model') as Obj;
  assert.equal(mount.mountPath, envOf(c).get('COSYVOICE_MODEL_DIR')?.value);
  assert.equal(mount.readOnly, true);
  assert.deepEqual((d.spec.template.spec.volumes as Obj[]).find((v) => v.name === 'model')?.persistentVolumeClaim, { claimName: 'cosyvoice-model', readOnly: true });
  // Without keys each pod would mint its own admin key: the notes say so.
  assert.match(notes, /WARNING: no API keys/);
  assert.equal(find(manifests, 'ScaledObject'), undefined);
});

test('probes: liveness on /healthz, readiness on /readyz, both on the container\'s http port; the drain fits the grace period', () => {
  for (const values of [{}, { drain: { preStopSleepSeconds: 3, shutdownTimeoutSeconds: 600, marginSeconds: 1 } }]) {
    checkValues(values);
    const d = find(renderChart(values).manifests, 'Deployment') as Obj;
    const c = d.spec.template.spec.containers[0] as Obj;
    assert.equal(c.livenessProbe.httpGet.path, '/healthz');
    assert.equal(c.readinessProbe.httpGet.path, '/readyz');
    assert.equal(c.startupProbe.httpGet.path, '/healthz');
    for (const p of [c.livenessProbe, c.readinessProbe, c.startupProbe]) assert.ok((c.ports as Obj[]).some((port) => port.name === p.httpGet.port));
    assertDrainFits(d);
  }
  const long = find(renderChart({ drain: { preStopSleepSeconds: 3, shutdownTimeoutSeconds: 600, marginSeconds: 1 } }).manifests, 'Deployment') as Obj;
  assert.equal(long.spec.template.spec.terminationGracePeriodSeconds, 604);
});

test('the env the chart sets and the config keys it takes are real settings; secrets come from the Secret', () => {
  const envs = new Set<string>(SETTINGS.map((s) => s.env));
  const { manifests } = renderChart({ secrets: GOOD_KEYS, config: { OBJECT_STORE: 's3', S3_BUCKET: 'b', QUEUE_MAX: 128 } });
  validateAll(manifests);
  const c = (find(manifests, 'Deployment') as Obj).spec.template.spec.containers[0] as Obj;
  for (const name of envOf(c).keys()) assert.ok(envs.has(name), `${name} is not a cosyfleet setting`);
  const cm = find(manifests, 'ConfigMap') as Obj;
  for (const name of Object.keys(cm.data)) assert.ok(envs.has(name), `${name} is not a cosyfleet setting`);
  assert.equal(cm.data.QUEUE_MAX, '128');
  // Why values.schema.json wants large numbers quoted: Helm prints a float64 of 1e6 or more in exponent form.
  assert.equal((find(renderChart({ config: { WORKER_START_TIMEOUT_MS: 3600000 } }).manifests, 'ConfigMap') as Obj).data.WORKER_START_TIMEOUT_MS, '3.6e+06');
  const secret = find(manifests, 'Secret') as Obj;
  assert.equal(Buffer.from(secret.data.COSYFLEET_ADMIN_KEY, 'base64').toString(), GOOD_KEYS.adminKey);
  assert.equal(envOf(c).get('COSYFLEET_ADMIN_KEY')?.valueFrom.secretKeyRef.name, secret.metadata.name);
  // A user-managed Secret replaces the chart's.
  const own = renderChart({ secrets: { existingSecret: 'mine' } }).manifests;
  assert.equal(find(own, 'Secret'), undefined);
  const ownC = (find(own, 'Deployment') as Obj).spec.template.spec.containers[0] as Obj;
  assert.equal(envOf(ownC).get('DATABASE_URL')?.valueFrom.secretKeyRef.name, 'mine');
  // The image runs as the Dockerfile's user.
  assert.match(readFileSync('deploy/cosyvoice/Dockerfile', 'utf8'), new RegExp(`ARG COSYFLEET_UID=${(find(own, 'Deployment') as Obj).spec.template.spec.securityContext.runAsUser}\\b`));
});

test('ServiceMonitor: /metrics with the admin key from the Secret, which the route requires', () => {
  assert.equal(ROUTE_SCOPES['GET /metrics'], 'admin');
  const values = { serviceMonitor: { enabled: true }, secrets: GOOD_KEYS };
  checkValues(values);
  const ms = validateAll(renderChart(values).manifests);
  const sm = find(ms, 'ServiceMonitor') as Obj;
  const ep = sm.spec.endpoints[0] as Obj;
  assert.equal(ep.path, '/metrics');
  assert.equal(ep.authorization.credentials.key, 'COSYFLEET_ADMIN_KEY');
  assert.equal(ep.authorization.credentials.name, (find(ms, 'Secret') as Obj).metadata.name);
  const svc = find(ms, 'Service') as Obj;
  assert.ok((svc.spec.ports as Obj[]).some((p) => p.name === ep.port));
  for (const [k, v] of Object.entries(sm.spec.selector.matchLabels as Record<string, string>)) assert.equal(svc.metadata.labels[k], v);
  assert.throws(() => renderChart({ serviceMonitor: { enabled: true } }), (e: Error) => e instanceof TemplateError && /admin key/.test(e.message));
});

test('KEDA: a ScaledObject iff autoscaling is on, on metrics the service really exports; minReplicaCount 0 needs a wake query', () => {
  const on = { autoscaling: { enabled: true, minReplicas: 1, maxReplicas: 5, targetSegmentsPerReplica: '3.6' }, serviceMonitor: { enabled: true }, secrets: GOOD_KEYS };
  checkValues(on);
  const ms = validateAll(renderChart(on, { name: 'tts', namespace: 'speech' }).manifests);
  const so = find(ms, 'ScaledObject') as Obj;
  const d = find(ms, 'Deployment') as Obj;
  assert.equal(so.spec.scaleTargetRef.name, d.metadata.name);
  assert.equal(d.spec.replicas, undefined, 'KEDA owns the replica count');
  assert.equal(so.spec.minReplicaCount, 1);
  assert.equal(so.spec.maxReplicaCount, 5);
  assert.equal(so.spec.triggers.length, 1);
  const query = so.spec.triggers[0].metadata.query as string;
  assert.equal(so.spec.triggers[0].metadata.threshold, '3.6');
  // The series the query reads exist in the service's registry, labelled as the ServiceMonitor scrapes them.
  const names = new Set(new ServiceMetrics({ defaultMetrics: false }).registry.getMetricsAsArray().map((m) => m.name));
  for (const metric of query.match(/cosyfleet_\w+/g) ?? []) assert.ok(names.has(metric), `${metric} is not a cosyfleet metric`);
  assert.match(query, /namespace="speech",service="tts-cosyfleet"/);
  assert.equal((find(ms, 'Service') as Obj).metadata.name, 'tts-cosyfleet');
  assert.equal(find(renderChart({}).manifests, 'ScaledObject'), undefined);

  const toZero = { autoscaling: { ...on.autoscaling, minReplicas: 0 } };
  assert.equal(valuesSchema(mergeValues(loadChartDefaults(), toZero)), false, 'the schema asks for the wake query');
  assert.throws(() => renderChart(toZero), (e: Error) => e instanceof TemplateError && /wakeQuery is required/.test(e.message));
  const woken = { autoscaling: { ...toZero.autoscaling, wakeQuery: 'sum(rate(nginx_ingress_controller_requests{exported_service="tts-cosyfleet"}[2m]))' } };
  checkValues(woken);
  const zero = find(validateAll(renderChart(woken).manifests), 'ScaledObject') as Obj;
  assert.equal(zero.spec.minReplicaCount, 0);
  assert.deepEqual(zero.spec.triggers.map((t: Obj) => t.name), ['queue', 'wake']);
  assert.match(zero.spec.triggers[1].metadata.query, /^\(sum\(rate\(nginx_ingress.*\)\) > bool 0$/);
});

test('triton.enabled: a CPU gateway (engine triton) in front of a GPU Triton Deployment and Service that KEDA scales', () => {
  const values = { triton: { enabled: true }, autoscaling: { enabled: true, minReplicas: 1, maxReplicas: 3, targetSegmentsPerReplica: '14.55' }, serviceMonitor: { enabled: true }, secrets: GOOD_KEYS };
  checkValues(values);
  const ms = validateAll(renderChart(values).manifests);
  const deployments = all(ms, 'Deployment');
  assert.equal(deployments.length, 2);
  const gateway = find(ms, 'Deployment', 'cosyfleet') as Obj;
  const triton = find(ms, 'Deployment', 'cosyfleet-triton') as Obj;
  const gc = gateway.spec.template.spec.containers[0] as Obj;
  const tc = triton.spec.template.spec.containers[0] as Obj;
  assert.equal(envOf(gc).get('COSYFLEET_ENGINE')?.value, 'triton');
  assert.equal(gc.resources.limits['nvidia.com/gpu'], undefined, 'the gateway needs no GPU');
  assert.equal(gateway.spec.template.spec.tolerations, undefined);
  assert.equal(envOf(gc).get('COSYVOICE_MODEL_DIR'), undefined);
  assert.equal(tc.resources.limits['nvidia.com/gpu'], 1);
  // TRITON_URL is dns:/// + the Triton Service's gRPC port, whose selector picks the Triton pods;
  // headless, so the name resolves to every pod and the engine's round_robin reaches them all.
  const url = /^dns:\/\/\/([^:]+):(\d+)$/.exec(String(envOf(gc).get('TRITON_URL')?.value));
  assert.ok(url, `TRITON_URL ${envOf(gc).get('TRITON_URL')?.value}`);
  const [, host, port] = url;
  const svc = find(ms, 'Service', host as string) as Obj;
  assert.ok(svc, `no Service ${host}`);
  assert.equal(svc.spec.clusterIP, 'None');
  assert.equal(svc.spec.type, undefined);
  assert.doesNotThrow(() => parseGrpcTarget(String(envOf(gc).get('TRITON_URL')?.value)));
  const grpcPort = (svc.spec.ports as Obj[]).find((p) => p.port === Number(port)) as Obj;
  assert.equal(grpcPort.name, 'grpc');
  assert.ok((tc.ports as Obj[]).some((p) => p.name === grpcPort.targetPort));
  for (const [k, v] of Object.entries(svc.spec.selector as Record<string, string>)) assert.equal(triton.spec.template.metadata.labels[k], v);
  for (const [k, v] of Object.entries((find(ms, 'Service', 'cosyfleet') as Obj).spec.selector as Record<string, string>)) assert.equal(gateway.spec.template.metadata.labels[k], v);
  assert.equal(tc.readinessProbe.httpGet.path, '/v2/health/ready');
  assert.equal(tc.livenessProbe.httpGet.path, '/v2/health/live');
  assert.ok((triton.spec.template.spec.volumes as Obj[]).some((v) => v.name === 'shm' && v.emptyDir.medium === 'Memory'));
  for (const d of deployments) assertDrainFits(d);
  // KEDA scales the GPU tier; the gateway keeps its own count.
  assert.equal((find(ms, 'ScaledObject') as Obj).spec.scaleTargetRef.name, 'cosyfleet-triton');
  assert.equal(gateway.spec.replicas, 1);
  assert.equal(triton.spec.replicas, undefined);
  assert.equal(all(ms, 'PodDisruptionBudget').length, 2);
  // At zero Triton pods the gateway stays in its Service (liveness route as readiness) and answers 503 itself.
  const zero = renderChart({ ...values, autoscaling: { ...values.autoscaling, minReplicas: 0, wakeQuery: 'sum(up)' } }).manifests;
  assert.equal((find(zero, 'Deployment', 'cosyfleet') as Obj).spec.template.spec.containers[0].readinessProbe.httpGet.path, '/healthz');
});

test('values.schema.json refuses what the chart cannot honour', () => {
  const bad: [string, Values][] = [
    ['an unknown top-level key', { replicas: 2 }],
    ['an unknown engine', { engine: 'openai-speech' }],
    ['a setting the chart owns', { config: { SHUTDOWN_TIMEOUT_MS: '1000' } }],
    ['a secret in the ConfigMap', { config: { COSYFLEET_ADMIN_KEY: 'x'.repeat(20) } }],
    ['the instance-metadata watch, which evictions replace here', { config: { IMDS_WATCH: 'on' } }],
    ['a lower-case setting name', { config: { log_level: 'info' } }],
    ['a number Helm would print as 3.6e+06', { config: { WORKER_START_TIMEOUT_MS: 3600000 } }],
    ['no GPU for the cosyvoice engine', { gpu: { count: 0 } }],
    ['a drain longer than the service allows', { drain: { preStopSleepSeconds: 5, shutdownTimeoutSeconds: 601, marginSeconds: 5 } }],
    ['no margin after the drain', { drain: { preStopSleepSeconds: 5, shutdownTimeoutSeconds: 60, marginSeconds: 0 } }],
    ['a short admin key', { secrets: { adminKey: 'short' } }],
    ['a database URL that is not PostgreSQL', { secrets: { databaseUrl: 'mysql://db/x' } }],
    ['scale to zero without a wake query', { autoscaling: { enabled: true, minReplicas: 0, maxReplicas: 2, targetSegmentsPerReplica: '1' } }],
    ['a model PVC without a name', { model: { source: 'pvc', pvc: { claimName: '' } } }],
    ['a relative hostPath', { model: { source: 'hostPath', hostPath: { path: 'models' } } }],
    ['a non-numeric KEDA threshold', { autoscaling: { enabled: true, minReplicas: 1, maxReplicas: 2, targetSegmentsPerReplica: 'lots' } }],
    ['a KEDA threshold of zero', { autoscaling: { enabled: true, minReplicas: 1, maxReplicas: 2, targetSegmentsPerReplica: '0.0' } }],
  ];
  for (const [why, values] of bad) assert.equal(valuesSchema(mergeValues(loadChartDefaults(), values)), false, why);
  // An espeak (CPU) deployment needs no GPU.
  checkValues({ engine: 'espeak', gpu: { count: 0 } });
  validateAll(renderChart({ engine: 'espeak', gpu: { count: 0 }, tolerations: null, model: { source: 'none' } }).manifests);
});

// Real plans of the example workload, one per strategy the chart runs differently.
const plans = new Map<StrategyName, PlanResult>();
let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'cosyfleet-k8s-'));
  const workload = loadWorkloadFile('examples/workload.yaml');
  workload.instanceTypes = ['g6e.xlarge'];
  for (const strategy of ['always-on', 'autoscale', 'scale-to-zero'] as const) {
    const result = plan({ workload, strategies: [strategy], sensitivityTop: 0 });
    assert.ok(result.recommendation, `a ${strategy} plan`);
    plans.set(strategy, result);
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

const io = () => {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: { write: (s: string) => (out.stdout += s) }, stderr: { write: (s: string) => (out.stderr += s) } } };
};

test('values from real plans: node selector, GPUs, concurrency and the strategy as KEDA runs it', () => {
  for (const [strategy, p] of plans) {
    const rec = p.recommendation as NonNullable<PlanResult['recommendation']>;
    const { values } = valuesFromPlan(p, strategy === 'scale-to-zero' ? { wakeQuery: 'sum(up{job="ingress"})' } : {});
    checkValues(values);
    const ms = validateAll(renderChart(mergeValues(values, { serviceMonitor: { enabled: true }, secrets: GOOD_KEYS })).manifests);
    const so = find(ms, 'ScaledObject');
    // The example's engine profile is Triton + TensorRT-LLM: the GPU tier is Triton's Deployment.
    assert.equal(p.engine, 'cosyvoice3-trtllm');
    const gpuTier = find(ms, 'Deployment', 'cosyfleet-triton') as Obj;
    assert.deepEqual(gpuTier.spec.template.spec.nodeSelector, { 'node.kubernetes.io/instance-type': rec.instanceType });
    assert.equal(gpuTier.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu'], rec.gpusPerInstance);
    const cm = find(ms, 'ConfigMap') as Obj;
    assert.equal(cm.data.COSYFLEET_INSTANCE_TYPE, rec.instanceType);
    assert.equal(cm.data.COSYFLEET_REGION, p.region);
    const slots = rec.concurrencyPerGpu * rec.gpusPerInstance;
    // One gateway round-robins over every Triton pod: it sends the peak fleet's slots at once.
    assert.equal(Number(cm.data.REMOTE_CONCURRENCY), slots * Math.max(1, rec.peakInstances));
    assert.equal((find(ms, 'Deployment', 'cosyfleet') as Obj).spec.replicas, 1);
    if (strategy === 'always-on') {
      assert.equal(so, undefined, 'always-on: no autoscaling');
      assert.equal(gpuTier.spec.replicas, Math.max(1, rec.peakInstances));
      continue;
    }
    assert.ok(so, `${strategy}: a ScaledObject`);
    assert.equal(so.spec.minReplicaCount === 0, strategy === 'scale-to-zero', `${strategy}: minReplicaCount ${so.spec.minReplicaCount}`);
    assert.equal(so.spec.maxReplicaCount, Math.max(1, rec.peakInstances));
    assert.ok(Number(so.spec.triggers[0].metadata.threshold) < slots, 'scales out before every slot is full');
  }
});

test('cosyfleet deploy kubernetes --plan writes the values and renders the manifests', async () => {
  const autoscale = plans.get('autoscale') as PlanResult;
  const planFile = join(dir, 'plan.json');
  writeFileSync(planFile, renderJson(autoscale));
  const own = join(dir, 'own.yaml');
  writeFileSync(own, YAML.stringify({ image: { repository: 'registry.example.com/cosyfleet' }, secrets: GOOD_KEYS, serviceMonitor: { enabled: true } }));
  const out = join(dir, 'values.yaml');
  const render = join(dir, 'rendered');
  const r = io();
  const code = await runDeployKubernetes(['--plan', planFile, '--out', out, '--render', render, '--values', own, '--release', 'tts', '--namespace', 'speech'], r.io);
  assert.equal(code, 0, r.out.stderr);
  const written = YAML.parse(readFileSync(out, 'utf8'), YAML_1_1) as Values;
  assert.match(readFileSync(out, 'utf8'), new RegExp(`^# Helm values .*\\n# Workload narration: engine cosyvoice3-trtllm, ${autoscale.recommendation?.instanceType}`));
  checkValues(written);
  assert.equal((written.autoscaling as Obj).enabled, true);
  // The rendered files, as helm template --output-dir lays them out, validate too.
  const files = readdirSync(join(render, 'cosyfleet', 'templates'));
  assert.ok(files.includes('scaledobject.yaml') && files.includes('triton.yaml') && files.includes('servicemonitor.yaml'), files.join(' '));
  const rendered: Manifest[] = files.flatMap((f) =>
    YAML.parseAllDocuments(readFileSync(join(render, 'cosyfleet', 'templates', f), 'utf8'), YAML_1_1).map((d) => ({ source: f, object: d.toJS() as Record<string, unknown> })),
  );
  validateAll(rendered);
  const gateway = find(rendered, 'Deployment', 'tts-cosyfleet') as Obj;
  assert.equal(gateway.spec.template.spec.containers[0].image, 'registry.example.com/cosyfleet:0.1.0');
  assert.match(String((find(rendered, 'ScaledObject') as Obj).spec.triggers[0].metadata.query), /namespace="speech"/);

  // Values on stdout without --out.
  const s = io();
  assert.equal(await runDeployKubernetes(['--plan', planFile], s.io), 0);
  assert.deepEqual(YAML.parse(s.out.stdout, YAML_1_1), written);
});

test('cosyfleet deploy kubernetes refuses what it cannot deploy, with exit 2 and the reason', async () => {
  const zeroFile = join(dir, 'zero.json');
  writeFileSync(zeroFile, renderJson(plans.get('scale-to-zero') as PlanResult));
  const cases: [string[], RegExp][] = [
    [[], /missing --plan/],
    [['--plan', join(dir, 'absent.json')], /cannot read the plan/],
    [['--plan', zeroFile], /--wake-query/],
    [['--plan', zeroFile, '--engine', 'vllm'], /--engine must be/],
    [['--plan', zeroFile, '--release', 'Bad_Name'], /--release/],
    [['--plan', zeroFile, '--bogus'], /unknown option --bogus/],
  ];
  for (const [args, message] of cases) {
    const r = io();
    assert.equal(await runDeployKubernetes(args, r.io), 2, args.join(' '));
    assert.match(r.out.stderr, message);
  }
  const notAPlan = join(dir, 'not-a-plan.json');
  writeFileSync(notAPlan, '{"hello": 1}');
  const r = io();
  assert.equal(await runDeployKubernetes(['--plan', notAPlan], r.io), 2);
  assert.match(r.out.stderr, /not a plan/);
  const ok = io();
  assert.equal(await runDeployKubernetes(['--plan', zeroFile, '--wake-query', 'sum(up)', '--render', join(dir, 'z')], ok.io), 0, ok.out.stderr);
  assert.ok(existsSync(join(dir, 'z', 'cosyfleet', 'templates', 'scaledobject.yaml')));
  // Through `cosyfleet deploy`, as the CLI dispatches it.
  const help = io();
  assert.equal(await runDeployCommand(['kubernetes', '--help'], help.io), 0);
  assert.match(help.out.stdout, /--plan FILE/);
});
