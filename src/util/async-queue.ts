// A single-consumer async queue: a producer pushes values (or ends/fails the queue) from
// callbacks, and the consumer reads them with `for await`. Used to turn callback-driven
// engines (a worker thread posting chunks) into the async iterables the pipeline consumes.

export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | null = null;
  private ended = false;
  private failure: { error: unknown } | null = null;
  private readonly onReturn: (() => void) | undefined;

  /** `onReturn` runs when the consumer stops early (break, throw, or return()). */
  constructor(onReturn?: () => void) {
    this.onReturn = onReturn;
  }

  push(item: T): void {
    if (this.ended || this.failure) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve({ value: item, done: false });
    } else this.items.push(item);
  }

  end(): void {
    if (this.ended || this.failure) return;
    this.ended = true;
    if (this.waiter && this.items.length === 0) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve({ value: undefined, done: true });
    }
  }

  fail(error: unknown): void {
    if (this.ended || this.failure) return;
    this.failure = { error };
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.reject(error);
    }
  }

  get finished(): boolean {
    return this.ended || this.failure !== null;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.items.length > 0) return Promise.resolve({ value: this.items.shift() as T, done: false });
        if (this.failure) return Promise.reject(this.failure.error);
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          this.waiter = { resolve, reject };
        });
      },
      return: () => {
        const wasOpen = !this.finished;
        this.ended = true;
        this.items.length = 0;
        if (wasOpen) this.onReturn?.();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
