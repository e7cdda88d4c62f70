import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Cart, Order } from '@traceshop/contracts';
import { upstream } from './upstream';

/** The gateway's view of the cart service (carts and orders). */
@Injectable()
export class CartClient {
  private readonly base: string;
  private readonly timeoutMs: number;

  constructor(config: ConfigService) {
    this.base = config.getOrThrow<string>('CART_URL');
    this.timeoutMs = config.getOrThrow<number>('UPSTREAM_TIMEOUT_MS');
  }

  get(userId: string) {
    return this.call<Cart>('GET', `/carts/${enc(userId)}`);
  }

  setItem(userId: string, sku: string, quantity: number) {
    return this.call<Cart>('PUT', `/carts/${enc(userId)}/items/${enc(sku)}`, { quantity });
  }

  removeItem(userId: string, sku: string) {
    return this.call<Cart>('DELETE', `/carts/${enc(userId)}/items/${enc(sku)}`);
  }

  order(userId: string, orderId: string) {
    return this.call<Order>('GET', `/users/${enc(userId)}/orders/${enc(orderId)}`);
  }

  private call<T>(method: string, path: string, body?: unknown) {
    return upstream<T>({ service: 'cart', url: `${this.base}${path}`, method, body, timeoutMs: this.timeoutMs });
  }
}

const enc = encodeURIComponent;
