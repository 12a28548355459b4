// `"store": true` on a synthesis route: the response's bytes pass through unchanged while a copy
// is kept, and only when the audio has ended normally are they saved (object, then row). A
// render that fails or a client that goes away ends the iteration early, so nothing is saved:
// no partial object, no row.
import { AppError } from '../errors/app-error.js';
import type { OutputRecord } from '../storage/output-store.js';
import type { NewOutput, OutputService } from './service.js';

export interface OutputCapture {
  /** The output's id, known before the first byte (the X-Output-Id header). */
  readonly id: string;
  /** The bytes of `source`, saved as this output once the iteration completes (with `details()` as they are then). */
  wrap(source: AsyncIterable<Buffer>, details: () => OutputDetails): AsyncGenerator<Buffer>;
  /** The saved record: set once wrap()'s iteration has completed. */
  readonly record: OutputRecord | null;
}

/** What is known of the audio only once it has all been made. */
export type OutputDetails = Omit<NewOutput, 'id' | 'bytes'>;

/** null when the request did not ask to store its output. Called before planning, so a refusal holds nothing. */
export function captureOutput(store: boolean | undefined, outputs: OutputService | undefined): OutputCapture | null {
  if (store !== true) return null;
  if (!outputs) throw new AppError('invalid_value', 'This server does not store outputs.', { param: 'store' });
  const id = outputs.newId();
  let record: OutputRecord | null = null;
  return {
    id,
    get record() {
      return record;
    },
    async *wrap(source, details) {
      const parts: Buffer[] = [];
      for await (const part of source) {
        parts.push(part);
        yield part;
      }
      // Awaited before the consumer sees the end: a streamed response ends only once its output exists.
      record = await outputs.save({ ...details(), id, bytes: Buffer.concat(parts) });
    },
  };
}
