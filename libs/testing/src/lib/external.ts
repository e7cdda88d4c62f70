import { ServiceName } from '@traceshop/contracts';
import { ALL_APPS } from './stack';

/** A stack someone else started (e.g. `docker compose up`): only its URLs; stop() does nothing. */
export interface ExternalStack {
  runId: 'external';
  gatewayUrl: string;
  jaegerUrl: string;
  /** The services whose TRACESHOP_<SERVICE>_URL is set (e.g. TRACESHOP_PAYMENT_PROVIDER_URL). */
  urls: Partial<Record<ServiceName, string>>;
  stop(): Promise<void>;
}

/**
 * The running stack named by the environment, or undefined when TRACESHOP_GATEWAY_URL is not
 * set. TRACESHOP_JAEGER_URL defaults to http://127.0.0.1:16686.
 */
export function stackFromEnv(env: NodeJS.ProcessEnv = process.env): ExternalStack | undefined {
  const gatewayUrl = env.TRACESHOP_GATEWAY_URL;
  if (!gatewayUrl) return undefined;
  const urls: Partial<Record<ServiceName, string>> = {};
  for (const app of ALL_APPS) {
    const url = env[`TRACESHOP_${app.toUpperCase().replace(/-/g, '_')}_URL`];
    if (url) urls[app] = url;
  }
  return { runId: 'external', gatewayUrl, jaegerUrl: env.TRACESHOP_JAEGER_URL || 'http://127.0.0.1:16686', urls, stop: async () => undefined };
}
