/**
 * Escapes text for HTML element content and quoted attribute values. Everything the dashboard shows that
 * came from a registry, a server or a reply goes through it: a service may register any name or metadata.
 */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"'`]/g, (c) => ENTITIES[c]!);
}

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };
