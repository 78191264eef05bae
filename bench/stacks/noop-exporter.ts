import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/**
 * A SpanExporter that drops every batch and reports success: the benchmarks pay for making, recording
 * and batching spans (100% sampled), not for a network exporter.
 */
export const noopExporter: SpanExporter = {
  export(_spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    done({ code: 0 }); // ExportResultCode.SUCCESS
  },
  shutdown: () => Promise.resolve(),
  forceFlush: () => Promise.resolve(),
};
