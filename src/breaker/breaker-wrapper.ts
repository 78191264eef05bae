import type { Wrapper } from '../call/contract';
import type { CircuitState } from './circuit';

/** What `breaker()` returns: the wrapper, and its circuits for reports (`resilienceMetrics` reads them). */
export interface BreakerWrapper extends Wrapper {
  /** Every circuit's state and window counts now. */
  circuits(): Array<{ service: string; method?: string; node?: string; state: CircuitState; requests: number; failures: number;
    /** Transitions into each state since the circuit was created. */
    entered: Readonly<Record<CircuitState, number>> }>;
}
