// Optional fast pieces of the audio path (WASM builds of LAME and libFLAC, the resampler's SIMD
// loop) and what happens when one cannot load: the codec falls back to its slower pure-JS or
// asm.js code, and the process hears about it once, as a Node warning, never as a failure.
import { readFile } from 'node:fs/promises';

/** The `code` of every warning emitted here (process.on('warning') listeners filter on it). */
export const AUDIO_FALLBACK_WARNING = 'COSYFLEET_AUDIO_FALLBACK';

/** The part of the WebAssembly API used here (the project's type libraries do not declare it). */
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
}
/** A compiled module: opaque here, handed to the library that instantiates it. */
export type WasmModule = object;

const warned = new Set<string>();

/**
 * Emits a warning the first time `piece` falls back in this thread (each audio worker thread
 * warns on its own, since each loads its own codecs).
 */
export function warnFallback(piece: string, message: string): void {
  if (warned.has(piece)) return;
  warned.add(piece);
  process.emitWarning(message, { code: AUDIO_FALLBACK_WARNING, detail: `piece: ${piece}` });
}

/** Compiles a .wasm file; rejects when it is missing, unreadable or not valid WebAssembly. */
export async function compileWasmFile(path: string): Promise<WasmModule> {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) throw new Error('this runtime has no WebAssembly');
  return api.compile(await readFile(path));
}

/** The reason as one line for a warning. */
export function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
