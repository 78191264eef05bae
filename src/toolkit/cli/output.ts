import type { Io } from './command';

/** ANSI styles; identity functions when colour is off, so callers never branch on it. */
export interface Paint {
  readonly on: boolean;
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

const sgr = (code: string) => (s: string): string => `\u001b[${code}m${s}\u001b[0m`;
const plain = (s: string): string => s;

/**
 * Colour only for a person: stdout is a TTY and `NO_COLOR` is unset or empty (no-color.org), and never
 * in `--json` output. Scripts reading a pipe get plain text.
 */
export function paint(io: Io): Paint {
  const on = io.stdout.isTTY === true && !io.env.NO_COLOR;
  if (!on) return { on, bold: plain, dim: plain, green: plain, red: plain, yellow: plain, cyan: plain };
  return { on, bold: sgr('1'), dim: sgr('2'), green: sgr('32'), red: sgr('31'), yellow: sgr('33'), cyan: sgr('36') };
}

/** The width a string takes on a terminal: escape sequences take none. */
export const visibleWidth = (s: string): number => [...s.replace(/\u001b\[[0-9;]*m/g, '')].length;

/**
 * Rows as aligned columns (two spaces apart; the last column not padded), the header in bold. Cells may
 * hold colour codes: widths are measured without them.
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[], p: Paint): string {
  const widths = header.map((h, i) => Math.max(visibleWidth(h), ...rows.map((r) => visibleWidth(r[i] ?? ''))));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] as number) - visibleWidth(c)))).join('  ').trimEnd();
  return [line(header.map((h) => p.bold(h))), ...rows.map(line)].join('\n') + '\n';
}

/** One value as JSON on stdout: one line, for `jq` and scripts. */
export function writeJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value)}\n`);
}

/** A serving status, coloured by what it means. */
export function statusText(status: string, p: Paint): string {
  return status === 'SERVING' ? p.green(status) : status === 'NOT_SERVING' || status === 'UNREACHABLE' ? p.red(status) : p.yellow(status);
}
