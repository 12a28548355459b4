// A Triton (KServe v2 gRPC) client for the triton engine: one gRPC channel reused by every call
// (round_robin over every address the target resolves to, one HTTP/2 connection each, renewed
// every CHANNEL_REFRESH_MS so the name is resolved again), readiness through ServerReady and
// ModelReady, and streaming inference through ModelStreamInfer (one bidirectional stream per
// request, as the official client_grpc.py does), with the same first-audio and idle timeouts as
// the HTTP engines. Every failure comes out as a RemoteFailure.
import * as grpc from '@grpc/grpc-js';
import type { GrpcTarget } from '../../../config/remote.js';
import { RemoteFailure } from '../failure.js';
import type { HttpTimeouts } from '../http.js';
import {
  ENABLE_EMPTY_FINAL_RESPONSE,
  FINAL_RESPONSE,
  decodeFp32,
  inferenceService,
  type InferTensor,
  type ModelInferRequest,
  type ModelStreamInferResponse,
} from './protocol.js';

/** Responses of the official cosyvoice3 model are a few seconds of float audio; prompts up to 30 s. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

type Unary<Req, Res> = (request: Req, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, res?: Res) => void) => grpc.ClientUnaryCall;

interface InferenceClient extends grpc.Client {
  ServerReady: Unary<object, { ready: boolean }>;
  ModelReady: Unary<{ name: string; version?: string }, { ready: boolean }>;
  ModelStreamInfer(metadata: grpc.Metadata, options: grpc.CallOptions): grpc.ClientDuplexStream<ModelInferRequest, ModelStreamInferResponse>;
}

/** gRPC status codes that mean the request itself was wrong: another attempt cannot help. */
const NOT_RETRYABLE = new Set([grpc.status.INVALID_ARGUMENT, grpc.status.NOT_FOUND, grpc.status.FAILED_PRECONDITION, grpc.status.UNIMPLEMENTED, grpc.status.PERMISSION_DENIED, grpc.status.UNAUTHENTICATED, grpc.status.OUT_OF_RANGE]);

export function fromGrpcError(err: grpc.ServiceError | Error): RemoteFailure {
  if (err instanceof RemoteFailure) return err;
  const code = (err as grpc.ServiceError).code;
  const details = (err as grpc.ServiceError).details || err.message;
  if (code === grpc.status.UNAVAILABLE) return new RemoteFailure('unreachable', details, true, { cause: err });
  if (code === grpc.status.DEADLINE_EXCEEDED) return new RemoteFailure('timeout', details, true, { cause: err });
  const name = code === undefined ? 'error' : (grpc.status[code] ?? String(code));
  return new RemoteFailure('status', `${name}: ${details}`, code === undefined || !NOT_RETRYABLE.has(code), { cause: err });
}

/**
 * round_robin instead of grpc-js's default pick_first: a name with several addresses (a Kubernetes
 * headless Service in front of several Triton pods, or an ipv4:/ipv6: list) gets a connection to
 * each, and calls rotate over the ready ones; an address whose connection drops leaves the rotation
 * until it reconnects.
 */
const SERVICE_CONFIG = JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] });

/**
 * grpc-js's DNS resolver never re-resolves on a timer: only when a connection drops (round_robin
 * asks then), rate-limited by grpc.dns_min_time_between_resolutions_ms. A pod added behind the
 * name would get no calls until some connection dropped, so the client opens a fresh channel this
 * often (its first call resolves the name again). Channels with the same options share grpc-js's
 * global subchannel pool, so connections to addresses still listed are reused, not reopened.
 */
export const CHANNEL_REFRESH_MS = 30_000;

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.service_config': SERVICE_CONFIG,
  // A pod that restarts comes back at a new address; look it up a few seconds after the drop rather than grpc-js's 30 s.
  'grpc.dns_min_time_between_resolutions_ms': 5000,
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  // Fail fast when the server is down instead of waiting for a reconnect backoff to end.
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 2000,
};

/**
 * A channel and the calls still on it. A replaced channel stays open for one refresh period (so
 * the new one has resolved and holds the shared connections before this one lets go of them),
 * then closes once its last call ends.
 */
interface Channel {
  readonly client: InferenceClient;
  calls: number;
  state: 'current' | 'replaced' | 'closing';
}

export class TritonClient {
  private channel: Channel;
  private replaced: Channel | null = null;
  private readonly closing = new Set<Channel>();
  private readonly credentials: grpc.ChannelCredentials;
  private readonly refresher: NodeJS.Timeout;
  private closed = false;

  constructor(
    readonly target: GrpcTarget,
    private readonly timeouts: HttpTimeouts,
    refreshMs = CHANNEL_REFRESH_MS,
  ) {
    // One credentials object: the subchannel pool only shares connections between channels with equal credentials.
    this.credentials = target.tls ? grpc.credentials.createSsl() : grpc.credentials.createInsecure();
    this.channel = this.open();
    this.refresher = setInterval(() => this.refresh(), refreshMs);
    this.refresher.unref();
  }

