import { currentInbound, runInbound, type InboundCall } from '../../src/inbound';
import { inherit } from '../../src/client/inherit';
import { nsPerOp } from '../shared/time-loop';

/**
 * The client's share of inheritance alone, in ns per call, without grpc-js or the network: what a call made
 * outside any handler pays (one `getStore()` on a store never entered), and what one made inside a handler
 * adds (the store read, the deadline taken, the inbound signal taken; or two signals joined and unjoined).
 *   node dist/bench/inherit/micro.js
 * Run in this order on purpose: the first row is measured before any store is entered in the process.
 */
export function micro(ms = 300): Array<{ name: string; ns: number }> {
  const rows: Array<{ name: string; ns: number }> = [];
  rows.push({ name: 'outside a handler: getStore()', ns: nsPerOp((n) => {
    let found = 0;
    for (let i = 0; i < n; i++) if (currentInbound() !== undefined) found++;
    return found;
  }, ms) });
  const controller = new AbortController();
  const inbound: InboundCall = { deadline: Date.now() + 60_000, signal: controller.signal };
  const own = new AbortController().signal;
  const later = Date.now() + 5000; // the call's own deadline: computed by every call anyway, not part of this
  runInbound(inbound, () => {
    rows.push({ name: 'inside: getStore() + inherit (deadline, inbound signal)', ns: nsPerOp((n) => {
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const from = currentInbound();
        if (from !== undefined) sum += inherit(later, undefined, from).deadline as number;
      }
      return sum;
    }, ms) });
    rows.push({ name: 'inside, with its own signal: join + release', ns: nsPerOp((n) => {
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const from = currentInbound();
        if (from === undefined) continue;
        const joined = inherit(later, own, from);
        joined.release?.();
        sum += joined.deadline as number;
      }
      return sum;
    }, ms, 5_000_000, 1000) });
  });
  return rows;
}

if (require.main === module) {
  for (const r of micro()) console.log(`${process.version}\t${r.ns.toFixed(1)} ns\t${r.name}`);
}
