// JSON schemas (draft-07) of the two custom resources the chart renders, written from their
// published CRDs: KEDA 2.x `scaledobjects.keda.sh` (v1alpha1) and prometheus-operator's
// `servicemonitors.monitoring.coreos.com` (v1). They hold the fields those CRDs define for the
// parts the chart uses, with unknown fields refused (the API server would prune them) and the
// CRDs' own constraints: trigger metadata values are strings, durations match the operator's
// pattern. The npm packages with these models need kubernetes-models 5; this repository has 4.

const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;

const objectMeta = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$', maxLength: 253 },
    namespace: { type: 'string' },
    labels: stringMap,
    annotations: stringMap,
  },
} as const;

/** A namespaced object of one kind whose spec is given; nothing else at the top level. */
function resource(apiVersion: string, kind: string, spec: object) {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    additionalProperties: false,
    properties: { apiVersion: { const: apiVersion }, kind: { const: kind }, metadata: objectMeta, spec },
  };
}

const labelSelector = {
  type: 'object',
  additionalProperties: false,
  properties: {
    matchLabels: stringMap,
    matchExpressions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'operator'],
        properties: { key: { type: 'string' }, operator: { type: 'string' }, values: { type: 'array', items: { type: 'string' } } },
      },
    },
  },
} as const;

const hpaRules = {
  type: 'object',
  additionalProperties: false,
  properties: {
    stabilizationWindowSeconds: { type: 'integer', minimum: 0, maximum: 3600 },
    selectPolicy: { enum: ['Max', 'Min', 'Disabled'] },
    tolerance: { type: ['string', 'number'] },
    policies: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'value', 'periodSeconds'],
        properties: { type: { enum: ['Pods', 'Percent'] }, value: { type: 'integer', exclusiveMinimum: 0 }, periodSeconds: { type: 'integer', exclusiveMinimum: 0, maximum: 1800 } },
      },
    },
  },
} as const;

export const SCALED_OBJECT_SCHEMA = resource('keda.sh/v1alpha1', 'ScaledObject', {
  type: 'object',
  additionalProperties: false,
  required: ['scaleTargetRef', 'triggers'],
  properties: {
    scaleTargetRef: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, name: { type: 'string' }, envSourceContainerName: { type: 'string' } },
    },
    pollingInterval: { type: 'integer', minimum: 1 },
    cooldownPeriod: { type: 'integer', minimum: 0 },
    initialCooldownPeriod: { type: 'integer', minimum: 0 },
    idleReplicaCount: { type: 'integer', minimum: 0 },
    minReplicaCount: { type: 'integer', minimum: 0 },
    maxReplicaCount: { type: 'integer', minimum: 1 },
    advanced: {
      type: 'object',
      additionalProperties: false,
      properties: {
        restoreToOriginalReplicaCount: { type: 'boolean' },
        horizontalPodAutoscalerConfig: {
          type: 'object',
          additionalProperties: false,
          properties: { name: { type: 'string' }, behavior: { type: 'object', additionalProperties: false, properties: { scaleUp: hpaRules, scaleDown: hpaRules } } },
        },
        scalingModifiers: { type: 'object' },
      },
    },
    fallback: {
      type: 'object',
      additionalProperties: false,
      required: ['failureThreshold', 'replicas'],
      properties: { failureThreshold: { type: 'integer', minimum: 0 }, replicas: { type: 'integer', minimum: 0 }, behavior: { type: 'string' } },
    },
    triggers: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'metadata'],
        properties: {
          type: { type: 'string', minLength: 1 },
          name: { type: 'string' },
          metadata: stringMap,
          metricType: { enum: ['AverageValue', 'Value', 'Utilization'] },
          useCachedMetrics: { type: 'boolean' },
          authenticationRef: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string' }, kind: { type: 'string' } } },
        },
        // What KEDA's prometheus scaler requires of its metadata (pkg/scalers/prometheus_scaler.go).
        if: { properties: { type: { const: 'prometheus' } } },
        then: {
          properties: {
            metadata: {
              required: ['serverAddress', 'query', 'threshold'],
              properties: {
                serverAddress: { pattern: '^https?://' },
                threshold: { pattern: '^[0-9]+(\\.[0-9]+)?$' },
                activationThreshold: { pattern: '^[0-9]+(\\.[0-9]+)?$' },
                ignoreNullValues: { enum: ['true', 'false'] },
              },
            },
          },
        },
      },
    },
  },
});

const duration = { type: 'string', pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$' } as const;
const secretKeySelector = {
  type: 'object',
  additionalProperties: false,
  required: ['key'],
  properties: { name: { type: 'string' }, key: { type: 'string' }, optional: { type: 'boolean' } },
} as const;

export const SERVICE_MONITOR_SCHEMA = resource('monitoring.coreos.com/v1', 'ServiceMonitor', {
  type: 'object',
  additionalProperties: false,
  required: ['selector'],
  properties: {
    selector: labelSelector,
    namespaceSelector: { type: 'object', additionalProperties: false, properties: { any: { type: 'boolean' }, matchNames: { type: 'array', items: { type: 'string' } } } },
    jobLabel: { type: 'string' },
    targetLabels: { type: 'array', items: { type: 'string' } },
    podTargetLabels: { type: 'array', items: { type: 'string' } },
    sampleLimit: { type: 'integer', minimum: 0 },
    endpoints: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          port: { type: 'string' },
          targetPort: { type: ['string', 'integer'] },
          path: { type: 'string' },
          scheme: { enum: ['http', 'https', 'HTTP', 'HTTPS'] },
          params: { type: 'object' },
          interval: duration,
          scrapeTimeout: duration,
          honorLabels: { type: 'boolean' },
          authorization: { type: 'object', additionalProperties: false, properties: { type: { type: 'string' }, credentials: secretKeySelector } },
          bearerTokenSecret: secretKeySelector,
          tlsConfig: { type: 'object' },
          relabelings: { type: 'array', items: { type: 'object' } },
          metricRelabelings: { type: 'array', items: { type: 'object' } },
        },
      },
    },
  },
});
