import type { ProcessIdentity } from './process-node';

type Resources = typeof import('@opentelemetry/resources');
type Resource = ReturnType<Resources['resourceFromAttributes']>;

/**
 * The resource of a keel process's spans (what Jaeger shows as a span's Process), built the way the SDK's
 * own detectors do, each layer over the one before (a later one wins, as OpenTelemetry merges them):
 * 1. `defaultResource()`: `telemetry.sdk.*`, and `service.name` = `unknown_service:node`;
 * 2. the host, OS and process detectors: `host.name`, `host.arch`, `host.id`, `os.type`, `process.pid`,
 *    `process.runtime.*`…;
 * 3. keel's node (`identity`, the setup's own): `service.instance.id` = the node id of the first keel server
 *    started under this setup (`basis-<uuid>`), `service.version` = its version; a setup that ends a span
 *    before any server started gets a random UUID and no version (see `./process-node.ts`);
 * 4. the environment (`envDetector`): `OTEL_RESOURCE_ATTRIBUTES`, then `OTEL_SERVICE_NAME` over its
 *    `service.name` — the operator's word over anything detected;
 * 5. `serviceName` when the application passes one: explicit configuration over the environment, as the SDK
 *    documents for its own options.
 */
export function tracingResource(r: Resources, serviceName: string | undefined, identity: Promise<ProcessIdentity>): Resource {
  const node = r.resourceFromAttributes({
    'service.instance.id': identity.then((i) => i.instanceId),
    'service.version': identity.then((i) => i.version),
  });
  const resource = r.defaultResource()
    .merge(r.detectResources({ detectors: [r.hostDetector, r.osDetector, r.processDetector] }))
    .merge(node)
    .merge(r.detectResources({ detectors: [r.envDetector] }));
  return serviceName === undefined ? resource : resource.merge(r.resourceFromAttributes({ 'service.name': serviceName }));
}
