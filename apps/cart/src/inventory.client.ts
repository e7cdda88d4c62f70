import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Product } from '@traceshop/contracts';
import { ServiceClient } from '@traceshop/platform';

/** Injection token of the cart's view of the inventory service. */
export const INVENTORY_CLIENT = Symbol('INVENTORY_CLIENT');

/** What the cart needs from inventory: the current price of a product. */
export interface InventoryClient {
  product(sku: string): Promise<Product>;
}

/**
 * Inventory's GET /products/:sku, so inventory's work joins the cart's trace. Its 404 (`unknown
 * sku <sku>`) reaches the cart's client as it is; a failing inventory is a 502, a silent one a 504
 * after INVENTORY_TIMEOUT_MS (ServiceClient's one mapping).
 */
@Injectable()
export class HttpInventoryClient implements InventoryClient {
  private readonly inventory: ServiceClient;

  constructor(config: ConfigService) {
    this.inventory = new ServiceClient({ service: 'inventory', baseUrl: config.getOrThrow<string>('INVENTORY_URL'), timeoutMs: config.getOrThrow<number>('INVENTORY_TIMEOUT_MS') });
  }

  product(sku: string): Promise<Product> {
    return this.inventory.call<Product>(`/products/${encodeURIComponent(sku)}`);
  }
}
