import { Metadata, status } from '@grpc/grpc-js';

/**
 * Why a tool (the CLI, the API and MCP gateways, the dashboard) refused a request before any call: stable
 * strings, as keel's own `KeelReason`s are, but the library never raises them — they belong to the toolkit.
 */
export type ToolkitReason = 'unknown_method' | 'bad_request' | 'no_descriptor';

/** Every toolkit reason, its gRPC code, and what it means. */
export const TOOLKIT_REASONS: Readonly<Record<ToolkitReason, { readonly code: status; readonly when: string }>> = {
  unknown_method: { code: status.UNIMPLEMENTED, when: 'the toolkit (CLI, gateway) was asked for a method the service does not describe' },
  bad_request: { code: status.INVALID_ARGUMENT, when: "a JSON request given to the toolkit does not fit the method's request type" },
  no_descriptor: { code: status.FAILED_PRECONDITION, when: 'the toolkit cannot describe the service: no server reflection, and no --proto file covers it' },
};

/**
 * A request a tool refused, shaped as keel's errors are (grpc-js's `ServiceError`: `code`, `details`,
 * `metadata`, plus a stable `reason`), decided here (`origin: 'local'`), before any call was sent.
 */
export class ToolkitError extends Error {
  override readonly name = 'ToolkitError';
  readonly code: status;
  readonly details: string;
  readonly metadata = new Metadata();
  readonly reason: ToolkitReason;
  readonly origin = 'local' as const;

  constructor(reason: ToolkitReason, details: string) {
    const code = TOOLKIT_REASONS[reason].code;
    super(`${code} ${status[code]}: ${details}`);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }
}

/** The one way the toolkit builds its refusals: the code comes from `TOOLKIT_REASONS`. */
export function toolkitError(reason: ToolkitReason, details: string): ToolkitError {
  return new ToolkitError(reason, details);
}

/** True when `err` is a toolkit refusal, optionally with the given reason. */
export function isToolkitError(err: unknown, reason?: ToolkitReason): err is ToolkitError {
  return err instanceof ToolkitError && (reason === undefined || err.reason === reason);
}
