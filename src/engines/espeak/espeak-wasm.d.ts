// Typings for the part of @echogarden/espeak-ng-emscripten (GPL-3.0, loaded from node_modules,
// never vendored) that cosyfleet uses.
declare module '@echogarden/espeak-ng-emscripten' {
  export interface EspeakEvent {
    type: string;
    text_position: number;
    word_length: number;
    audio_position: number;
    id?: string | number;
  }
  export interface ESpeakNGWorker {
    /** Returns 0 on success, an espeak error code otherwise. */
    set_voice(id: string): number;
    set_rate(wordsPerMinute: number): number;
    set_pitch(pitch: number): number;
    list_voices(): { identifier: string; name: string; languages: { priority: number; name: string }[] }[];
    /** Synchronous; the callback gets each chunk of int16 samples as synthesized. Returning 1 aborts. */
    synthesize(text: string, callback: (samples: Int16Array, events: EspeakEvent[]) => number | boolean | void): void;
    convert_to_phonemes(text: string, useIpa: boolean): { ptr: number };
  }
  export interface EspeakModule {
    eSpeakNGWorker: new () => ESpeakNGWorker;
    UTF8ToString?(ptr: number): string;
    HEAPU8: Uint8Array;
  }
  const init: (moduleArg?: Record<string, unknown>) => Promise<EspeakModule>;
  export default init;
}
