// The start of a streamed audio answer as the official servers send one (FastAPI's
// StreamingResponse, vLLM-Omni's PCM stream): status and headers leave before the model runs.
// Applies the faults a test set on the fake server.
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { Faults } from './model.js';

export interface AudioStream {
  readonly raw: ServerResponse;
  /** Aborts when the client goes away. */
  readonly gone: AbortSignal;
  /** Pieces to send before the connection dies (a fault), or null. */
  readonly dieAfter: number | null;
}

/** Null when a fault (or the client leaving during the delay) already ended the response. */
export async function openAudioStream(reply: FastifyReply, faults: Faults, headers: Record<string, string> = {}): Promise<AudioStream | null> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { ...headers, 'transfer-encoding': 'chunked' });
  raw.flushHeaders();
  const gone = new AbortController();
  raw.on('close', () => gone.abort());
  if (faults.failBeforeAudio > 0) {
    faults.failBeforeAudio--;
    raw.destroy();
    return null;
  }
  const dieAfter = faults.dieAfterPieces;
  faults.dieAfterPieces = null;
  if (faults.delayFirstAudioMs > 0) await abortableSleep(faults.delayFirstAudioMs, gone.signal);
  if (gone.signal.aborted) return null;
  return { raw, gone: gone.signal, dieAfter };
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
