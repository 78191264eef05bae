import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryRegistry } from '../../../src/index';
import { startSidecar, type SidecarOptions } from '../../../src/toolkit/sidecar/index';

const base = (): SidecarOptions => ({ name: 'legacy', app: '127.0.0.1:9000', registry: memoryRegistry() });

describe('startSidecar: options are validated before anything starts, errors name the option', () => {
  const cases: [Partial<Record<keyof SidecarOptions | 'colour', unknown>>, ErrorConstructor, RegExp][] = [
    [{ name: '' }, TypeError, /startSidecar: name must be a non-empty string/],
    [{ app: undefined }, TypeError, /startSidecar: app must be a "host:port" string/],
    [{ app: '127.0.0.1' }, RangeError, /startSidecar: app must be "host:port"/],
    [{ app: '127.0.0.1:0' }, RangeError, /startSidecar: app must be "host:port" with a port 1-65535/],
    [{ advertise: 'nope' }, RangeError, /startSidecar: advertise must be "host:port"/],
    [{ registry: {} }, TypeError, /startSidecar: registry must be a keel Registry/],
    [{ intervalMs: 0 }, RangeError, /startSidecar: intervalMs must be a positive/],
    [{ checkTimeoutMs: '1s' }, TypeError, /startSidecar: checkTimeoutMs must be a number of milliseconds/],
    [{ failAfter: 0 }, RangeError, /startSidecar: failAfter must be a whole number >= 1, got 0/],
    [{ recoverAfter: 1.5 }, RangeError, /startSidecar: recoverAfter must be a whole number >= 1, got 1.5/],
    [{ registerTtlMs: 1000, registerIntervalMs: 1000 }, RangeError, /startSidecar: registerIntervalMs \(1000\) must be below registerTtlMs \(1000\)/],
    [{ address: '127.0.0.1:8080' }, TypeError, /startSidecar: address needs a gateway factory/],
    [{ healthService: 1 }, TypeError, /startSidecar: healthService must be a string/],
    [{ metadata: { a: 1 } }, TypeError, /startSidecar: metadata.a must be a string/],
    [{ colour: 'red' }, TypeError, /startSidecar: unknown option "colour"/],
  ];
  for (const [patch, type, message] of cases) {
    it(`${JSON.stringify(patch)} → ${type.name}`, async () => {
      await assert.rejects(startSidecar({ ...base(), ...patch } as SidecarOptions), (err: Error) => err instanceof type && message.test(err.message));
    });
  }
});
