#!/usr/bin/env node
import type { Command, Io } from './command';
import { UsageError } from './command';
import { api } from './commands/api';
import { call } from './commands/call';
import { describe } from './commands/describe';
import { health } from './commands/health';
import { mcp } from './commands/mcp';
import { services } from './commands/services';
import { sidecar } from './commands/sidecar';
import { watch } from './commands/watch';
import { web } from './commands/web';
import { describeFailure, EXIT, exitCodeOf } from './exit-codes';
import { COMMON_FLAGS, parseFlags } from './flags';
import { commandHelp, mainHelp } from './help';
import { KEEL_VERSION } from '../version';

/** Every `keel` command, in the order `keel --help` lists them. */
export const COMMANDS: readonly Command[] = [services, describe, call, health, watch, api, sidecar, web, mcp];

/**
 * Runs `keel <argv>` and resolves to the exit code (see exit-codes.ts). Failures are one line on stderr —
 * a gRPC status as `ERROR <CODE> (<reason>): details` — unless `--verbose`. Exported so tests and other
 * entry points can run a command in-process.
 */
export async function main(argv: readonly string[], io: Io, commands: readonly Command[] = COMMANDS): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(mainHelp(commands));
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    io.stdout.write(`keel ${KEEL_VERSION}\n`);
    return EXIT.ok;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr.write(`keel: unknown command ${JSON.stringify(name)}; the commands are ${commands.map((c) => c.name).join(', ')} (keel --help)\n`);
    return EXIT.usage;
  }
  const verbose = rest.includes('--verbose');
  try {
    const args = parseFlags(rest, [...COMMON_FLAGS, ...command.flags]);
    if (args.flags.help) {
      io.stdout.write(commandHelp(command));
      return EXIT.ok;
    }
    return await command.run(args, io);
  } catch (err) {
    io.stderr.write(describeFailure(err, verbose));
    if (err instanceof UsageError) io.stderr.write(`usage: keel ${command.name}${command.usage ? ` ${command.usage}` : ''} [flags] (keel ${command.name} --help)\n`);
    return io.signal.aborted ? EXIT.interrupted : exitCodeOf(err);
  }
}

/** The bin: Ctrl-C or SIGTERM aborts `io.signal` (commands stop and clean up); a second one exits at once. */
function runBin(): void {
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // `keel services | head -1`: a closed pipe ends the command quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.ok);
  });
  const io: Io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, signal: controller.signal };
  void main(process.argv.slice(2), io).then((code) => {
    // grpc-js channels and registry sockets may linger: exit once the output is flushed.
    process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  });
}

if (require.main === module) runBin();
