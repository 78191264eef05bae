import type { DynamicCallerOptions } from '../dynamic/types';
import { loadProtoFiles } from '../dynamic/proto-files';
import { UsageError } from './command';
import { listFlag } from './flag-values';
import type { Flags, FlagSpec } from './flags';

/** The .proto fallback flags of every command that calls or describes services (call, describe, api, web). */
export const PROTO_FLAGS: readonly FlagSpec[] = [
  { name: 'proto', help: '.proto file describing the service, for nodes without server reflection (repeatable)', repeated: true },
  { name: 'proto_path', help: 'directory to resolve --proto imports in (repeatable)', repeated: true },
];

/** The DynamicCaller options of the --proto flags; a file that is missing or does not parse is a usage error. */
export function protoOptions(flags: Flags): Pick<DynamicCallerOptions, 'protoFiles' | 'protoPaths'> {
  const protoFiles = listFlag(flags, 'proto');
  const protoPaths = listFlag(flags, 'proto_path');
  if (protoFiles.length === 0 && protoPaths.length > 0) throw new UsageError('--proto_path is only used with --proto');
  if (protoFiles.length === 0) return {};
  try {
    loadProtoFiles(protoFiles, protoPaths); // here, so that a bad file is a usage error (the caller loads them again)
  } catch (err) {
    throw new UsageError(`--proto: ${(err as Error).message.replace(/^protoFiles: /, '')}`);
  }
  return { protoFiles, protoPaths };
}
