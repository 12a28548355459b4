// A protocol-faithful stand-in for Triton serving the official `cosyvoice3` model
// (FunAudioLLM/CosyVoice runtime/triton_trtllm/model_repo_cosyvoice3/cosyvoice3: config.pbtxt
// and 1/model.py), served with @grpc/grpc-js from the same vendored grpc_service.proto:
//  - ServerLive / ServerReady / ModelReady / ModelMetadata; ModelInfer refuses a decoupled model;
//  - ModelStreamInfer checks inputs against config.pbtxt (reference_wav FP32 [1,-1],
//    reference_wav_len INT32 [1,1], reference_text and target_text BYTES [1,1], target_text
//    required; max_batch_size > 0 adds the batch dimension), decodes raw_input_contents,
//    prefixes reference_text with CosyVoice3's system prompt when it lacks <|endofprompt|>, and
//    caches speakers by reference_text as model.py does (FunAudioLLM/CosyVoice@ace7c47
//    `_prepare_prompt`): a cached transcript's features are used whatever reference_wav came
//    with the request, so a second voice with the same transcript is spoken with the first
//    one's recording (each request records which recording it was spoken with);
//  - decoupled mode sends one `waveform` FP32 [1, n] response per chunk, then (when the request
//    set triton_enable_empty_final_response) an empty response flagged triton_final_response;
//    offline mode sends one response; a model exception becomes an error_message response
//    followed by the final flag, as in model.py's except branch.
// The model behind it is the espeak stand-in (fakes/model.ts).
import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import {
  ENABLE_EMPTY_FINAL_RESPONSE,
  FINAL_RESPONSE,
  decodeBytesElements,
  decodeFp32,
  decodeInt32,
  elementCount,
  encodeFp32,
  inferenceService,
  type InferTensor,
  type ModelInferRequest,
  type ModelInferResponse,
  type ModelStreamInferResponse,
} from '../../../src/engines/remote/kserve/protocol.js';
import { END_OF_PROMPT, COSYVOICE3_PROMPT_PREFIX } from '../../../src/engines/remote/cosyvoice3.js';
import { noFaults, StandInModel, type Faults } from './model.js';

export const MODEL_NAME = 'cosyvoice3';

export interface ReceivedTritonRequest {
  id: string;
  referenceText: string;
  referenceSeconds: number;
  referenceLength: number;
  targetText: string;
  finalResponseRequested: boolean;
  /** Fingerprint of the reference_wav the request carried (null without one). */
  sentAudio: string | null;
  /** Fingerprint of the recording whose cached features the model spoke with. */
  speakerAudio: string;
}

/** A short fingerprint of 16 kHz prompt samples, to tell recordings apart in tests. */
export function audioFingerprint(samples: Float32Array): string {
  return createHash('sha256').update(Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength)).digest('hex').slice(0, 16);
}

const INPUTS: Record<string, { datatype: string; dims: number[]; optional: boolean }> = {
  reference_wav: { datatype: 'FP32', dims: [-1], optional: true },
  reference_wav_len: { datatype: 'INT32', dims: [1], optional: true },
  reference_text: { datatype: 'BYTES', dims: [1], optional: true },
  target_text: { datatype: 'BYTES', dims: [1], optional: false },
};

class ModelError extends Error {}

export class FakeTritonServer {
  private server: grpc.Server | null = null;
  readonly received: ReceivedTritonRequest[] = [];
  /** model.py's speaker cache: prompt text -> the recording (length, fingerprint) its features came from. */
  readonly speakerCache = new Map<string, { length: number; audio: string }>();
  faults: Faults = noFaults();
  decoupled = true;
  modelReady = true;
  port = 0;

