import type { ServiceDefinition } from '@grpc/grpc-js';
import { fromJSON, type PackageDefinition } from '@grpc/proto-loader';

/**
 * grpc.health.v1 (grpc/grpc-proto `grpc/health/v1/health.proto`, with `List`), as a proto-loader definition
 * built from JSON: nothing to ship or read at run time, and it carries file descriptors, so reflection
 * describes it like any other service.
 */
const HEALTH_JSON = {
  nested: { grpc: { nested: { health: { nested: { v1: { nested: {
    HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
    HealthCheckResponse: {
      fields: { status: { type: 'ServingStatus', id: 1 } },
      nested: { ServingStatus: { values: { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } } },
    },
    HealthListRequest: { fields: {} },
    HealthListResponse: { fields: { statuses: { keyType: 'string', type: 'HealthCheckResponse', id: 1 } } },
    Health: {
      methods: {
        Check: { requestType: 'HealthCheckRequest', responseType: 'HealthCheckResponse' },
        List: { requestType: 'HealthListRequest', responseType: 'HealthListResponse' },
        Watch: { requestType: 'HealthCheckRequest', responseType: 'HealthCheckResponse', responseStream: true },
      },
    },
  } } } } } } },
};

/** The full name of the gRPC health service every keel server serves (unless `health: false`). */
export const HEALTH_SERVICE = 'grpc.health.v1.Health';

export const healthPackage: PackageDefinition = fromJSON(HEALTH_JSON as Parameters<typeof fromJSON>[0], { keepCase: true, enums: String, defaults: true });

/**
 * grpc.health.v1.Health (`Check`, `List`, `Watch`) as a grpc-js service definition: to check any gRPC
 * server's health from code, as `grpc-health-probe` does.
 * @example const Health = makeClientConstructor(healthService, HEALTH_SERVICE);
 */
export const healthService = healthPackage[HEALTH_SERVICE] as unknown as ServiceDefinition;
