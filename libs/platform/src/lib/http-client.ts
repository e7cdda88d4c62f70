import { BadGatewayException, GatewayTimeoutException, HttpException } from '@nestjs/common';
import { context, createContextKey } from '@opentelemetry/api';

/**
 * The service a call goes to, in the call's context: the telemetry preload's undici hook puts it
 * on the client span as `peer.service` (libs/telemetry, the key of the same name there).
 */
const PEER_SERVICE = createContextKey('traceshop.peer.service');

/** Which service, where, and how long one call to it may take. */
export interface ServiceClientOptions {
  /** The service's name as the messages say it: `inventory did not answer in time`. */
  service: string;
  /** Where it answers; each call appends its path. */
  baseUrl: string;
  /** How long one call may take, the answer's body included. */
  timeoutMs: number;
}

/** One request: the method (GET unless given), a body sent as JSON, extra headers. */
export interface ServiceRequest {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** The service's answer, whatever its status; `body` is its JSON, or undefined when it sent none. */
export interface ServiceAnswer {
  status: number;
  body: unknown;
  /** Its response headers (e.g. `Retry-After` on a 503). */
  headers?: Headers;
}

/**
 * The one way a TraceShop service calls another over HTTP, with one mapping of failures to
 * statuses. Global fetch, so the undici instrumentation makes the client span and injects
 * `traceparent`: the other service's work joins the caller's trace. The span says whom it calls
 * (`peer.service` = `service`), also when no answer came.
 *
 * | what happened | `call()` throws |
 * | --- | --- |
 * | a 4xx | HttpException with that status and the service's JSON body: the request was wrong, and the caller's client is told why |
 * | a 5xx, or a 2xx without JSON | 502 `<service> failed` |
 * | no answer within `timeoutMs` | 504 `<service> did not answer in time` |
 * | refused, unreachable, the connection cut | 502 `<service> is unavailable` |
 *
 * Never the other service's internals (its 5xx body, host names, error codes): those are its
 * logs' business. A caller to whom some statuses are answers (the card processor's 402 decline)
 * uses `request()` and hands what it does not expect to `failure()`.
 */
export class ServiceClient {
  private readonly baseUrl: string;

  constructor(private readonly options: ServiceClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/$/, '');
  }

  /** The JSON body of a 2xx (undefined for a 204); anything else throws, mapped as above. */
  async call<T>(path: string, request?: ServiceRequest): Promise<T> {
    const answer = await this.request(path, request);
    if (answer.status === 204 || (answer.status >= 200 && answer.status < 300 && answer.body !== undefined)) return answer.body as T;
    throw this.failure(answer);
  }

  /**
   * Any answer, as status and body, for callers that treat some non-2xx statuses as answers.
   * Throws only when there is no answer: 504 for a timeout, 502 when the service is unavailable.
   */
  async request(path: string, { method = 'GET', body, headers }: ServiceRequest = {}): Promise<ServiceAnswer> {
    const { service, timeoutMs } = this.options;
    try {
      // The signal covers the whole exchange, body included: a service that sends its headers and
      // then stalls does not hang the caller either.
      const res = await context.with(context.active().setValue(PEER_SERVICE, service), () =>
        fetch(`${this.baseUrl}${path}`, {
          method,
          headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        }),
      );
      return { status: res.status, body: parseJson(await res.text()), headers: res.headers };
    } catch (e) {
      if ((e as Error).name === 'TimeoutError') throw new GatewayTimeoutException(`${service} did not answer in time`);
      throw new BadGatewayException(`${service} is unavailable`);
    }
  }

  /** The exception for an answer the caller cannot use: a 4xx passed on, anything else 502. */
  failure({ status, body }: ServiceAnswer): HttpException {
    if (status >= 400 && status < 500) return new HttpException(body ?? { message: `${this.options.service} refused the request` }, status);
    return new BadGatewayException(`${this.options.service} failed`);
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
