/** Number formatting for the report: thousands separators, ratios, microseconds. */

export function int(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '–';
  return Math.round(x).toLocaleString('en-US');
}

export function fixed(x: number | undefined, digits: number): string {
  if (x === undefined || !Number.isFinite(x)) return '–';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `×0.97`: a figure as a ratio to the raw client's. */
export function ratio(x: number | undefined, reference: number | undefined): string {
  if (x === undefined || reference === undefined || !Number.isFinite(x) || !Number.isFinite(reference) || reference === 0) return '–';
  return `×${(x / reference).toFixed(2)}`;
}

/** `+12`: a difference, signed. */
export function delta(x: number | undefined, reference: number | undefined): string {
  if (x === undefined || reference === undefined || !Number.isFinite(x) || !Number.isFinite(reference)) return '–';
  const d = Math.round(x - reference);
  return d >= 0 ? `+${d.toLocaleString('en-US')}` : d.toLocaleString('en-US');
}

export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((h, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

export function bytes(x: number): string {
  if (!Number.isFinite(x)) return '–';
  return x >= 10_000 ? `${(x / 1024).toFixed(1)} KiB` : `${Math.round(x)} B`;
}
