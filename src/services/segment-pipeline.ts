// The segments of one request synthesized ahead of playback and handed on strictly in order.
// Up to `lookahead` segments are in flight at once: the one being read and those after it, each
// started as soon as there is room and its audio buffered as it arrives. A new segment starts
// only when the one being read has been read to its end, so a slow reader holds at most
// `lookahead` segments of audio and stops further work (back-pressure); stopping the iteration,
// an error, or `signal` aborts every segment in flight. Whether a started segment gets an engine
// slot at once is the scheduler's decision (look-ahead never holds a slot against other work).

export interface SegmentItem<T> {
  readonly index: number;
  readonly item: T;
}

interface Flight<T> {
  readonly index: number;
  readonly controller: AbortController;
  readonly items: T[];
  done: boolean;
  failure: { error: unknown } | null;
  wake: (() => void) | null;
}

/**
 * Yields the items of segments 0..count-1 in order, `start(i, signal)` giving segment i's
 * stream. `lookahead` 1: one segment at a time, each started when the previous was read.
 */
export async function* pipelined<T>(
  count: number,
  lookahead: number,
  start: (index: number, signal: AbortSignal) => AsyncIterable<T>,
  signal: AbortSignal,
): AsyncGenerator<SegmentItem<T>> {
  const bound = Math.max(1, Math.floor(lookahead));
  const flights: Flight<T>[] = [];
  let next = 0;
  const abortAll = () => {
    for (const f of flights) if (!f.done) f.controller.abort();
  };
  signal.addEventListener('abort', abortAll, { once: true });

  const launch = (index: number): Flight<T> => {
    const flight: Flight<T> = { index, controller: new AbortController(), items: [], done: false, failure: null, wake: null };
    if (signal.aborted) flight.controller.abort();
    const wake = () => {
      const w = flight.wake;
      flight.wake = null;
      w?.();
    };
    void (async () => {
      try {
        for await (const item of start(index, flight.controller.signal)) {
          // Leaving the loop returns the stream's iterator, which stops its work.
          if (flight.controller.signal.aborted) break;
          flight.items.push(item);
          wake();
        }
        flight.done = true;
      } catch (error) {
        flight.failure = { error };
      } finally {
        flight.done = true;
        wake();
      }
    })();
    return flight;
  };

  try {
    while (next < count || flights.length > 0) {
      while (next < count && flights.length < bound) flights.push(launch(next++));
      const current = flights[0] as Flight<T>;
      for (;;) {
        if (current.items.length > 0) {
          yield { index: current.index, item: current.items.shift() as T };
          continue;
        }
        if (current.failure) throw current.failure.error;
        if (current.done) break;
        await new Promise<void>((resolve) => (current.wake = resolve));
      }
      flights.shift();
    }
  } finally {
    signal.removeEventListener('abort', abortAll);
    abortAll();
  }
}
