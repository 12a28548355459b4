// Streaming response bodies. A route awaits the first chunk itself (so a failure before any
// audio is still a JSON error), then hands the rest to the transport through this.

/** Re-attaches the first item; stopping the body (client gone) returns the source generator. */
export async function* resume(first: IteratorResult<Buffer>, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  try {
    if (first.done) return;
    yield first.value;
    for (;;) {
      const next = await rest.next();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    // A destroyed response stops this generator early; pass that on so the pipeline's
    // finally blocks (resampler, encoder) run now rather than at garbage collection.
    await rest.return?.();
  }
}
