/**
 * The YAML that kubeconfig files are written in, read without a YAML library: block mappings, block
 * sequences (`- ` at the parent key's indentation, as kubectl writes them, or deeper), plain and quoted
 * scalars, `{}`, `[]`, `null` and comments. JSON is read as JSON. Anything else (anchors, tags, multi-line
 * scalars, flow collections with content) is refused with its line number rather than guessed at: a
 * kubeconfig names the server to trust and the credentials to send, so a misread is worse than an error.
 * Values are returned as strings, `null`, objects and arrays (`true` stays the string "true").
 */
export type YamlValue = string | null | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  indent: number;
  text: string;
  no: number;
}

/** At most this many lines (a kubeconfig with many contexts is a few hundred) and this nesting depth. */
const MAX_LINES = 20_000;
const MAX_DEPTH = 32;

export function parseKubeconfigYaml(source: string, where: string): YamlValue {
  if (/^\s*[{[]/.test(source)) {
    try {
      return JSON.parse(source) as YamlValue;
    } catch (err) {
      throw new TypeError(`${where}: not valid JSON: ${(err as Error).message}`);
    }
  }
  const lines: Line[] = [];
  const raw = source.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (raw.length > MAX_LINES) throw new RangeError(`${where}: more than ${MAX_LINES} lines`);
  raw.forEach((text, i) => {
    if (/^\s*(#.*)?$/.test(text) || text === '---') return;
    if (/^\t| \t/.test(text.match(/^\s*/)?.[0] ?? '')) throw new TypeError(`${where}:${i + 1}: tabs are not allowed in YAML indentation`);
    const indent = (text.match(/^ */)?.[0] ?? '').length;
    lines.push({ indent, text: text.slice(indent), no: i + 1 });
  });
  if (lines.length === 0) return null;
  const reader = { lines, pos: 0, where };
  const value = block(reader, lines[0]!.indent, 0);
  if (reader.pos < lines.length) fail(reader, lines[reader.pos]!, 'unexpected indentation');
  return value;
}

type Reader = { lines: Line[]; pos: number; where: string };

function fail(r: Reader, line: Line, why: string): never {
  throw new TypeError(`${r.where}:${line.no}: ${why} (only the YAML subset kubectl writes is read)`);
}

/** A mapping or a sequence whose lines start at exactly `indent`. */
function block(r: Reader, indent: number, depth: number): YamlValue {
  const first = r.lines[r.pos]!;
  if (depth > MAX_DEPTH) fail(r, first, 'nested too deep');
  return first.text.startsWith('- ') || first.text === '-' ? sequence(r, indent, depth) : mapping(r, indent, depth);
}

function sequence(r: Reader, indent: number, depth: number): YamlValue[] {
  const out: YamlValue[] = [];
  while (r.pos < r.lines.length) {
    const line = r.lines[r.pos]!;
    if (line.indent < indent || !(line.text.startsWith('- ') || line.text === '-')) break;
    if (line.indent > indent) fail(r, line, 'unexpected indentation');
    const rest = line.text.slice(1).replace(/^ +/, '');
    if (rest === '') {
      r.pos++;
      out.push(r.pos < r.lines.length && r.lines[r.pos]!.indent > indent ? block(r, r.lines[r.pos]!.indent, depth + 1) : null);
    } else if (keyOf(rest) !== undefined) {
      // "- key: value" opens a mapping whose keys sit where "key" does.
      const inner = indent + (line.text.length - rest.length);
      r.lines[r.pos] = { indent: inner, text: rest, no: line.no };
      out.push(mapping(r, inner, depth + 1));
    } else {
      r.pos++;
      out.push(scalar(r, line, rest));
    }
  }
  return out;
}

function mapping(r: Reader, indent: number, depth: number): { [key: string]: YamlValue } {
  const out: { [key: string]: YamlValue } = Object.create(null) as { [key: string]: YamlValue };
  while (r.pos < r.lines.length) {
    const line = r.lines[r.pos]!;
    if (line.indent < indent) break;
    if (line.indent > indent) fail(r, line, 'unexpected indentation');
    if (line.text.startsWith('- ')) break; // a sequence at the parent key's indentation ends this mapping
    const kv = keyOf(line.text);
    if (kv === undefined) fail(r, line, 'expected "key: value"');
    const [key, rest] = kv;
    if (Object.prototype.hasOwnProperty.call(out, key)) fail(r, line, `duplicate key ${JSON.stringify(key)}`);
    r.pos++;
    if (rest !== '') {
      out[key] = scalar(r, line, rest);
      continue;
    }
    const next = r.lines[r.pos];
    const nested = next !== undefined && (next.indent > indent || (next.indent === indent && next.text.startsWith('- ')));
    out[key] = nested ? block(r, next.indent, depth + 1) : null;
  }
  return { ...out };
}

/** `key: rest` (rest without its comment), or undefined when the line is not a mapping entry. */
function keyOf(text: string): [string, string] | undefined {
  const quoted = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*')\s*:(?:\s+(.*))?$/.exec(text);
  if (quoted) return [unquote(quoted[1]!), stripComment(quoted[2] ?? '')];
  const plain = /^([^\s#'"{}[\]&*!|>%@`,?:-][^:#]*?|-[^\s:#][^:#]*?)\s*:(?:\s+(.*))?$/.exec(text);
  if (!plain) return undefined;
  return [plain[1]!, stripComment(plain[2] ?? '')];
}

function stripComment(rest: string): string {
  if (rest.startsWith('"') || rest.startsWith("'")) return rest.trim();
  return rest.replace(/\s+#.*$/, '').trim();
}

function scalar(r: Reader, line: Line, text: string): YamlValue {
  const t = stripComment(text);
  if (t === '{}') return {};
  if (t === '[]') return [];
  if (t === '~' || t === 'null' || t === 'Null' || t === 'NULL') return null;
  if (t.startsWith('"') || t.startsWith("'")) {
    if (!/^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*')$/.test(t)) fail(r, line, 'unterminated or multi-line quoted string');
    return unquote(t);
  }
  if (/^[&*!|>%@`{[]/.test(t)) fail(r, line, `unsupported YAML (${JSON.stringify(t[0])})`);
  return t;
}

function unquote(t: string): string {
  if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
  try {
    return JSON.parse(t.replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1')) as string;
  } catch {
    throw new TypeError(`unsupported escape in ${t.slice(0, 40)}`);
  }
}
