// The two shippy services as grpc-js definitions, loaded from the .proto files next to the compiled code
// (the build copies them), with hand-written message types so clients and handlers are typed.
import { loadPackageDefinition, type GrpcObject, type MethodDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { join } from 'node:path';

export interface Vessel {
  id: string;
  capacity: number;
  max_weight: number;
  name: string;
  available: boolean;
  owner_id: string;
}
export interface Specification {
  capacity: number;
  max_weight: number;
}
export interface VesselResponse {
  vessel: Vessel | null;
  vessels: Vessel[];
}

export interface Container {
  id: string;
  customer_id: string;
  origin: string;
  user_id: string;
}
export interface Consignment {
  id: string;
  description: string;
  weight: number;
  containers: Container[];
  vessel_id: string;
}
export interface ConsignmentResponse {
  created: boolean;
  consignment: Consignment | null;
  consignments: Consignment[];
}
/** What a caller sends to CreateConsignment: any field may be missing (the id and vessel are assigned). */
export type NewConsignment = Partial<Omit<Consignment, 'containers'>> & { containers?: Array<Partial<Container>> };
export type GetRequest = Record<string, never>;
export type WatchRequest = Record<string, never>;

type Unary<Req, Res> = MethodDefinition<Req, Res> & { requestStream: false; responseStream: false };
type ServerStream<Req, Res> = MethodDefinition<Req, Res> & { requestStream: false; responseStream: true };

export type VesselServiceDefinition = { FindAvailable: Unary<Specification, VesselResponse> };
export type ShippingServiceDefinition = {
  CreateConsignment: Unary<NewConsignment, ConsignmentResponse>;
  GetConsignments: Unary<GetRequest, ConsignmentResponse>;
  WatchConsignments: ServerStream<WatchRequest, Consignment>;
};

// keepCase: the messages keep the proto's snake_case names, as consignment.json has them (shippy's format);
// defaults: a reply has every field (empty lists and strings instead of missing ones).
const load = (file: string): GrpcObject =>
  loadPackageDefinition(loadSync(join(__dirname, file), { keepCase: true, defaults: true }));
const pkg = (root: GrpcObject, name: string): GrpcObject => (root.shippy as GrpcObject)[name] as GrpcObject;

/** `shippy.vessel.VesselService`, typed. */
export const VesselService = pkg(load('vessel.proto'), 'vessel').VesselService as unknown as { service: VesselServiceDefinition };
/** `shippy.consignment.ShippingService`, typed. */
export const ShippingService = pkg(load('consignment.proto'), 'consignment').ShippingService as unknown as {
  service: ShippingServiceDefinition;
};

/** The names the services register under (go-micro's shippy used the same scheme). */
export const VESSEL_SERVICE = 'shippy.service.vessel';
export const CONSIGNMENT_SERVICE = 'shippy.service.consignment';
