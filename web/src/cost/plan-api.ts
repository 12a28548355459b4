// What the Cost page sends to POST /v1/plan (the client's plan() and planReport()) and reads
// back. The answer is typed by schema.d.ts, from the route's OpenAPI response schema. The body is
// a workload spec: the route leaves it untyped on purpose (the planner validates it field by
// field, exactly as it reads a workload file), so its shape here follows docs/planner.md. A
// refusal is the client's ApiError, whose `param` names the workload field.
import type { PlanResult } from '../api/client.js';

export type { PlanResult };
export type PlanOption = PlanResult['options'][number];
export type Recommendation = NonNullable<PlanResult['recommendation']>;

/** A workload as the planner reads it (docs/planner.md, "Workload spec"); files may carry more. */
export interface WorkloadBody {
  name?: string;
  requestsPerDay?: number;
  meanChars?: number;
  language?: { code: string; share?: number; charsPerSecond?: number }[];
  hourlyWeights?: number[] | { weekday: number[]; weekend?: number[] };
  burstFactor?: number;
  streamingShare?: number;
  slo?: { p95FirstAudioMs?: number; p95CompletionMs?: number };
  region?: string;
  growthPerMonth?: number;
  engine?: string;
  instanceTypes?: string[];
  storage?: { retentionDays?: number; format?: string };
  strategies?: {
    autoscale?: { minInstances?: number; headroom?: number };
    scaleToZero?: { idleMinutes?: number };
    spot?: { interruptionsPerInstanceMonth?: number };
  };
  planning?: { days?: number; seed?: number };
  [field: string]: unknown;
}
