/** protoc's default json_name: `max_weight` → `maxWeight` (proto3 JSON mapping). */
export function jsonName(protoName: string): string {
  return protoName.replace(/_+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
}
