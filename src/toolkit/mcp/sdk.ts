import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { loadPeer } from '../../peer';

/**
 * The parts of the official MCP SDK (`@modelcontextprotocol/sdk`, an optional peer) keel uses, loaded the
 * first time a gateway is made: keel itself never loads it.
 */
export interface Sdk {
  Server: typeof Server;
  StdioServerTransport: typeof StdioServerTransport;
  StreamableHTTPServerTransport: typeof StreamableHTTPServerTransport;
  ListToolsRequestSchema: typeof ListToolsRequestSchema;
  CallToolRequestSchema: typeof CallToolRequestSchema;
}

const PACKAGE = '@modelcontextprotocol/sdk';

export function loadSdk(): Sdk {
  const load = <T>(path: string): T => loadPeer<T>(`${PACKAGE}/${path}`, 'the MCP gateway (keel mcp, createMcpGateway)', PACKAGE);
  const server = load<{ Server: Sdk['Server'] }>('server/index.js');
  const types = load<Pick<Sdk, 'ListToolsRequestSchema' | 'CallToolRequestSchema'>>('types.js');
  return {
    Server: server.Server,
    StdioServerTransport: load<{ StdioServerTransport: Sdk['StdioServerTransport'] }>('server/stdio.js').StdioServerTransport,
    StreamableHTTPServerTransport: load<{ StreamableHTTPServerTransport: Sdk['StreamableHTTPServerTransport'] }>('server/streamableHttp.js').StreamableHTTPServerTransport,
    ListToolsRequestSchema: types.ListToolsRequestSchema,
    CallToolRequestSchema: types.CallToolRequestSchema,
  };
}
