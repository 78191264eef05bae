/**
 * What a server logs to: `console` (the default), or a pino-like logger, which keel recognises by its
 * `bindings()` method and calls pino's way, fields first: `logger.error({ method, err }, message)`.
 * Anything else with `info`, `warn` and `error` is called console's way: the message (which says everything the
 * fields do), then the error when there is one, so its stack is printed: `logger.error(message, err)`.
 */
export interface Logger {
  info(...args: any[]): void;
  warn(...args: any[]): void;
  error(...args: any[]): void;
}

export type Level = 'info' | 'warn' | 'error';
/** keel's own logging calls: a message and structured fields. */
export type Log = (level: Level, message: string, fields?: Record<string, unknown>) => void;

const silent: Log = () => undefined;

/** Validates the `logger` option (`false` = silent) and adapts it to one calling convention. */
export function toLog(logger: Logger | false | undefined, where: string): Log {
  if (logger === false) return silent;
  const target = logger ?? console;
  for (const level of ['info', 'warn', 'error'] as const) {
    if (typeof target?.[level] !== 'function') {
      throw new TypeError(`${where}: logger must be false or have info, warn and error methods (console, pino, …); ${level} is missing`);
    }
  }
  const pinoLike = typeof (target as { bindings?: unknown }).bindings === 'function';
  return (level, message, fields) => {
    if (pinoLike) target[level](fields ?? {}, message);
    else if (fields?.err !== undefined) target[level](message, fields.err);
    else target[level](message);
  };
}
