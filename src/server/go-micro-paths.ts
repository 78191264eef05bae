/**
 * The path a go-micro client sends for a method: go-micro builds it from the *registry* name of the
 * service, not the proto package (`client/grpc`: "/" + service + "." + Service + "/" + Method). So a
 * keel server registered as `greeter` serving `basis.Basis` is called at `/greeter.Basis/Hello` by
 * go-micro, and at `/basis.Basis/Hello` by everyone else. Returns undefined when the two are the same.
 */
export function goMicroPath(serverName: string, path: string): string | undefined {
  const match = /^\/(.+)\/([^/]+)$/.exec(path);
  if (!match) return undefined;
  const qualified = match[1] as string;
  const service = qualified.slice(qualified.lastIndexOf('.') + 1);
  const alias = `/${serverName}.${service}/${match[2]}`;
  return alias === path ? undefined : alias;
}
