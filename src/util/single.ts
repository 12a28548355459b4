/** An async iterable of one chunk: bytes already in hand where a stream of them is expected. */
export async function* single<T>(item: T): AsyncGenerator<T> {
  yield item;
}