  /** Moves new calls to a fresh channel (the name resolved again); calls in flight finish on the old one. */
  refresh(): void {
    if (this.closed) return;
    if (this.replaced) this.retire(this.replaced);
    this.replaced = this.channel;
    this.replaced.state = 'replaced';
    this.channel = this.open();
    // Resolve and connect now rather than on the next call.
    this.channel.client.getChannel().getConnectivityState(true);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.refresher);
    this.channel.client.close();
    this.replaced?.client.close();
    for (const c of this.closing) c.client.close();
    this.closing.clear();
  }

  private open(): Channel {
    const Service = inferenceService();
    return { client: new Service(this.target.address, this.credentials, CHANNEL_OPTIONS) as unknown as InferenceClient, calls: 0, state: 'current' };
  }

  private retire(channel: Channel): void {
    channel.state = 'closing';
    if (channel.calls === 0) channel.client.close();
    else this.closing.add(channel);
  }

  /** The current channel, counted as busy until `release` is called. */
  private acquire(): { client: InferenceClient; release: () => void } {
    const channel = this.channel;
    channel.calls++;
    let released = false;
    return {
      client: channel.client,
      release: () => {
        if (released) return;
        released = true;
        if (--channel.calls === 0 && channel.state === 'closing') {
          this.closing.delete(channel);
          channel.client.close();
        }
      },
    };
  }

  /** Resolves when the server and the model are ready; throws RemoteFailure saying which is not. */
  async ready(model: string, signal: AbortSignal): Promise<void> {
    const server = await this.unary((c) => c.ServerReady, {}, signal);
    if (!server.ready) throw new RemoteFailure('status', 'the server is not ready (ServerReady = false)', true);
    const m = await this.unary((c) => c.ModelReady, { name: model }, signal);
    if (!m.ready) throw new RemoteFailure('status', `model "${model}" is not ready (ModelReady = false)`, true);
  }

  /**
   * Sends one request on its own ModelStreamInfer stream and yields the named FP32 output of each
   * response until the final one. Works with decoupled models (many responses, then an empty
   * final one) and with ordinary ones (a single response flagged final).
   */
  async *streamInfer(request: ModelInferRequest, output: string, signal: AbortSignal): AsyncGenerator<Float32Array> {
    const { client, release } = this.acquire();
    const call = client.ModelStreamInfer(new grpc.Metadata(), {});
    const queue: (ModelStreamInferResponse | { error: RemoteFailure } | { end: true })[] = [];
    let wake: (() => void) | null = null;
    const push = (item: (typeof queue)[number]) => {
      queue.push(item);
      wake?.();
      wake = null;
    };
    let timer: NodeJS.Timeout | undefined;
    const arm = (ms: number, what: string) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        push({ error: new RemoteFailure('timeout', what, true) });
        call.cancel();
      }, ms);
    };
    const onAbort = () => call.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    call.on('data', (res: ModelStreamInferResponse) => push(res));
    call.on('error', (err: grpc.ServiceError) => push(err.code === grpc.status.CANCELLED && signal.aborted ? { end: true } : { error: fromGrpcError(err) }));
    call.on('end', () => push({ end: true }));
    arm(this.timeouts.firstByteMs, `no audio within ${this.timeouts.firstByteMs} ms`);
    try {
      const params = { ...request.parameters, [ENABLE_EMPTY_FINAL_RESPONSE]: { bool_param: true } };
      call.write({ ...request, parameters: params });
      // Half-close: Triton keeps sending this request's responses after the client's writes end.
      call.end();
      for (;;) {
        if (signal.aborted) throw signal.reason;
        const item = queue.shift();
        if (!item) {
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        if ('error' in item) throw item.error;
        if ('end' in item) {
          if (signal.aborted) throw signal.reason;
          throw new RemoteFailure('protocol', 'the stream ended before the final response', true);
        }
        if (item.error_message) throw new RemoteFailure('status', item.error_message, true);
        const res = item.infer_response;
        if (!res) throw new RemoteFailure('protocol', 'a stream response has neither an error nor a result', true);
        const samples = outputSamples(res.outputs, res.raw_output_contents ?? [], output);
        if (samples && samples.length > 0) {
          arm(this.timeouts.idleMs, `no audio for ${this.timeouts.idleMs} ms in the middle of the stream`);
          yield samples;
        }
        if (res.parameters?.[FINAL_RESPONSE]?.bool_param === true) return;
      }
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      call.cancel();
      release();
    }
  }

  private unary<Req, Res>(method: (client: InferenceClient) => Unary<Req, Res>, request: Req, signal: AbortSignal): Promise<Res> {
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + this.timeouts.connectMs;
      const { client, release } = this.acquire();
      const call = method(client).call(client, request, new grpc.Metadata(), { deadline }, (err, res) => {
        release();
        signal.removeEventListener('abort', onAbort);
        if (err) reject(fromGrpcError(err));
        else resolve(res as Res);
      });
      const onAbort = () => call.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** The named output's samples from raw_output_contents (or typed contents), or null when absent. */
function outputSamples(outputs: readonly InferTensor[], raw: readonly Buffer[], name: string): Float32Array | null {
  const index = outputs.findIndex((o) => o.name === name);
  if (index < 0) return null;
  const tensor = outputs[index] as InferTensor;
  if (tensor.datatype !== 'FP32') throw new RemoteFailure('protocol', `output ${name} is ${tensor.datatype}, expected FP32`, true);
  const bytes = raw[index];
  if (bytes) {
    try {
      return decodeFp32(bytes);
    } catch (err) {
      throw new RemoteFailure('protocol', (err as Error).message, true);
    }
  }
  const floats = tensor.contents?.fp32_contents;
  return floats && floats.length > 0 ? Float32Array.from(floats) : new Float32Array(0);
}
