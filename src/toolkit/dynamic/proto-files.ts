import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { Root } from 'protobufjs';

/**
 * The `--proto` fallback: parses .proto files (imports looked up in `paths`, then next to the importing file,
 * like protoc's -I) into one root. Field names are kept as written, as reflection gives them.
 * A file that does not exist or does not parse is a TypeError naming it, at construction.
 */
export function loadProtoFiles(files: readonly string[], paths: readonly string[] = []): Root {
  const root = new Root();
  root.resolvePath = (origin, target) => {
    if (isAbsolute(target) && existsSync(target)) return target;
    for (const dir of paths) {
      const candidate = resolve(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    const beside = origin === '' ? resolve(target) : join(origin, '..', target);
    return existsSync(beside) ? beside : target; // protobufjs then says which import it could not find
  };
  for (const file of files) {
    if (typeof file !== 'string' || file === '') throw new TypeError('protoFiles: expected paths of .proto files');
    const found = root.resolvePath('', file) ?? file;
    if (!existsSync(found)) throw new TypeError(`protoFiles: ${file} not found${paths.length > 0 ? ` (proto paths: ${paths.join(', ')})` : ''}`);
    try {
      // alternateCommentMode: plain `//` comments are kept too (on methods and fields), as protoc keeps them.
      root.loadSync(found, { keepCase: true, alternateCommentMode: true });
    } catch (err) {
      throw new TypeError(`protoFiles: ${file}: ${(err as Error).message}`);
    }
  }
  try {
    root.resolveAll();
    return root;
  } catch (err) {
    throw new TypeError(`protoFiles: ${(err as Error).message}`);
  }
}
