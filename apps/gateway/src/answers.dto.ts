import { ApiProperty } from '@nestjs/swagger';
import type { Cart, CartItem, ErrorBody, Order, OrderStatus, Product, SessionView, UserView } from '@traceshop/contracts';

// The gateway's answers as classes, for the OpenAPI document only: the build's @nestjs/swagger
// plugin turns their fields and doc comments into schemas (the shapes are libs/contracts'
// interfaces, which the classes implement so the two cannot drift apart).

/** 201 of POST /api/auth/register */
export class UserDto implements UserView {
  /** @example "0b8e4f5e-6a5c-4c57-9d0e-3f1f2b6a7c11" */
  id!: string;
  /** @example "demo@traceshop.local" */
  email!: string;
}

/** 200 of POST /api/auth/login: send `Authorization: Bearer <accessToken>` */
export class SessionDto implements SessionView {
  accessToken!: string;
  tokenType!: 'Bearer';
  /** Seconds until the token expires. @example 3600 */
  expiresIn!: number;
}

export class ProductDto implements Product {
  /** @example "SKU-TEE-001" */
  sku!: string;
  /** @example "Trace Tee" */
  name!: string;
  /** @example 2500 */
  priceCents!: number;
  /** @example "EUR" */
  currency!: string;
  /** Units in stock and not reserved. @example 10000 */
  available!: number;
}

export class CartLineDto implements CartItem {
  /** @example "SKU-TEE-001" */
  sku!: string;
  /** @example 2 */
  quantity!: number;
  /** @example 2500 */
  unitPriceCents!: number;
}

export class CartContentsDto implements Cart {
  items!: CartLineDto[];
  /** @example 5000 */
  totalCents!: number;
}

/** The checkout's answer: 201 paid, 402 declined, 202 pending (`Location` says where to ask). */
export class CheckoutResultDto {
  /** @example "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f" */
  orderId!: string;
  status!: 'paid' | 'declined' | 'pending';
  /** With `paid`. @example 5000 */
  totalCents?: number;
  /** With `pending`: what to do next. */
  message?: string;
}

/** `failed`: the payment could not be made and nothing was charged; `pending`: not known yet. */
export class OrderDto implements Omit<Order, 'status'> {
  orderId!: string;
  userId!: string;
  status!: OrderStatus | 'pending';
  items!: CartLineDto[];
  /** @example 5000 */
  totalCents!: number;
}

/** Every error of every service. */
export class ErrorBodyDto implements ErrorBody {
  /** @example 400 */
  statusCode!: number;
  /** @example "Bad Request" */
  error!: string;
  /** One message, or one per invalid field. @example ["quantity must not be greater than 100"] */
  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] })
  message!: string | string[];
}
