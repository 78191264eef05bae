/**
 * keel's version, from the package's own package.json (dist/src/toolkit → the package root), for
 * `keel --version`. `unknown` when the file is not where a built or installed keel keeps it.
 */
export const KEEL_VERSION: string = (() => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { version } = require('../../../package.json') as { version: unknown };
    return typeof version === 'string' && version !== '' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
})();
