import { cancelled, deadlineExceeded, type KeelError } from '../errors';

/**
 * A caller that goes away this close to its deadline (or after it) is taken to have hit the deadline: the
 * caller's own deadline timer, started before the request crossed the network, fires first and resets the
 * stream a little before the server's timer would. Default 50 ms.
 */
export const DEADLINE_SLACK_MS = 50;

/**
 * Why a call's caller has gone, as the error its handler and `metrics()` see: DEADLINE_EXCEEDED / `deadline`
 * when its deadline had (about) passed, else CANCELLED / `cancelled`. `deadline` and `now`: epoch ms.
 */
export function callerGone(deadline: number | undefined, now = Date.now()): KeelError {
  return deadline !== undefined && deadline - now <= DEADLINE_SLACK_MS
    ? deadlineExceeded("the call's deadline passed")
    : cancelled('the caller cancelled the call');
}
