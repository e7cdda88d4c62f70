import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Cart, Order } from '@traceshop/contracts';
import { ServiceClient } from '@traceshop/platform';

/** The gateway's view of the cart service (carts and orders). */
@Injectable()
export class CartClient {
  private readonly cart: ServiceClient;

  constructor(config: ConfigService) {
    this.cart = new ServiceClient({ service: 'cart', baseUrl: config.getOrThrow<string>('CART_URL'), timeoutMs: config.getOrThrow<number>('UPSTREAM_TIMEOUT_MS') });
  }

  get(userId: string) {
    return this.cart.call<Cart>(`/carts/${enc(userId)}`);
  }

  setItem(userId: string, sku: string, quantity: number) {
    return this.cart.call<Cart>(`/carts/${enc(userId)}/items/${enc(sku)}`, { method: 'PUT', body: { quantity } });
  }

  removeItem(userId: string, sku: string) {
    return this.cart.call<Cart>(`/carts/${enc(userId)}/items/${enc(sku)}`, { method: 'DELETE' });
  }

  order(userId: string, orderId: string) {
    return this.cart.call<Order>(`/users/${enc(userId)}/orders/${enc(orderId)}`);
  }
}

const enc = encodeURIComponent;
