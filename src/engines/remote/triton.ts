// Engine `triton`: cosyfleet in front of Triton Inference Server running the official `cosyvoice3`
// model (runtime/triton_trtllm/model_repo_cosyvoice3/cosyvoice3, the LLM under trtllm-serve).
// KServe v2 gRPC, as the official client_grpc.py sends it: one ModelStreamInfer stream per
// segment with
//   reference_wav      FP32  [1, n]  the prompt at 16 kHz
//   reference_wav_len  INT32 [1, 1]  n
//   reference_text     BYTES [1, 1]  the prompt's transcript (the model adds CosyVoice3's prefix)
//   target_text        BYTES [1, 1]  the segment
// and `triton_enable_empty_final_response`, reading FP32 `waveform` [1, m] from each response
// until the one flagged `triton_final_response` (decoupled mode streams several; the offline mode
// answers once). The model only clones: it has no speaker ids, no instruction, speed or seed
// input, so presets are reference recordings (REMOTE_VOICES_DIR). Health is ServerReady +
// ModelReady.
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import { parseGrpcTarget } from '../../config/remote.js';
import { type EngineCapabilities, type SynthesisRequest } from '../engine.js';
import { RemoteEngine, remoteSettings, type RemoteJob, type RemoteSettings, type Speaker } from './base.js';
import { cosyVoice3Capabilities } from './cosyvoice3.js';
import { TritonClient } from './kserve/client.js';
import { encodeBytesElements, encodeFp32, encodeInt32, type ModelInferRequest } from './kserve/protocol.js';

export interface TritonOptions {
  readonly url: string;
  readonly model: string;
  readonly sampleRate: number;
  readonly remote: RemoteSettings;
}

export function tritonOptions(config: Config, log?: Logger): TritonOptions {
  return { url: config.tritonUrl, model: config.tritonModel, sampleRate: config.tritonSampleRate, remote: remoteSettings(config, log) };
}

export const TRITON_OUTPUT = 'waveform';

export class TritonEngine extends RemoteEngine {
  readonly capabilities: EngineCapabilities;
  private readonly client: TritonClient;

  constructor(private readonly options: TritonOptions) {
    const target = parseGrpcTarget(options.url);
    super(options.remote, [], `Triton server ${target.display}, model ${options.model}`);
    this.client = new TritonClient(target, options.remote.timeouts);
    this.capabilities = cosyVoice3Capabilities({
      name: 'triton',
      description: `CosyVoice3 on Triton (${target.display}, model ${options.model}), KServe v2 gRPC with decoupled streaming; clones reference voices.`,
      // preset = a reference recording from REMOTE_VOICES_DIR, which the model clones like any prompt.
      modes: ['preset', 'clone'],
      streaming: true,
      sampleRate: options.sampleRate,
      concurrency: options.remote.concurrency,
      speed: { min: 0.5, max: 2 },
      license: 'Apache-2.0 (CosyVoice runtime and Fun-CosyVoice3 weights, served by the remote)',
    });
  }

  protected probe(signal: AbortSignal): Promise<void> {
    return this.client.ready(this.options.model, signal);
  }

  protected prepare(request: SynthesisRequest, speaker: Speaker): RemoteJob {
    const warnings = this.commonChecks(request);
    if (speaker.kind === 'named') throw this.needsPrompt(request.mode, speaker.id);
    if (request.speed !== 1) {
      warnings.push({ code: 'speed_ignored', message: 'The Triton cosyvoice3 model has no speed input; spoke at speed 1.0.', param: 'speed' });
    }
    const prompt = speaker.prompt;
    return {
      warnings,
      open: (signal) => this.infer(request, prompt.transcript, () => this.promptAudio(prompt), signal),
    };
  }

  protected closeTransport(): void {
    this.client.close();
  }

  private async *infer(request: SynthesisRequest, transcript: string, audio: () => Promise<{ samples: Float32Array }>, signal: AbortSignal): AsyncGenerator<Float32Array> {
    const { samples } = await audio();
    const infer: ModelInferRequest = {
      model_name: this.options.model,
      ...(request.requestId ? { id: request.requestId } : {}),
      inputs: [
        { name: 'reference_wav', datatype: 'FP32', shape: [1, samples.length] },
        { name: 'reference_wav_len', datatype: 'INT32', shape: [1, 1] },
        { name: 'reference_text', datatype: 'BYTES', shape: [1, 1] },
        { name: 'target_text', datatype: 'BYTES', shape: [1, 1] },
      ],
      outputs: [{ name: TRITON_OUTPUT }],
      raw_input_contents: [encodeFp32(samples), encodeInt32([samples.length]), encodeBytesElements([transcript]), encodeBytesElements([request.text])],
    };
    yield* this.client.streamInfer(infer, TRITON_OUTPUT, signal);
  }
}
