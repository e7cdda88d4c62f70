import { BadGatewayException, GatewayTimeoutException, HttpException } from '@nestjs/common';

/** One call from the gateway to one of our services. */
export interface UpstreamCall {
  service: string;
  url: string;
  method?: string;
  body?: unknown;
  timeoutMs: number;
}

/**
 * Calls a service with fetch (the undici instrumentation makes the client span and injects
 * `traceparent`). A 4xx from the service is the client's fault and is passed on as it is; a 5xx,
 * a timeout or a refused connection is ours and becomes 502/504 without internal details.
 */
export async function upstream<T>({ service, url, method = 'GET', body, timeoutMs }: UpstreamCall): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    if ((e as Error).name === 'TimeoutError') throw new GatewayTimeoutException(`${service} did not answer in time`);
    throw new BadGatewayException(`${service} is unavailable`);
  }
  const payload = res.status === 204 ? undefined : await res.json().catch(() => undefined);
  if (res.ok) return payload as T;
  if (res.status < 500) throw new HttpException(payload ?? { message: res.statusText }, res.status);
  throw new BadGatewayException(`${service} failed`);
}
