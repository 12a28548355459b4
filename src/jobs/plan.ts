// What a job keeps of its plan: everything needed to synthesize any segment and to assemble the
// result, fixed at creation. A job that resumes on another node (or after a restart) reads these
// segments, not the text again, so a lexicon edited in between cannot shift its segments and the
// parts stored before the interruption still line up.
import type { Engine, Instruction, SynthesisMode, SynthesisWarning } from '../engines/engine.js';
import type { AudioFormat } from '../audio/types.js';
import type { SegmentJoin } from '../text/joins.js';
import type { TextPlan } from '../services/synthesis.js';

export interface JobPlan {
  readonly version: 1;
  /** The engine that planned it (its checks and segment limits applied). */
  readonly engine: string;
  readonly segments: readonly string[];
  readonly speeds?: readonly number[];
  readonly pauses?: readonly number[];
  readonly joins?: readonly SegmentJoin[];
  readonly mode: SynthesisMode;
  readonly voice: string;
  /** The voice is a library (cloned) voice: its prompt is looked up when the job runs. */
  readonly libraryVoice: boolean;
  readonly instruction?: Instruction;
  readonly language: string;
  readonly languageDetected: boolean;
  readonly speed: number;
  readonly seed?: number;
  readonly format: AudioFormat;
  readonly pcmRate: number;
  readonly gapMs: number;
  readonly warnings: readonly SynthesisWarning[];
}

export function jobPlanOf(plan: TextPlan): JobPlan {
  return {
    version: 1,
    engine: plan.engine.capabilities.name,
    segments: plan.segments,
    ...(plan.speeds ? { speeds: plan.speeds } : {}),
    ...(plan.pauses ? { pauses: plan.pauses } : {}),
    ...(plan.joins ? { joins: plan.joins } : {}),
    mode: plan.mode,
    voice: plan.voice,
    libraryVoice: plan.prompt !== undefined,
    ...(plan.instruction ? { instruction: plan.instruction } : {}),
    language: plan.language,
    languageDetected: plan.languageDetected,
    speed: plan.speed,
    ...(plan.seed !== undefined ? { seed: plan.seed } : {}),
    format: plan.format,
    pcmRate: plan.pcmRate,
    gapMs: plan.gapMs,
    warnings: plan.warnings,
  };
}

export function parseJobPlan(json: string): JobPlan {
  const plan = JSON.parse(json) as JobPlan;
  if (plan.version !== 1 || !Array.isArray(plan.segments)) throw new Error('not a version 1 job plan');
  return plan;
}

/** The plan as the synthesis pipeline takes it, for assembling the result with `engine`'s rate and name. */
export function textPlanOf(plan: JobPlan, engine: Engine, requestId: string): TextPlan {
  return {
    requestId,
    engine,
    text: plan.segments.join(' '),
    segments: plan.segments,
    ...(plan.speeds ? { speeds: plan.speeds } : {}),
    ...(plan.pauses ? { pauses: plan.pauses } : {}),
    ...(plan.joins ? { joins: plan.joins } : {}),
    lookahead: 1,
    mode: plan.mode,
    voice: plan.voice,
    prompt: undefined,
    instruction: plan.instruction,
    language: plan.language,
    languageDetected: plan.languageDetected,
    speed: plan.speed,
    seed: plan.seed,
    format: plan.format,
    stream: false,
    pcmRate: plan.pcmRate,
    gapMs: plan.gapMs,
    warnings: plan.warnings,
  };
}
