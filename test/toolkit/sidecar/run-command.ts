// `keel sidecar …` as a process of its own, the way the CLI's main.ts runs a command: flags parsed against
// the shared and the command's specs, Ctrl-C / SIGTERM abort the command's signal, exit with its code.
// Used by process.test.ts until the dispatch table lands (the real bin is then tested the same way).
import { UsageError } from '../../../src/toolkit/cli/command';
import { sidecar } from '../../../src/toolkit/cli/commands/sidecar';
import { COMMON_FLAGS, parseFlags } from '../../../src/toolkit/cli/flags';

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.abort());
sidecar.run(parseFlags(process.argv.slice(2), [...COMMON_FLAGS, ...sidecar.flags]),
  { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, signal: controller.signal })
  .then((code) => process.exit(code), (err: Error) => {
    process.stderr.write(`keel sidecar: ${err.message}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  });
