import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { loadPeer, MissingPeerError } from '../library';

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
const FEATURE = 'the MCP gateway (keel mcp, createMcpGateway)';

export function loadSdk(): Sdk {
  const load = <T>(path: string): T => {
    try {
      return loadPeer<T>(`${PACKAGE}/${path}`, FEATURE, PACKAGE);
    } catch (err) {
      // Name the package, not the file of it that was asked for first.
      if (err instanceof MissingPeerError) throw new MissingPeerError(PACKAGE, FEATURE, PACKAGE, err.cause);
      throw err;
    }
  };
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
