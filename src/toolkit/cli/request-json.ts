import { UsageError, type Io } from './command';

/** Requests larger than this are refused: a mistaken pipe (a log file) should not fill the memory. */
const MAX_STDIN_BYTES = 16 * 1024 * 1024;

/**
 * The request: the argument; stdin when the argument is `-`, or absent and stdin is not a TTY (a pipe or a
 * file); `{}` when absent on a terminal. Not JSON is a usage error saying where it came from.
 */
export async function requestJson(arg: string | undefined, io: Io): Promise<unknown> {
  const stdinIsTty = (io.stdin as { isTTY?: boolean }).isTTY === true;
  let text: string;
  let from: string;
  if (arg === '-' || (arg === undefined && !stdinIsTty)) {
    text = await readAll(io.stdin);
    from = 'stdin';
    if (arg === undefined && text.trim() === '') text = '{}';
  } else {
    text = arg ?? '{}';
    from = 'the request argument';
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${from} is not valid JSON: ${(err as Error).message}`);
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > MAX_STDIN_BYTES) throw new UsageError(`the request on stdin is larger than ${MAX_STDIN_BYTES} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}
