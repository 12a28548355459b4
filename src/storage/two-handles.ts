// What the store conformance suites (*.conformance.ts) are given: two handles on one fresh
// database, as two nodes (or a service and `cosyfleet keys`) have them.
export interface TwoHandles<S> {
  readonly a: S;
  readonly b: S;
  /** Releases both handles and whatever the database needed (a temporary file, a pool). */
  close(): Promise<void>;
}

/** A test body run on freshly opened handles, closed afterwards whatever happened. */
export function withHandles<S>(open: () => Promise<TwoHandles<S>>, body: (h: TwoHandles<S>) => Promise<void>): () => Promise<void> {
  return async () => {
    const h = await open();
    try {
      await body(h);
    } finally {
      await h.close();
    }
  };
}
