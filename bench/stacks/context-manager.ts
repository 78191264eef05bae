import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

/**
 * The OpenTelemetry SDK's AsyncLocalStorage context manager, registered as an application with tracing has it
 * (issue 21: every configuration is measured with it active, traced or not). `initTracing` registers the same;
 * processes that call it need not call this.
 */
export function activateContextManager(): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}
