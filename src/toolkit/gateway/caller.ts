import type { DynamicCallerOptions } from '../dynamic/types';
import type { GatewayCaller } from './options';

/** The gateway's default caller. Until the DynamicCaller lands, a caller must be given. */
export function defaultCaller(_options: DynamicCallerOptions): GatewayCaller {
  throw new TypeError('createGateway: caller is required until the DynamicCaller is available');
}
