// The worker side of the protocol (docs/worker-protocol.md): serves any Engine over a pair of
// streams (the process's stdin/stdout). It answers heartbeats while synthesizing — the engine
// runs off this thread (espeak: worker threads) — cancels on request, and exits when the
// supervisor goes away (stdin ends), so a worker never outlives a killed service.
import type { Readable, Writable } from 'node:stream';
import { AppError } from '../errors/app-error.js';
import type { Engine, SynthesisRequest, VoicePrompt } from '../engines/engine.js';
import { FrameDecoder, PROTOCOL_VERSION, encodeAudio, encodeJson, type SupervisorMessage, type WireRequest, type WireVoice, type WorkerMessage } from './protocol.js';

export interface RuntimeOptions {
  input: Readable;
  output: Writable;
  /** Reported memory (the process's RSS by default). */
  rssBytes?: () => number;
  /** Called with the exit code when the worker should end. */
  exit: (code: number) => void;
  log?: (message: string) => void;
  /** What the worker was given (reported in hello, shown by the admin API). */
  device?: { cudaVisibleDevices: string | null; fp16: boolean };
}

export async function serveEngine(engine: Engine, options: RuntimeOptions): Promise<void> {
  const { input, output } = options;
  const log = options.log ?? (() => {});
  const active = new Map<number, AbortController>();
  const prompts = new Map<string, { voice: WireVoice; samples: Float32Array | null }>();
  /** prepare_voice messages waiting for their audio frame, by id. */
  const awaitingAudio = new Map<number, WireVoice>();
  let jobsDone = 0;
  let shuttingDown = false;
  let ready = false;

  // Writes keep their order; a full pipe pauses this worker's output, never reorders it.
  let writing: Promise<void> = Promise.resolve();
  const send = (frame: Buffer): Promise<void> => {
    writing = writing.then(
      () =>
        new Promise<void>((resolve) => {
          if (output.write(frame)) resolve();
          else output.once('drain', resolve);
        }),
    );
    return writing;
  };
  const message = (m: WorkerMessage) => send(encodeJson(m));

  const toPrompt = (voice: WireVoice): VoicePrompt => {
    const known = prompts.get(voice.id);
    return {
      ...voice,
      loadAudio: async () => {
        if (!known?.samples || known.voice.version !== voice.version) throw new Error(`voice ${voice.id}@${voice.version} was not prepared on this worker`);
        return known.samples;
      },
    };
  };
  const toRequest = (r: WireRequest): SynthesisRequest => ({
    text: r.text,
    mode: r.mode as SynthesisRequest['mode'],
    voice: r.voice,
    language: r.language,
    speed: r.speed,
    ...(r.seed !== undefined ? { seed: r.seed } : {}),
    ...(r.requestId !== undefined ? { requestId: r.requestId } : {}),
    ...(r.instruction ? { instruction: r.instruction } : {}),
    ...(r.prompt ? { prompt: toPrompt(r.prompt) } : {}),
  });

  const synth = async (id: number, wire: WireRequest, stream?: AsyncIterable<{ samples: Float32Array }>) => {
    const controller = new AbortController();
    active.set(id, controller);
    const started = performance.now();
    let samples = 0;
    try {
      if (shuttingDown) throw new AppError('shutting_down', 'the worker is shutting down');
      const source = stream ?? engine.synthesize(toRequest(wire), { signal: controller.signal });
      for await (const chunk of source) {
        if (controller.signal.aborted) throw new AppError('cancelled');
        samples += chunk.samples.length;
        await send(encodeAudio(id, chunk.samples));
      }
      if (controller.signal.aborted) throw new AppError('cancelled');
      jobsDone++;
      await message({ type: 'done', id, ms: performance.now() - started, samples });
    } catch (err) {
      const code = controller.signal.aborted ? 'cancelled' : err instanceof AppError ? err.code : 'engine_failed';
      await message({ type: 'error', id, code, message: err instanceof Error ? err.message : String(err) });
    } finally {
      active.delete(id);
    }
  };

  const synthBatch = (items: { id: number; request: WireRequest }[]) => {
    if (!engine.synthesizeBatch || items.length === 1) {
      for (const item of items) void synth(item.id, item.request);
      return;
    }
    const controllers = items.map(() => new AbortController());
    const streams = engine.synthesizeBatch(
      items.map((i) => toRequest(i.request)),
      { signals: controllers.map((c) => c.signal) },
    );
    items.forEach((item, i) => {
      // synth() registers its own controller; forward its abort to the batch item's.
      void synth(item.id, item.request, streams[i]);
      active.get(item.id)?.signal.addEventListener('abort', () => controllers[i]?.abort(), { once: true });
    });
  };

  const prepare = async (id: number, voice: WireVoice, samples: Float32Array) => {
    try {
      prompts.set(voice.id, { voice, samples });
      await engine.prepareVoice?.(toPrompt(voice));
      await message({ type: 'voice_prepared', id });
    } catch (err) {
      await message({ type: 'error', id, code: 'engine_failed', message: err instanceof Error ? err.message : String(err) });
    }
  };

  const shutdown = async (graceMs: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    const until = Date.now() + graceMs;
    while (active.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    for (const c of active.values()) c.abort();
    await engine.close().catch(() => {});
    await writing;
    options.exit(0);
  };

  const handle = (m: SupervisorMessage) => {
    switch (m.type) {
      case 'synth':
        void synth(m.id, m.request);
        return;
      case 'synth_batch':
        synthBatch(m.items);
        return;
      case 'cancel':
        active.get(m.id)?.abort();
        return;
      case 'prepare_voice':
        awaitingAudio.set(m.id, m.voice);
        return;
      case 'heartbeat':
        void message({ type: 'stats', seq: m.seq, rssBytes: (options.rssBytes ?? (() => process.memoryUsage.rss()))(), gpuMemoryBytes: null, active: active.size, jobsDone });
        return;
      case 'shutdown':
        void shutdown(m.graceMs);
        return;
    }
  };

  const decoder = new FrameDecoder();
  input.on('data', (data: Buffer) => {
    let frames;
    try {
      frames = decoder.push(data);
    } catch (err) {
      log(`protocol error: ${(err as Error).message}`);
      void message({ type: 'fatal', message: (err as Error).message }).then(() => options.exit(3));
      return;
    }
    for (const frame of frames) {
      if (frame.kind === 'json') handle(frame.message as unknown as SupervisorMessage);
      else {
        const voice = awaitingAudio.get(frame.id);
        if (!voice) continue;
        awaitingAudio.delete(frame.id);
        void prepare(frame.id, voice, frame.samples);
      }
    }
  });
  // The supervisor is gone (its process ended, even by SIGKILL): nothing can read our audio.
  input.on('end', () => {
    for (const c of active.values()) c.abort();
    options.exit(ready ? 0 : 1);
  });

  await message({ type: 'hello', protocol: PROTOCOL_VERSION, pid: process.pid, engine: engine.capabilities.name, ...(options.device ? { device: options.device } : {}) });
  try {
    await engine.start();
  } catch (err) {
    await message({ type: 'fatal', message: `engine failed to start: ${(err as Error).message}` });
    options.exit(1);
    return;
  }
  const caps = engine.capabilities;
  ready = true;
  await message({
    type: 'ready',
    capabilities: { name: caps.name, sampleRate: caps.sampleRate, concurrency: caps.concurrency, streaming: caps.streaming, batching: caps.batching },
  });
}
