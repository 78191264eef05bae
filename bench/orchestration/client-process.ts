// A client process: `fork('client-process.js', [configName])`. It runs one configuration's measurements
// on request (closed loop, open loop), or, when named `scale`, `pipeline` or `stream-*`, the measurements that
// need no configuration (scale, accuracy, wrapper cost, server-stream throughput), and replies over IPC. Client and server cost never share a process.
import { initTracing } from '../../src/index';
import { accuracy } from '../in-process/accuracy';
import { closedLoop } from '../loads/closed-loop';
import { configNamed, type BenchClient } from '../stacks/configs';
import { noopExporter } from '../stacks/noop-exporter';
import { activateContextManager } from '../stacks/context-manager';
import { openLoop } from '../loads/open-loop';
import { pipeline } from '../in-process/pipeline';
import type { Job, JobReply, JobRequest, Target } from '../shared/protocol';
import { scale } from '../scale/scale';
import { isStreamClient, streamSegment } from '../loads/streams/client';

const name = process.argv[2] ?? '';
// `scale`, `pipeline` and `stream-*` processes run measurements of their own, no client configuration.
const config = name === 'scale' || name === 'pipeline' || isStreamClient(name) ? undefined : configNamed(name);
if (config?.tracing) {
  initTracing({ serviceName: `bench-${name}`, exporter: noopExporter, ...(config.sampleRatio !== undefined ? { sampleRatio: config.sampleRatio } : {}) });
} else if (name !== 'pipeline' && name !== 'stream-full') {
  // Untraced configurations too run with the SDK's context manager active, as an application with tracing has it
  // (the pipeline process sets up its own SDK; the traced stream client starts initTracing on its first job).
  activateContextManager();
}

/** A fresh client per segment: no state (round-robin place, breaker window, bucket) carries over. */
async function withClient<T>(target: Target, use: (client: BenchClient) => Promise<T>): Promise<T> {
  if (config === undefined) throw new Error(`process ${name} runs no client configuration`);
  const client = config.make(target);
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

function run(job: Job): Promise<unknown> {
  switch (job.kind) {
    case 'closed':
      return withClient(job.target, (client) => closedLoop(() => client.call(), job));
    case 'open':
      return withClient(job.target, (client) => openLoop(() => client.call(), job));
    case 'scale':
      return scale(job);
    case 'accuracy':
      return accuracy(job);
    case 'pipeline':
      return pipeline(job);
    case 'stream':
      if (!isStreamClient(name)) throw new Error(`process ${name} is no streaming client`);
      return streamSegment(name, job);
  }
}

process.on('message', (message: JobRequest) => {
  run(message.job).then(
    (result) => process.send?.({ id: message.id, result } satisfies JobReply),
    (err: Error) => process.send?.({ id: message.id, error: err.stack ?? err.message } satisfies JobReply),
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
