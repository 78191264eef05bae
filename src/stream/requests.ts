/** A request stream as callers may give it. */
export type Requests<T> = Iterable<T> | AsyncIterable<T>;

export function isRequests(value: unknown): value is Requests<unknown> {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  return typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' ||
    typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function';
}

/** The iterator of a request stream: its async iterator when it has one, else its sync one. */
export function iteratorOf<T>(requests: Requests<T>): AsyncIterator<T> | Iterator<T> {
  const asyncIterable = requests as AsyncIterable<T>;
  if (typeof asyncIterable[Symbol.asyncIterator] === 'function') return asyncIterable[Symbol.asyncIterator]();
  return (requests as Iterable<T>)[Symbol.iterator]();
}
