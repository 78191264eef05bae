// Strings and maps exactly as Go's encoding/json writes them: go-micro's etcd values and mDNS TXT records
// are Go JSON, and keel writes them byte-identical so that both sides read each other.

/** A map as Go's encoding/json writes it: keys sorted by their UTF-8 bytes. */
export function goMap(map: Readonly<Record<string, string>>): string {
  const keys = Object.keys(map).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return `{${keys.map((k) => `${goString(k)}:${goString(map[k] as string)}`).join(',')}}`;
}

const SHORT: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/** A string as Go's encoding/json writes it (HTML-safe escaping; a lone surrogate, invalid in UTF-8, becomes U+FFFD). */
export function goString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i] as string;
    if (SHORT[ch] !== undefined) out += SHORT[ch];
    else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
      out += ch + (s[i + 1] as string);
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd';
    else out += ch;
  }
  return `${out}"`;
}
