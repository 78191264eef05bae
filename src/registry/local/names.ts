// Service and node names as file and directory names, and back.

/**
 * File-system-safe name. A leading dot is escaped too: `.` and `..` must not become path components,
 * and names starting with a dot are reserved for temp files.
 */
export const encode = (s: string): string => encodeURIComponent(s).replace(/^\./, '%2E');
/** The inverse of `encode`; undefined for a directory name `encode` would not have produced. */
export const decode = (file: string): string | undefined => {
  try {
    const name = decodeURIComponent(file);
    return encode(name) === file ? name : undefined;
  } catch {
    return undefined;
  }
};
