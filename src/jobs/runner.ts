// Runs one long-form job: its segments one after another through the scheduler (batch priority,
// the tenant as owner, so interactive requests and other tenants keep their share), each
// segment's audio stored in the object store as soon as it is made and the job's progress
// recorded after it. A job that stops anywhere (a cancelled job, a node killed, a graceful
// shutdown) resumes at its first segment without stored audio; only the segment in flight is
// made again. When every segment is stored, the result is assembled from the stored audio
// through the same joining and encoding as a single request (renderAudio with a SegmentSource),
// saved as a stored output, and the job finishes. Which node runs a job is the queue's choice
// (src/jobs/queues.ts); everything here is safe to run on any node.
import type { Logger } from 'pino';
import { AppError, toError } from '../errors/app-error.js';
import type { Engine, VoicePrompt } from '../engines/engine.js';
import type { AudioWork } from '../audio/pool.js';
import { float32ToInt16, int16ToFloat32, concatFloat32 } from '../audio/pcm.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { OutputService } from '../outputs/service.js';
import type { AdmitOptions } from '../scheduler/job.js';
import type { AdmittedJob } from '../scheduler/scheduled-engine.js';
import type { JobSpec } from '../scheduler/scheduler.js';
import { renderAudio } from '../services/synthesis.js';
import { inlineEncoder, openCodecSession } from '../audio/codec-session.js';
import type { JobRecord, JobStore } from './job-store.js';
import { jobPartKey, jobPartsPrefix } from './ids.js';
import { parseJobPlan, textPlanOf, type JobPlan } from './plan.js';

/** The scheduled engine as the runner uses it. */
export interface JobEngine extends Engine {
  admit(spec: JobSpec, options?: AdmitOptions): AdmittedJob;
}

/** One segment's scheduler job, announced before it is admitted (usage and cost per request). */
export interface SegmentUsage {
  readonly requestId: string;
  readonly tenant: string;
  readonly keyId: string;
  /** This segment's share of the characters sent (the shares add up to the job's characters). */
  readonly characters: number;
}

export interface JobRunnerOptions {
  readonly store: JobStore;
  readonly blobs: BlobStore;
  readonly outputs: OutputService;
  readonly engine: JobEngine;
  readonly audio?: Pick<AudioWork, 'openEncoder'>;
  /** The tenant's library voice's prompt; null when it is gone. */
  readonly resolveVoice: (tenant: string, voice: string) => Promise<VoicePrompt | null>;
  /** A job fails for good after this many starts that ended in a retryable error (JOB_MAX_ATTEMPTS). */
  readonly maxAttempts: number;
  readonly onSegment?: (usage: SegmentUsage) => void;
  /** The job became final (succeeded, failed, cancelled); its webhook, if any, is pending. */
  readonly onFinal?: (job: JobRecord) => void | Promise<void>;
  /** A segment finished or the job changed state (metrics). */
  readonly onEvent?: (event: 'segment' | 'succeeded' | 'failed' | 'retried') => void;
  readonly logger?: Logger;
  /** How long to wait before asking the scheduler again when it is full (ms, at least). */
  readonly busyWaitMs?: number;
}

/** What the queue does next with a job it ran. */
export type RunResult = 'done' | 'retry';

/** Scheduler answers that mean "not now": the segment waits and asks again, the job does not fail. */
const BUSY = new Set(['queue_full', 'overloaded', 'deadline_exceeded']);

export class JobRunner {
  /** Jobs running on this node: a cancel here stops the segment in flight at once. */
  private readonly running = new Map<string, { controller: AbortController; cancelled: boolean }>();

  constructor(private readonly options: JobRunnerOptions) {}

  /** Stops the job's segment in flight if it runs on this node (the store already says cancelled). */
  cancelLocal(id: string): void {
    const entry = this.running.get(id);
    if (!entry) return;
    entry.cancelled = true;
    entry.controller.abort(new AppError('cancelled'));
  }

