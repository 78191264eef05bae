import type { Command } from './command';
import { EXIT_HELP } from './exit-codes';
import { COMMON_FLAGS, type FlagSpec } from './flags';

const flagLines = (flags: readonly FlagSpec[]): string => {
  const left = flags.map((f) => `  --${f.name}${f.boolean ? '' : ' <value>'}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  return flags.map((f, i) => `${(left[i] as string).padEnd(width)}${f.help}${f.default === undefined ? '' : ` (default ${f.default})`}`).join('\n');
};

/** `keel --help`: every command, the shared flags, the environment, the exit codes. */
export function mainHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return `keel: the registry, health and calls of keel and go-micro services from a terminal

usage: keel <command> [arguments] [flags]

commands:
${commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join('\n')}

flags every command takes:
${flagLines(COMMON_FLAGS)}

environment: MICRO_REGISTRY, MICRO_REGISTRY_ADDRESS (under the flags), CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN,
  CONSUL_CACERT, ETCD_USERNAME, ETCD_PASSWORD as for the library; NO_COLOR turns colours off.

${EXIT_HELP}

keel <command> --help shows a command's own flags; keel --version (-v) prints keel's version.
`;
}

/** `keel <command> --help`. */
export function commandHelp(command: Command): string {
  return `usage: keel ${command.name}${command.usage ? ` ${command.usage}` : ''} [flags]

${command.summary}
${command.details === undefined ? '' : `\n${command.details}\n`}${command.flags.length > 0 ? `\nflags:\n${flagLines(command.flags)}\n` : ''}
flags every command takes:
${flagLines(COMMON_FLAGS)}

${EXIT_HELP}
`;
}
