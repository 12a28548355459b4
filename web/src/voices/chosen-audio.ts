// What the add-voice form uploads, from either source: a take encoded as WAV or a chosen file.

export interface ChosenAudio {
  blob: Blob;
  filename: string;
  /** The audio's own rate when known (a recording; a WAV file's header), for the verdict's words. */
  sampleRate: number | null;
}
