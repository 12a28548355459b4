// Workloads and profiles for planner tests, built through the real validator.
import { validateWorkload, type Workload } from '../../src/planner/workload.js';

export function workload(overrides: Record<string, unknown> = {}): Workload {
  return validateWorkload({
    requestsPerDay: 100000,
    meanChars: 150,
    lengthDistribution: { type: 'fixed' },
    language: [{ code: 'en', share: 1, charsPerSecond: 15 }],
    hourlyWeights: new Array(24).fill(1),
    streamingShare: 0.5,
    slo: { p95FirstAudioMs: 3000, p95CompletionMs: 10000 },
    region: 'us-east-1',
    storage: { retentionDays: 0, format: 'mp3' },
    delivery: { cdnShare: 0, downloadsPerOutput: 0 },
    ...overrides,
  });
}

/**
 * A measured profile (as a user would pass with --profile) for one GPU: 5 audio-s/s at one
 * stream, 10 at four; first audio 300 ms at one stream, 500 ms at four; cold start 240 s.
 */
export const HAND_PROFILE = {
  engine: 'cosyvoice3-trtllm',
  gpu: 'A10G',
  throughput: [
    { concurrency: 1, audioSecondsPerSecond: 5 },
    { concurrency: 4, audioSecondsPerSecond: 10 },
  ],
  firstAudioMs: [
    { concurrency: 1, ms: 300 },
    { concurrency: 4, ms: 500 },
  ],
  maxConcurrency: 4,
  coldStartS: 240,
  source: 'test: hand-made profile',
  sourceDate: '2026-11-25',
};
