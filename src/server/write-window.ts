/** grpc-js's own limit: its object-mode writable says "full" (`write()` false) at 16 messages, whatever their size. */
export const GRPC_HIGH_WATER = 16;
/** Small messages may queue this deep… */
const SMALL_WINDOW = 64;
/** …while the queue stays within this many bytes. */
const WINDOW_BYTES = 64 * 1024;

/**
 * How many messages a server stream lets grpc-js hold before its pump waits for 'drain', decided once per
 * stream, at its first `write()` false, from the size of the message then being written.
 *
 * Why more than grpc-js's 16: every wait for 'drain' costs the pump a turn of the event loop (and the caller
 * smaller reads), and with 16-byte messages that was one turn every 16 messages. Letting small messages queue
 * 64 deep cut the waits by four; measured with an async-generator Flood against a plain client on Node 24,
 * 16 interleaved rounds: messages/s ×1.06, server CPU per message ×0.97, client CPU ×0.95.
 *
 * What a slow caller can make the server hold stays bounded: at most max(16 messages, 64 KiB). Large messages
 * keep grpc-js's 16. `sizeOf` may throw (a response that does not serialize): then 16, and the write itself
 * reports the failure as before.
 */
export function writeWindow(sizeOf: ((message: unknown) => number) | undefined, message: unknown): number {
  if (sizeOf === undefined) return GRPC_HIGH_WATER;
  let bytes: number;
  try {
    bytes = sizeOf(message);
  } catch {
    return GRPC_HIGH_WATER;
  }
  if (!(bytes >= 0)) return GRPC_HIGH_WATER;
  return Math.max(GRPC_HIGH_WATER, Math.min(SMALL_WINDOW, Math.floor(WINDOW_BYTES / Math.max(bytes, 1))));
}
