// Typings for the untyped parts of audio packages that src/audio loads directly. Only what
// cosyfleet calls is declared; opus-native.ts is the one place that touches these.

declare module 'opusscript/build/opusscript_native_wasm.js' {
  /** One libopus encoder + decoder pair living in the module's heap (an embind handle). */
  export interface OpusScriptHandler {
    /**
     * Encodes `frameSize` samples read from `inputPtr`. The C++ side expects each byte of the
     * little-endian s16 input widened to one uint16 element (element 2i = low byte, 2i+1 = high
     * byte) and repacks `count` samples in place before calling opus_encode. Returns the packet
     * length written at `outputPtr` or a negative libopus error code.
     */
    _encode(inputPtr: number, count: number, outputPtr: number, frameSize: number): number;
    /** opus_encoder_ctl(ctl, arg): `arg` is a value for SET requests and a heap pointer for GET requests. */
    _encoder_ctl(ctl: number, arg: number): number;
    /** Runs the C++ destructor (opus_encoder_destroy / opus_decoder_destroy). */
    delete(): void;
  }
  export interface OpusNativeModule {
    /** Resolves once the WASM instance is usable. */
    ready: Promise<unknown>;
    HEAPU8: Uint8Array;
    HEAPU16: Uint16Array;
    HEAP32: Int32Array;
    /** The heap is fixed at 16 MiB; running out aborts the whole module, so callers budget it. */
    _malloc(bytes: number): number;
    _free(ptr: number): void;
    OpusScriptHandler: new (sampleRate: number, channels: number, application: number) => OpusScriptHandler;
  }
  /** Each call instantiates a fresh WASM module with its own 16 MiB heap. */
  const factory: (moduleArg?: Record<string, unknown>) => OpusNativeModule;
  export default factory;
}
