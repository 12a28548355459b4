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
// ModelReady. The official run_cosyvoice3.sh (stage 3) serves gRPC on 18001, not Triton's 8001.
//
// The model caches prompt features by transcript alone (FunAudioLLM/CosyVoice@ace7c47,
// model_repo_cosyvoice3/cosyvoice3/1/model.py `_prepare_prompt`: `speaker_cache[reference_text]`
// after adding the v3 prefix when `<|endofprompt|>` is absent; never evicted, one cache per BLS
// instance process). A second voice with the same transcript would be spoken with the first
// one's recording, so this engine remembers which voice (id and version) each transcript was sent
// for and refuses another with `voice_transcript_conflict` before any audio. It refuses rather
// than disambiguates: the only invisible variation found (moving the split between
// reference_text and target_text, which model.py only concatenates) leans on an undocumented
// detail of model.py, and any assignment of splits to voices either depends on request order
// (wrong after a cosyfleet restart) or collides.
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import { parseGrpcTarget } from '../../config/remote.js';
import { type EngineCapabilities, type SynthesisRequest, type VoicePrompt } from '../engine.js';
import { AppError } from '../../errors/app-error.js';
import { RemoteEngine, remoteSettings, type RemoteJob, type RemoteSettings, type Speaker } from './base.js';
import { cosyVoice3Capabilities, withPromptPrefix } from './cosyvoice3.js';
import type { ReferenceVoice } from './reference-voices.js';
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

/** The key model.py's speaker cache uses for a transcript: the transcript with the v3 prefix, unless it has `<|endofprompt|>`. */
export function tritonSpeakerKey(transcript: string): string {
  return withPromptPrefix(transcript);
}

/** Who a transcript was sent for: the voice whose recording Triton's cache holds under it. */
interface TranscriptOwner {
  readonly id: string;
  readonly version: number;
  /** A REMOTE_VOICES_DIR voice: reserved at start, so it wins whatever order requests come in. */
  readonly preset: boolean;
}

export class TritonEngine extends RemoteEngine {
  readonly capabilities: EngineCapabilities;
  private readonly client: TritonClient;
  /**
   * Speaker-cache key -> the voice it belongs to on these servers. Per engine (one Triton server,
   * or several behind one name: the map covers everything this engine sent to any of them);
   * claimed synchronously just before a segment is sent, so concurrent requests cannot both claim
   * a key. Kept for the engine's life: Triton keeps its cache until it restarts, and cosyfleet
   * cannot see that (nor what other clients or an earlier cosyfleet process sent).
   */
  private readonly owners = new Map<string, TranscriptOwner>();

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
    const key = tritonSpeakerKey(prompt.transcript);
    this.claim(key, prompt, false);
    return {
      warnings,
      open: (signal) => {
        this.claim(key, prompt, true);
        return this.infer(request, prompt.transcript, () => this.promptAudio(prompt), signal);
      },
    };
  }

  protected override referenceVoicesLoaded(voices: readonly ReferenceVoice[]): void {
    for (const v of voices) {
      const key = tritonSpeakerKey(v.prompt.transcript);
      const other = this.owners.get(key);
      if (other) {
        throw new Error(
          `REMOTE_VOICES_DIR: "${v.name}" and "${other.id}" have the same transcript, and the Triton cosyvoice3 model caches prompts by transcript alone (it would speak both with one recording); give each its own transcript.`,
        );
      }
      this.owners.set(key, { id: v.name, version: v.prompt.version, preset: true });
    }
  }

  protected closeTransport(): void {
    this.client.close();
  }

  /** Refuses a voice whose cache key belongs to another voice (or version); with `take`, records it as the key's owner. */
  private claim(key: string, prompt: VoicePrompt, take: boolean): void {
    const other = this.owners.get(key);
    if (!other) {
      if (take) this.owners.set(key, { id: prompt.id, version: prompt.version, preset: false });
      return;
    }
    if (other.id === prompt.id && other.version === prompt.version) return;
    const holder = other.preset
      ? `the reference voice "${other.id}" from REMOTE_VOICES_DIR`
      : other.id === prompt.id
        ? `version ${other.version} of the same voice, already sent to this Triton server`
        : `voice "${other.id}" (version ${other.version}), already sent to this Triton server`;
    const fix = other.preset
      ? `Give "${prompt.id}" a transcript of its own (any difference, even punctuation, is a separate cache entry).`
      : `Give "${prompt.id}" a transcript of its own (any difference, even punctuation, is a separate cache entry), or restart every Triton server to clear their caches and then restart cosyfleet.`;
    throw new AppError(
      'voice_transcript_conflict',
      `Voice "${prompt.id}" (version ${prompt.version}) has the same transcript as ${holder}; the Triton cosyvoice3 model caches prompts by transcript alone and would answer with that voice's recording. ${fix}`,
      { param: 'voice' },
    );
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
