// The KServe v2 / Triton gRPC protocol as TypeScript sees it: the service loaded from the vendored
// grpc_service.proto (field names kept as in the proto), the message shapes cosyfleet uses, and
// tensor encoding (raw little-endian contents; BYTES elements are a 4-byte length + the bytes).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export interface InferParameter {
  bool_param?: boolean;
  int64_param?: string | number;
  string_param?: string;
  parameter_choice?: 'bool_param' | 'int64_param' | 'string_param';
}

export interface InferTensorContents {
  fp32_contents?: number[];
  int_contents?: number[];
  bytes_contents?: Buffer[];
}

export interface InferTensor {
  name: string;
  datatype: string;
  /** int64 in the proto: numbers when sent, decimal strings when received. */
  shape: (number | string)[];
  parameters?: Record<string, InferParameter>;
  contents?: InferTensorContents | null;
}

export interface ModelInferRequest {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: Record<string, InferParameter>;
  inputs: InferTensor[];
  outputs?: { name: string; parameters?: Record<string, InferParameter> }[];
  raw_input_contents?: Buffer[];
}

export interface ModelInferResponse {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: Record<string, InferParameter>;
  outputs: InferTensor[];
  raw_output_contents?: Buffer[];
}

export interface ModelStreamInferResponse {
  error_message: string;
  infer_response?: ModelInferResponse | null;
}

/** Asks Triton for an empty response flagged final at the end of a decoupled stream (what the official client sends). */
export const ENABLE_EMPTY_FINAL_RESPONSE = 'triton_enable_empty_final_response';
/** Response parameter that marks the last response of a request. */
export const FINAL_RESPONSE = 'triton_final_response';

/**
 * The proto sits beside this module in src/; the compiled module in dist/ finds it in the
 * source tree (tsc copies no .proto files), so a checkout runs from either.
 */
function protoPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'grpc_service.proto'), join(here, '..', '..', '..', '..', 'src', 'engines', 'remote', 'kserve', 'grpc_service.proto')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`grpc_service.proto not found (looked in ${candidates.join(', ')})`);
  return found;
}

let cached: grpc.ServiceClientConstructor | null = null;

/** The GRPCInferenceService client constructor (its `.service` is the definition a server adds). */
export function inferenceService(): grpc.ServiceClientConstructor {
  if (cached) return cached;
  const definition = protoLoader.loadSync(protoPath(), { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as { inference: { GRPCInferenceService: grpc.ServiceClientConstructor } };
  cached = loaded.inference.GRPCInferenceService;
  return cached;
}

/** A BYTES tensor's raw contents: each element as a little-endian uint32 length, then its bytes. */
export function encodeBytesElements(values: readonly string[]): Buffer {
  const parts: Buffer[] = [];
  for (const v of values) {
    const bytes = Buffer.from(v, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32LE(bytes.length, 0);
    parts.push(length, bytes);
  }
  return Buffer.concat(parts);
}

export function decodeBytesElements(raw: Buffer): string[] {
  const out: string[] = [];
  let offset = 0;
  while (offset + 4 <= raw.length) {
    const length = raw.readUInt32LE(offset);
    offset += 4;
    if (offset + length > raw.length) throw new Error('BYTES element runs past the end of the tensor');
    out.push(raw.subarray(offset, offset + length).toString('utf8'));
    offset += length;
  }
  if (offset !== raw.length) throw new Error('BYTES tensor has trailing bytes');
  return out;
}

/** Float32 samples as raw little-endian FP32 contents. */
export function encodeFp32(samples: Float32Array): Buffer {
  const out = Buffer.alloc(samples.length * 4);
  for (let i = 0; i < samples.length; i++) out.writeFloatLE(samples[i] as number, i * 4);
  return out;
}

export function decodeFp32(raw: Buffer): Float32Array {
  if (raw.length % 4 !== 0) throw new Error(`FP32 tensor of ${raw.length} bytes is not a whole number of floats`);
  const out = new Float32Array(raw.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = raw.readFloatLE(i * 4);
  return out;
}

export function encodeInt32(values: readonly number[]): Buffer {
  const out = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => out.writeInt32LE(v, i * 4));
  return out;
}

export function decodeInt32(raw: Buffer): number[] {
  if (raw.length % 4 !== 0) throw new Error(`INT32 tensor of ${raw.length} bytes is not a whole number of ints`);
  return Array.from({ length: raw.length / 4 }, (_, i) => raw.readInt32LE(i * 4));
}

/** The element count a shape holds. */
export function elementCount(shape: readonly (number | string)[]): number {
  return shape.reduce<number>((n, d) => n * Number(d), 1);
}