  /**
   * Runs (or resumes) a job. `signal` is the node's: it aborts when the node shuts down, and the
   * job is then left to be resumed ('retry'). Never throws.
   */
  async run(id: string, signal: AbortSignal): Promise<RunResult> {
    const { store, logger } = this.options;
    let record: JobRecord | null;
    try {
      record = await store.start(id, iso());
    } catch (err) {
      logger?.warn({ err, job: id }, 'could not start a job; retried');
      return 'retry';
    }
    if (!record) return 'done';
    const entry = { controller: new AbortController(), cancelled: false };
    const onAbort = () => entry.controller.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    this.running.set(id, entry);
    try {
      await this.work(record, entry.controller.signal);
      return 'done';
    } catch (thrown) {
      if (entry.cancelled) {
        await this.removeParts(record);
        return 'done';
      }
      if (signal.aborted) {
        logger?.info({ job: id, segmentsDone: record.segmentsDone }, 'job interrupted by shutdown; it resumes on the next start or another node');
        return 'retry';
      }
      const error = toError(thrown);
      const retryable = error instanceof AppError ? error.retryable : true;
      if (retryable && record.attempts < this.options.maxAttempts) {
        logger?.warn({ err: error, job: id, attempt: record.attempts }, 'job failed retryably; it will resume');
        this.options.onEvent?.('retried');
        return 'retry';
      }
      await this.fail(record, error);
      return 'done';
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.running.delete(id);
    }
  }

  /** Gives up on a job (a queue out of attempts): failed, its webhook pending. */
  async giveUp(id: string, reason: string): Promise<void> {
    const record = await this.options.store.find(id);
    if (record) await this.fail(record, new AppError('engine_failed', reason));
  }

  private async fail(record: JobRecord, error: Error): Promise<void> {
    const { store, logger } = this.options;
    const code = error instanceof AppError ? error.code : 'engine_failed';
    // Only catalogued messages reach the client; anything else is logged and summarized.
    const message = error instanceof AppError ? error.message : 'The job failed on the server; see the server log for its id.';
    logger?.error({ err: error, job: record.id }, 'job failed');
    if (await store.fail(record.id, code, message, record.webhookUrl ? 'pending' : 'none', iso())) {
      this.options.onEvent?.('failed');
      await this.finalized(record.id);
    }
    await this.removeParts(record);
  }

