import { trace } from '@opentelemetry/api';
import { inSpan } from '@traceshop/platform';

const tracer = trace.getTracer('payment');

/** A call the breaker did not make: the dependency is known to be down. Nothing was sent. */
export class CircuitOpenError extends Error {}

export interface CircuitBreakerOptions {
  /** The dependency, for messages and span attributes. */
  name: string;
  /** Failures in a row that open the circuit. */
  failuresToOpen: number;
  /** While open, how often one probe asks whether the dependency is back. */
  probeEveryMs: number;
  /** A cheap real call to the dependency; resolves when it answered. */
  probe: () => Promise<unknown>;
}

/**
 * A circuit breaker (Nygard's, as opossum and resilience4j have it), in the few lines payment
 * needs: closed, it counts failures in a row; at `failuresToOpen` it opens, and every call fails
 * at once with CircuitOpenError instead of waiting for the dependency's timeout. While open, a
 * probe every `probeEveryMs` (never a customer's call, so no checkout pays for the test) asks
 * whether the dependency answers again; the first probe that gets an answer closes it.
 *
 * In the trace: `traceshop.circuit.state` on the span of every call, a `circuit_breaker.open`
 * event on the span whose failure opened it, each probe a trace of its own
 * (`circuit_breaker.probe`), and `circuit_breaker.closed` on the probe that closed it.
 */
export class CircuitBreaker {
  private failures = 0;
  private probing?: NodeJS.Timeout;

  constructor(private readonly options: CircuitBreakerOptions) {}

  get state(): 'closed' | 'open' {
    return this.probing ? 'open' : 'closed';
  }

  async call<T>(fn: () => Promise<T>): Promise<T> {
    const span = trace.getActiveSpan();
    span?.setAttribute('traceshop.circuit.state', this.state);
    if (this.probing) throw new CircuitOpenError(`${this.options.name} is unreachable (circuit open after ${this.options.failuresToOpen} failures in a row): not called`);
    try {
      const result = await fn();
      this.failures = 0;
      return result;
    } catch (e) {
      if (++this.failures >= this.options.failuresToOpen && !this.probing) {
        span?.addEvent('circuit_breaker.open', { 'traceshop.circuit.name': this.options.name, 'traceshop.circuit.failures': this.failures });
        this.probing = setInterval(() => void this.probe(), this.options.probeEveryMs).unref();
      }
      throw e;
    }
  }

  /** One probe at a time: a probe that waits for a timeout delays the next one. */
  private inFlight = false;

  private async probe(): Promise<void> {
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      await inSpan(tracer, 'circuit_breaker.probe', { root: true, attributes: { 'traceshop.circuit.name': this.options.name } }, async (span) => {
        await this.options.probe();
        span.addEvent('circuit_breaker.closed', { 'traceshop.circuit.name': this.options.name });
      });
      clearInterval(this.probing);
      this.probing = undefined;
      this.failures = 0;
    } catch {
      // Still down: the circuit stays open until a later probe gets an answer.
    } finally {
      this.inFlight = false;
    }
  }
}
