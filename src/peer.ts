/**
 * keel's optional peer dependencies: the registry clients (`consul`, `etcd3`), `ioredis` for a shared
 * rate limit, and the OpenTelemetry SDK for `initTracing`. Each is loaded the first time a feature needs
 * it, never when keel is imported, so an application installs only what it uses (see README,
 * "Installing"). A missing one fails that feature at once with what to run.
 */
export class MissingPeerError extends Error {
  override readonly name = 'MissingPeerError';
  readonly code = 'KEEL_MISSING_PEER';
  constructor(
    /** The package that is not installed. */
    readonly packageName: string,
    feature: string,
    install: string,
    cause: unknown,
  ) {
    super(`${feature} needs the package '${packageName}', which is not installed: run \`npm install ${install}\``, { cause });
  }
}

/**
 * `require(name)`, or a `MissingPeerError` naming the package, the feature that needs it and the
 * `npm install` command (`install`: what to install, default the package itself, e.g. with a version
 * range). Errors other than "this package is missing" (a broken install, a missing dependency of the
 * package) are thrown as they are.
 */
export function loadPeer<T>(name: string, feature: string, install: string = name): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as T;
  } catch (err) {
    if (isMissing(err, name)) throw new MissingPeerError(name, feature, install, err);
    throw err;
  }
}

function isMissing(err: unknown, name: string): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return e?.code === 'MODULE_NOT_FOUND' && typeof e.message === 'string' && e.message.startsWith(`Cannot find module '${name}'`);
}