  private async work(record: JobRecord, signal: AbortSignal): Promise<void> {
    const { store, engine, outputs } = this.options;
    const plan = parseJobPlan(record.plan);
    if (plan.engine !== engine.capabilities.name) {
      throw new AppError('engine_unavailable', `This job was planned for the ${plan.engine} engine; this node runs ${engine.capabilities.name}.`);
    }
    let prompt: VoicePrompt | undefined;
    if (plan.libraryVoice) {
      prompt = (await this.options.resolveVoice(record.tenant, plan.voice)) ?? undefined;
      if (!prompt) throw new AppError('unknown_voice', `The voice "${plan.voice}" was deleted before the job finished.`, { param: 'voice' });
    }
    const shares = characterShares(plan.segments, record.characters);
    let audioSeconds = record.audioSeconds;
    const rate = engine.capabilities.sampleRate;
    for (let i = record.segmentsDone; i < plan.segments.length; i++) {
      if (signal.aborted) throw signal.reason;
      const samples = await this.segment(record, plan, prompt, i, shares[i] ?? 0, signal);
      const pcm = float32ToInt16(samples);
      await this.options.blobs.put(jobPartKey(record.tenant, record.id, i), new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength));
      audioSeconds += samples.length / rate;
      this.options.onEvent?.('segment');
      // false: cancelled (on another node, or here between two checks).
      if (!(await store.progress(record.id, i + 1, audioSeconds, iso()))) {
        await this.removeParts(record);
        return;
      }
    }
    const saved = await this.assemble(record, plan, signal);
    const finished = await store.finish(record.id, { status: 'succeeded', outputId: saved.id, webhookState: record.webhookUrl ? 'pending' : 'none' }, iso());
    if (!finished) {
      // Cancelled while the result was being assembled: the cancel wins, the output goes.
      await outputs.delete(record.tenant, saved.id).catch(() => undefined);
    }
    await this.removeParts(record);
    if (finished) {
      this.options.onEvent?.('succeeded');
      await this.finalized(record.id);
    }
  }

  /** One segment's audio at the engine's rate, through the scheduler. */
  private async segment(record: JobRecord, plan: JobPlan, prompt: VoicePrompt | undefined, i: number, characters: number, signal: AbortSignal): Promise<Float32Array> {
    const { engine } = this.options;
    const text = plan.segments[i] as string;
    const speed = plan.speeds?.[i] ?? plan.speed;
    const requestId = `${record.id}.s${i}`;
    for (;;) {
      let job: AdmittedJob;
      try {
        job = engine.admit({ requestId, stream: false, segments: [{ text, language: plan.language, speed }] }, { owner: record.tenant, priority: 'batch' });
      } catch (err) {
        if (!(err instanceof AppError && BUSY.has(err.code))) throw err;
        await sleep(Math.max(this.options.busyWaitMs ?? 1000, (err.retryAfterSeconds ?? 1) * 1000), signal);
        continue;
      }
      this.options.onSegment?.({ requestId, tenant: record.tenant, keyId: record.keyId, characters });
      const chunks: Float32Array[] = [];
      try {
        const request = { text, mode: plan.mode, voice: plan.voice, language: plan.language, speed, seed: plan.seed, prompt, instruction: plan.instruction, requestId };
        for await (const chunk of job.engine.synthesize(request, { signal })) {
          if (chunk.sampleRate !== engine.capabilities.sampleRate) throw new AppError('engine_failed', `engine yielded ${chunk.sampleRate} Hz, declared ${engine.capabilities.sampleRate} Hz`);
          chunks.push(chunk.samples);
        }
        if (signal.aborted) throw signal.reason;
        job.settle(null);
      } catch (err) {
        job.settle(err);
        // A queued segment that waited past the deadline is "not now" too.
        if (err instanceof AppError && err.code === 'deadline_exceeded' && !signal.aborted) continue;
        throw err;
      }
      return concatFloat32(chunks);
    }
  }

  /** The result from the stored segments, joined and encoded as one request would be, saved as an output. */
  private async assemble(record: JobRecord, plan: JobPlan, signal: AbortSignal) {
    const { engine, blobs, outputs, audio } = this.options;
    const rate = engine.capabilities.sampleRate;
    const spec = { format: plan.format, inputRate: rate, pcmRate: plan.pcmRate, streaming: false };
    const encoder = audio ? await audio.openEncoder(spec) : inlineEncoder(await openCodecSession(spec));
    const source = (i: number) =>
      (async function* () {
        const bytes = await blobs.get(jobPartKey(record.tenant, record.id, i));
        if (!bytes) throw new AppError('engine_failed', `The stored audio of segment ${i + 1} is missing; the job cannot be assembled.`);
        const copy = new Uint8Array(bytes);
        yield { samples: int16ToFloat32(new Int16Array(copy.buffer, copy.byteOffset, copy.byteLength >> 1)), sampleRate: rate };
      })();
    const parts: Buffer[] = [];
    let audioSeconds = 0;
    const assembly = { ...textPlanOf(plan, engine, `${record.id}.result`), encoder };
    for await (const part of renderAudio(assembly, signal, (r) => (audioSeconds = r.audioSeconds), source)) parts.push(part);
    return outputs.save({
      id: outputs.newId(),
      tenant: record.tenant,
      bytes: Buffer.concat(parts),
      format: plan.format,
      contentType: encoder.contentType,
      audioSeconds,
      characters: record.characters,
      voice: plan.voice,
      engine: plan.engine,
    });
  }

  private async finalized(id: string): Promise<void> {
    const record = await this.options.store.find(id);
    if (record) await this.options.onFinal?.(record);
  }

  /** Every stored segment of the job; a failure is logged (the parts are unreachable garbage then). */
  async removeParts(record: Pick<JobRecord, 'tenant' | 'id'>): Promise<void> {
    const { blobs, logger } = this.options;
    try {
      for (const { key } of await blobs.list(jobPartsPrefix(record.tenant, record.id))) await blobs.delete(key);
    } catch (err) {
      logger?.warn({ err, job: record.id }, "could not remove a job's stored segments");
    }
  }
}

/**
 * Each segment's share of `total` characters, in proportion to its length, as whole numbers that
 * add up to `total` exactly (usage rows of a job's segments sum to the characters it was sent).
 */
export function characterShares(segments: readonly string[], total: number): number[] {
  const lengths = segments.map((s) => [...s].length);
  const sum = lengths.reduce((a, b) => a + b, 0);
  let before = 0;
  let given = 0;
  return lengths.map((length, i) => {
    before += length;
    const upTo = i === lengths.length - 1 ? total : sum === 0 ? 0 : Math.round((before * total) / sum);
    const share = upTo - given;
    given = upTo;
    return share;
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(toError(signal.reason));
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(toError(signal.reason));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const iso = () => new Date().toISOString();
