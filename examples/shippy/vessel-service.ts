// vessel-service: `node dist/examples/shippy/vessel-service.js`. The fleet, in memory; answers
// FindAvailable with the first available vessel that can carry the containers and the weight.
// Configured like a go-micro service: MICRO_REGISTRY, MICRO_REGISTRY_ADDRESS, MICRO_SERVER_ADDRESS, OTEL_*.
import { status } from '@grpc/grpc-js';
import { createServer, tracing, wrapHandler, type KeelServer } from '../../src/index';
import { setupTracing } from '../basis/tracing-setup';
import { launch, runService } from './lifecycle';
import { VESSEL_SERVICE, VesselService, type Specification, type Vessel } from './proto';

/** The fleet every node starts with (read-only: several nodes must answer alike). */
export const FLEET: readonly Vessel[] = [
  { id: 'vessel001', name: 'Boaty McBoatface', capacity: 500, max_weight: 200_000, available: true, owner_id: 'shippy' },
  { id: 'vessel002', name: 'Ever Given', capacity: 20_000, max_weight: 200_000_000, available: true, owner_id: 'shippy' },
];

/** The first available vessel with room for the specification, if any. */
export function findAvailable(fleet: readonly Vessel[], spec: Specification): Vessel | undefined {
  return fleet.find((v) => v.available && v.capacity >= spec.capacity && v.max_weight >= spec.max_weight);
}

export function vesselServer(): KeelServer {
  const server = createServer({ name: VESSEL_SERVICE, wrap: wrapHandler(tracing()) });
  server.addService(VesselService, {
    FindAvailable: (spec) => {
      const vessel = findAvailable(FLEET, spec);
      console.log(`vessel-service: ${server.id} FindAvailable(capacity ${spec.capacity}, max_weight ${spec.max_weight}) → ${vessel?.id ?? 'none'}`);
      if (vessel === undefined) {
        throw Object.assign(new Error('no vessel'), {
          code: status.NOT_FOUND,
          details: `no available vessel takes ${spec.capacity} container(s) weighing ${spec.max_weight} kg`,
        });
      }
      return { vessel, vessels: [] };
    },
  });
  return server;
}

if (require.main === module) {
  launch('vessel-service', async () => {
    const traces = setupTracing('vessel-service'); // first: the server's spans need the provider
    await runService('vessel-service', vesselServer(), traces);
  });
}
