import { BadGatewayException, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Product } from '@traceshop/contracts';

/** Injection token of the cart's view of the inventory service. */
export const INVENTORY_CLIENT = Symbol('INVENTORY_CLIENT');

/** What the cart needs from inventory: the current price of a product. */
export interface InventoryClient {
  product(sku: string): Promise<Product>;
}

/**
 * Inventory over HTTP with fetch: the undici instrumentation makes the client span and injects
 * `traceparent`, so inventory's GET /products/:sku joins the cart's trace.
 */
@Injectable()
export class HttpInventoryClient implements InventoryClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(config: ConfigService) {
    this.baseUrl = config.getOrThrow<string>('INVENTORY_URL');
    this.timeoutMs = config.getOrThrow<number>('INVENTORY_TIMEOUT_MS');
  }

  async product(sku: string): Promise<Product> {
    let res: Response;
    let body: unknown;
    try {
      // The timeout covers the whole exchange, body included: a slow inventory never hangs a cart request.
      res = await fetch(`${this.baseUrl}/products/${encodeURIComponent(sku)}`, { signal: AbortSignal.timeout(this.timeoutMs) });
      body = await res.json().catch(() => undefined);
    } catch {
      throw new ServiceUnavailableException('inventory is unavailable');
    }
    if (res.status === 404) throw new NotFoundException(`unknown sku ${sku}`);
    // Anything else unexpected is inventory's failure, not the caller's: 502, without its details.
    if (!res.ok || !body) throw new BadGatewayException(`inventory answered ${res.status}`);
    return body as Product;
  }
}
