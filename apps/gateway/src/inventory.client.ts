import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Product, Reservation, ReservationRequest } from '@traceshop/contracts';
import { ServiceClient } from '@traceshop/platform';

/** The gateway's view of the inventory service (catalogue and stock reservations). */
@Injectable()
export class InventoryClient {
  private readonly inventory: ServiceClient;

  constructor(config: ConfigService) {
    this.inventory = new ServiceClient({ service: 'inventory', baseUrl: config.getOrThrow<string>('INVENTORY_URL'), timeoutMs: config.getOrThrow<number>('UPSTREAM_TIMEOUT_MS') });
  }

  products() {
    return this.inventory.call<Product[]>('/products');
  }

  reserve(body: ReservationRequest) {
    return this.inventory.call<Reservation>('/reservations', { method: 'POST', body });
  }
}
