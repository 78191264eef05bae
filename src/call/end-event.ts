import type { CallKind, EndListener } from './contract';
import { cancelled } from '../errors';

/** Implemented by response streams that can say when they end, so no layer needs to wrap them to know. */
export const STREAM_END = Symbol('keel.streamEnd');

export interface EndObservable {
  [STREAM_END](listener: EndListener): void;
}

function hasEnd(value: unknown): value is EndObservable {
  return typeof (value as Partial<EndObservable> | null)?.[STREAM_END] === 'function';
}

/** Calls every listener once; one that throws must not keep the others, or the call, from going on. */
export function fire(listeners: readonly EndListener[], error: unknown): void {
  for (const listener of listeners) {
    try {
      listener(error);
    } catch (err) {
      process.emitWarning(`keel: an onEnd listener threw: ${(err as Error)?.message ?? String(err)}`);
    }
  }
}

/**
 * Tells `listeners` when the call whose result is `result` ends. Unary and client-streaming: when the
 * promise settles (a side branch, so the caller's own chain gets no extra hop). Response streams: when the
 * stream ends; a stream that cannot say so itself (a wrapper returned its own iterable) is observed by
 * wrapping its iterator.
 */
export function observeEnd(result: Promise<unknown>, kind: CallKind, listeners: readonly EndListener[]): Promise<unknown> {
  if (kind === 'unary' || kind === 'client_stream') {
    result.then(() => fire(listeners, undefined), (err: unknown) => fire(listeners, err));
    return result;
  }
  return result.then(
    (stream) => {
      if (hasEnd(stream)) {
        stream[STREAM_END]((error) => fire(listeners, error));
        return stream;
      }
      return new ObservedStream(stream as AsyncIterable<unknown>, (error) => fire(listeners, error));
    },
    (err: unknown) => {
      fire(listeners, err);
      throw err;
    },
  );
}

/** A foreign response stream, watched for its end: done, a throw, or the consumer leaving early. */
class ObservedStream<T> implements AsyncIterable<T>, EndObservable {
  private readonly listeners: EndListener[];
  private ended = false;
  private endedWith: unknown = undefined;

  constructor(private readonly inner: AsyncIterable<T>, listener: EndListener) {
    this.listeners = [listener];
  }

  [STREAM_END](listener: EndListener): void {
    if (this.ended) listener(this.endedWith);
    else this.listeners.push(listener);
  }

  private end(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.endedWith = error;
    fire(this.listeners, error);
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    const it = this.inner[Symbol.asyncIterator]();
    return {
      next: async () => {
        try {
          const step = await it.next();
          if (step.done) this.end(undefined);
          return step;
        } catch (err) {
          this.end(err);
          throw err;
        }
      },
      return: async (value?: unknown) => {
        this.end(cancelled('the consumer stopped reading the response stream'));
        return (await it.return?.(value)) ?? { done: true, value: undefined };
      },
    };
  }
}
