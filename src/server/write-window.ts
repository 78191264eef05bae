/** grpc-js's own limit: its object-mode writable says "full" (`write()` false) at 16 messages, whatever their size. */
export const GRPC_HIGH_WATER = 16;
/** Small messages (up to 512 bytes) may queue this deep… */
const SMALL_WINDOW = 128;
/** …while the queue stays within this many bytes. */
const WINDOW_BYTES = 64 * 1024;

/** A message's encoded size in bytes (the method's response serializer). */
export type SizeOf = (message: unknown) => number;

/** The window for messages of `message`'s size; grpc-js's 16 when the size is unknown (no sizer, or it throws). */
export function windowFor(sizeOf: SizeOf | undefined, message: unknown): number {
  if (sizeOf === undefined) return GRPC_HIGH_WATER;
  let bytes: number;
  try {
    bytes = sizeOf(message);
  } catch {
    return GRPC_HIGH_WATER; // a response that does not serialize: its write reports the failure, as before
  }
  if (!(bytes >= 0)) return GRPC_HIGH_WATER;
  return Math.max(GRPC_HIGH_WATER, Math.min(SMALL_WINDOW, Math.floor(WINDOW_BYTES / Math.max(bytes, 1))));
}

/**
 * How many messages one server stream lets grpc-js hold before its pump waits for 'drain'.
 *
 * Why more than grpc-js's 16: every wait for 'drain' costs the pump a turn of the event loop (and the caller
 * smaller reads), and with 16-byte messages that was one turn every 16 messages. Measured with an async-generator
 * Flood against a plain grpc-js client on Node 24, interleaved rounds in one process: 16-byte messages with a
 * window of 64 instead of 16, messages/s ×1.06, server CPU per message ×0.97, client CPU ×0.95 (16 rounds); 128
 * over 64, ×1.03 (16 rounds); 1 KiB messages at 64, ×1.01. The byte cap is not only for memory: 4 KiB messages
 * at 64 deep (256 KiB) ran at ×0.80 and cost the server ×1.46 the CPU per message of 16 deep.
 *
 * Sizes are sampled, not assumed: a run of writes past grpc-js's 16 (an episode, from one wait for 'drain' to the
 * next) measures its first message and then one every 8 to 23 writes (16 on average), at random, and within an
 * episode the window only shrinks. So a stream whose messages grow mid-stream is held back within 23 writes of
 * its first large message; and a sender who controls the sizes cannot keep large messages unmeasured by making
 * only the measured ones small, since it cannot tell which those are. Once a stream's window is 16 it stays 16
 * (no more samples): streams of large messages pay one extra serialization, small ones about one per 16 messages
 * past grpc-js's 16. (Ending an episode whenever `write()` had room again re-measured so often with a fast
 * caller, whose writes flip in and out of room, that 16-byte streams ran at ×0.95 the messages/s of measuring
 * once per stream; with episodes ended only by a wait, the two measured alike, 14 interleaved rounds.)
 */
export class WriteWindow {
  private window = 0; // 0: not measured yet
  /** Writes since the last sample in this episode; -1: not in an episode. */
  private sinceSample = -1;
  /** The next sample comes at this many writes after the last. */
  private gap = GRPC_HIGH_WATER;

  /** `random`: [0, 1), where the next sample falls (injectable for tests). */
  constructor(private readonly sizeOf: SizeOf | undefined, private readonly random: () => number = Math.random) {}

  private sample(message: unknown): number {
    this.sinceSample = 0;
    this.gap = 8 + Math.floor(this.random() * 16);
    return windowFor(this.sizeOf, message);
  }

  /**
   * Told after each `write()`: `room` is what it returned, `pending` grpc-js's `writableLength` after it. True
   * when the pump must wait for 'drain' before writing more.
   */
  full(room: boolean, pending: number, message: unknown): boolean {
    if (room) return false; // the run of writes goes on: a fast caller's writes flip in and out of room
    // No room for another reason than the count (the stream ended or broke): wait, as grpc-js asks.
    if (pending < GRPC_HIGH_WATER) return true;
    if (this.window !== GRPC_HIGH_WATER) {
      if (this.sinceSample < 0) this.window = this.sample(message); // a new episode: the window may grow back
      else if (++this.sinceSample >= this.gap) this.window = Math.min(this.window, this.sample(message));
    }
    if (pending < this.window) return false;
    this.sinceSample = -1; // the pump waits for 'drain': the next write starts a new episode
    return true;
  }
}
