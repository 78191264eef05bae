/**
 * A grpc-js transport message without its dangling fragments, e.g.
 * `No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:44689. Resolution note: `
 * becomes `No connection established. Last error: connect ECONNREFUSED 127.0.0.1:44689`. grpc-js builds
 * these by concatenation: the nested error's `Error: ` prefix and an empty `Resolution note: ` say
 * nothing to an operator. Anything else is returned as it is.
 */
export function cleanTransportMessage(message: string): string {
  if (!message.includes('Last error: Error: ') && !EMPTY_NOTE.test(message)) return message; // the common case: no copy
  return message.replace('Last error: Error: ', 'Last error: ').replace(EMPTY_NOTE, '');
}

/** An empty trailing resolution note, with the separator before it. */
const EMPTY_NOTE = /\.?\s*Resolution note:\s*$/;

/**
 * `stack` with its header (`Error: <message>`, written when the error was made, before its message was
 * cleaned) saying `name: message` instead, its frames kept: a stack trace (Jaeger's `exception.stacktrace`)
 * must not carry the raw text the message no longer does.
 */
export function stackWithMessage(stack: string, name: string, message: string): string {
  const frames = stack.search(/\n\s+at /);
  return `${name}: ${message}${frames === -1 ? '' : stack.slice(frames)}`;
}
