import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Product, Reservation, ReservationRequest } from '@traceshop/contracts';
import { upstream } from './upstream';

/** The gateway's view of the inventory service (catalogue and stock reservations). */
@Injectable()
export class InventoryClient {
  private readonly base: string;
  private readonly timeoutMs: number;

  constructor(config: ConfigService) {
    this.base = config.getOrThrow<string>('INVENTORY_URL');
    this.timeoutMs = config.getOrThrow<number>('UPSTREAM_TIMEOUT_MS');
  }

  products() {
    return upstream<Product[]>({ service: 'inventory', url: `${this.base}/products`, timeoutMs: this.timeoutMs });
  }

  reserve(body: ReservationRequest) {
    return upstream<Reservation>({ service: 'inventory', url: `${this.base}/reservations`, method: 'POST', body, timeoutMs: this.timeoutMs });
  }
}
