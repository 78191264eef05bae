// keel/toolkit: the tools built on keel (go-micro's `micro` beside go-micro) — the API gateway
// (`keel api`), the MCP gateway (`keel mcp`), the sidecar (`keel sidecar`) and the dashboard (`keel web`),
// for use from code. The library itself is `keel`; nothing here is needed to build clients and servers.
// Every export is named here on purpose.

export { createGateway } from './gateway/gateway';
export type { Gateway } from './gateway/gateway';
export type { GatewayOptions } from './gateway/options';
export { bearerToken } from './gateway/guard';
export type { Authorize } from './gateway/guard';
export type { GatewayStats, EndpointStats } from './gateway/stats';
export type { EndpointSeries } from './gateway/series';
export type { ErrorBody, ErrorLog } from './gateway/status';
export { createMcpGateway } from './mcp/gateway';
export type { McpGateway } from './mcp/gateway';
export type { McpGatewayOptions } from './mcp/options';
export type { McpTool } from './mcp/tools';
export type { ToolResult, ToolError } from './mcp/call-tool';
export { startSidecar } from './sidecar/index';
export type { Sidecar, SidecarOptions, SidecarEvent, SidecarGateway, GatewayFactory, CheckResult } from './sidecar/index';
export { startWeb } from './web/web';
export type { Web, WebOptions } from './web/web';
export { ToolkitError, isToolkitError, toolkitError, TOOLKIT_REASONS } from './errors';
export type { ToolkitReason } from './errors';
