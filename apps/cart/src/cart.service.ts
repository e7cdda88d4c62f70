import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Cart, CartItem } from '@traceshop/contracts';
import { CartStore } from './cart.store';
import { INVENTORY_CLIENT, type InventoryClient } from './inventory.client';

@Injectable()
export class CartService {
  constructor(
    private readonly store: CartStore,
    @Inject(INVENTORY_CLIENT) private readonly inventory: InventoryClient,
    private readonly config: ConfigService,
  ) {}

  async get(userId: string): Promise<Cart> {
    return toCart(await this.store.items(userId));
  }

  /** Sets an item's quantity. The price is inventory's at this moment and stays with the item. */
  async setItem(userId: string, sku: string, quantity: number): Promise<Cart> {
    const product = await this.inventory.product(sku);
    await this.store.put(userId, { sku, quantity, unitPriceCents: product.priceCents }, this.config.getOrThrow<number>('CART_TTL_SECONDS'));
    return this.get(userId);
  }

  /** Removing an item that is not there is not an error: DELETE is idempotent. */
  async removeItem(userId: string, sku: string): Promise<Cart> {
    await this.store.remove(userId, sku);
    return this.get(userId);
  }

  clear(userId: string): Promise<void> {
    return this.store.clear(userId);
  }

  /** What a paid order took out of the cart; lines changed since the checkout stay. */
  removeOrdered(userId: string, items: CartItem[]): Promise<void> {
    return this.store.removeOrdered(userId, items);
  }
}

function toCart(items: CartItem[]): Cart {
  return { items, totalCents: items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0) };
}
