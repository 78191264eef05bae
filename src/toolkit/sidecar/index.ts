// The sidecar's public surface (re-exported by src/index.ts).
export { startSidecar, type Sidecar } from './sidecar';
export type { GatewayFactory, SidecarEvent, SidecarGateway, SidecarOptions } from './options';
export type { CheckResult } from './check';