  constructor(private readonly model: StandInModel) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<string> {
    const server = new grpc.Server();
    server.addService(inferenceService().service, {
      ServerLive: (_call: unknown, cb: grpc.sendUnaryData<object>) => cb(null, { live: true }),
      ServerReady: (_call: unknown, cb: grpc.sendUnaryData<object>) => cb(null, { ready: true }),
      ModelReady: (call: grpc.ServerUnaryCall<{ name: string }, object>, cb: grpc.sendUnaryData<object>) => {
        if (call.request.name !== MODEL_NAME) cb({ code: grpc.status.NOT_FOUND, details: `Request for unknown model: '${call.request.name}' is not found` });
        else cb(null, { ready: this.modelReady });
      },
      ModelMetadata: (_call: unknown, cb: grpc.sendUnaryData<object>) =>
        cb(null, {
          name: MODEL_NAME,
          versions: ['1'],
          platform: 'python',
          inputs: Object.entries(INPUTS).map(([name, s]) => ({ name, datatype: s.datatype, shape: [-1, ...s.dims] })),
          outputs: [{ name: 'waveform', datatype: 'FP32', shape: [-1, -1] }],
        }),
      ModelInfer: (_call: unknown, cb: grpc.sendUnaryData<object>) => {
        if (this.decoupled) cb({ code: grpc.status.UNAVAILABLE, details: 'ModelInfer RPC doesn\'t support models with decoupled transaction policy' });
        else cb({ code: grpc.status.UNIMPLEMENTED, details: 'use ModelStreamInfer' });
      },
      ModelStreamInfer: (call: grpc.ServerDuplexStream<ModelInferRequest, ModelStreamInferResponse>) => this.stream(call),
    });
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
    );
    this.server = server;
    return this.address;
  }

  /** The process dies: connections drop at once. */
  stop(): void {
    this.server?.forceShutdown();
    this.server = null;
  }

  private stream(call: grpc.ServerDuplexStream<ModelInferRequest, ModelStreamInferResponse>): void {
    const pending = new Set<Promise<void>>();
    let cancelled = false;
    call.on('cancelled', () => (cancelled = true));
    call.on('data', (request: ModelInferRequest) => {
      const task = this.execute(request, call, () => cancelled).finally(() => pending.delete(task));
      pending.add(task);
    });
    call.on('end', () => {
      void Promise.all(pending).then(() => call.end());
    });
  }

  private async execute(request: ModelInferRequest, call: grpc.ServerDuplexStream<ModelInferRequest, ModelStreamInferResponse>, cancelled: () => boolean): Promise<void> {
    const id = request.id ?? '';
    const wantsFinal = request.parameters?.[ENABLE_EMPTY_FINAL_RESPONSE]?.bool_param === true;
    const response = (outputs: InferTensor[], raw: Buffer[], final: boolean): ModelStreamInferResponse => ({
      error_message: '',
      infer_response: {
        model_name: MODEL_NAME,
        model_version: '1',
        id,
        outputs,
        raw_output_contents: raw,
        ...(wantsFinal ? { parameters: { [FINAL_RESPONSE]: { bool_param: final } } } : {}),
      } satisfies ModelInferResponse,
    });
    const finish = () => {
      if (wantsFinal) call.write(response([], [], true));
    };
    if (request.model_name !== MODEL_NAME) {
      call.write({ error_message: `Request for unknown model: '${request.model_name}' is not found`, infer_response: null });
      return;
    }
    let inputs: Map<string, Buffer>;
    try {
      inputs = this.checkInputs(request);
    } catch (err) {
      call.write({ error_message: (err as Error).message, infer_response: null });
      return;
    }
    const faults = this.faults;
    try {
      let referenceText = inputs.has('reference_text') ? (decodeBytesElements(inputs.get('reference_text') as Buffer)[0] as string) : '';
      if (!referenceText.includes(END_OF_PROMPT)) referenceText = COSYVOICE3_PROMPT_PREFIX + referenceText;
      const targetText = decodeBytesElements(inputs.get('target_text') as Buffer)[0] as string;
      let sentAudio: string | null = null;
      if (inputs.has('reference_wav') && inputs.has('reference_wav_len')) {
        const wav = decodeFp32(inputs.get('reference_wav') as Buffer);
        const sentLength = decodeInt32(inputs.get('reference_wav_len') as Buffer)[0] as number;
        if (sentLength > wav.length) throw new ModelError('reference_wav_len exceeds reference_wav');
        sentAudio = audioFingerprint(wav.subarray(0, sentLength));
        // model.py looks in its cache first and only computes features on a miss.
        if (!this.speakerCache.has(referenceText)) this.speakerCache.set(referenceText, { length: sentLength, audio: sentAudio });
      }
      const speaker = this.speakerCache.get(referenceText);
      if (!speaker) throw new ModelError("'NoneType' object has no attribute 'as_numpy'");
      const length = speaker.length;
      this.received.push({ id, referenceText, referenceSeconds: length / 16000, referenceLength: length, targetText, finalResponseRequested: wantsFinal, sentAudio, speakerAudio: speaker.audio });

      if (faults.failBeforeAudio > 0) {
        faults.failBeforeAudio--;
        throw new ModelError('LLM server answered 503');
      }
      const dieAfter = faults.dieAfterPieces;
      faults.dieAfterPieces = null;
      if (faults.delayFirstAudioMs > 0) await new Promise((r) => setTimeout(r, faults.delayFirstAudioMs));
      if (cancelled()) return;
      const all: Float32Array[] = [];
      let pieces = 0;
      for await (const samples of this.model.speak(targetText)) {
        if (cancelled()) return;
        if (dieAfter !== null && pieces >= dieAfter) throw new ModelError('CUDA error: an illegal memory access was encountered');
        if (this.decoupled) call.write(response([{ name: 'waveform', datatype: 'FP32', shape: [1, samples.length] }], [encodeFp32(samples)], false));
        else all.push(samples);
        pieces++;
      }
      if (!this.decoupled) {
        const joined = Float32Array.from(all.flatMap((a) => Array.from(a)));
        call.write(response([{ name: 'waveform', datatype: 'FP32', shape: [1, joined.length] }], [encodeFp32(joined)], true));
        return;
      }
      finish();
    } catch (err) {
      if (cancelled()) return;
      // model.py: an error response, then the final flag.
      call.write({ error_message: `Error in streaming request: ${(err as Error).message}`, infer_response: null });
      finish();
    }
  }

  /** Inputs checked as Triton checks them against config.pbtxt; returns raw contents by name. */
  private checkInputs(request: ModelInferRequest): Map<string, Buffer> {
    const raw = request.raw_input_contents ?? [];
    if (raw.length !== request.inputs.length) throw new Error(`expected ${request.inputs.length} raw_input_contents, got ${raw.length}`);
    const out = new Map<string, Buffer>();
    request.inputs.forEach((input, i) => {
      const spec = INPUTS[input.name];
      if (!spec) throw new Error(`unexpected inference input '${input.name}' for model '${MODEL_NAME}'`);
      if (input.datatype !== spec.datatype) throw new Error(`inference input '${input.name}' data-type is '${input.datatype}', but model '${MODEL_NAME}' expects '${spec.datatype}'`);
      const shape = input.shape.map(Number);
      if (shape.length !== spec.dims.length + 1 || shape[0] !== 1) throw new Error(`unexpected shape for input '${input.name}' for model '${MODEL_NAME}'. Expected [-1,${spec.dims.join(',')}], got [${shape.join(',')}]`);
      spec.dims.forEach((d, j) => {
        if (d !== -1 && shape[j + 1] !== d) throw new Error(`unexpected shape for input '${input.name}': dimension ${j + 1} must be ${d}`);
      });
      const bytes = raw[i] as Buffer;
      const size = input.datatype === 'BYTES' ? null : elementCount(shape) * 4;
      if (size !== null && bytes.length !== size) throw new Error(`input byte size mismatch for input '${input.name}': expected ${size}, got ${bytes.length}`);
      if (input.datatype === 'BYTES' && decodeBytesElements(bytes).length !== elementCount(shape)) throw new Error(`BYTES input '${input.name}' holds the wrong number of elements`);
      out.set(input.name, bytes);
    });
    for (const [name, spec] of Object.entries(INPUTS)) if (!spec.optional && !out.has(name)) throw new Error(`expected input '${name}' for model '${MODEL_NAME}'`);
    return out;
  }
}
