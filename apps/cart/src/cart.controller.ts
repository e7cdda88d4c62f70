import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Put } from '@nestjs/common';
import { type Cart, CartItemDto, type Order } from '@traceshop/contracts';
import { CartService } from './cart.service';
import { OrdersService } from './orders.service';

/**
 * Internal API of cart; the gateway is its only caller and passes the user it authenticated.
 * User and order ids are uuids (from auth and the gateway); anything else is a 400.
 */
@Controller()
export class CartController {
  constructor(
    private readonly carts: CartService,
    private readonly orders: OrdersService,
  ) {}

  @Get('carts/:userId')
  get(@Param('userId', ParseUUIDPipe) userId: string): Promise<Cart> {
    return this.carts.get(userId);
  }

  @Put('carts/:userId/items/:sku')
  setItem(@Param('userId', ParseUUIDPipe) userId: string, @Param('sku') sku: string, @Body() body: CartItemDto): Promise<Cart> {
    return this.carts.setItem(userId, sku, body.quantity);
  }

  @Delete('carts/:userId/items/:sku')
  removeItem(@Param('userId', ParseUUIDPipe) userId: string, @Param('sku') sku: string): Promise<Cart> {
    return this.carts.removeItem(userId, sku);
  }

  @Delete('carts/:userId')
  @HttpCode(204)
  clear(@Param('userId', ParseUUIDPipe) userId: string): Promise<void> {
    return this.carts.clear(userId);
  }

  @Get('users/:userId/orders/:orderId')
  order(@Param('userId', ParseUUIDPipe) userId: string, @Param('orderId', ParseUUIDPipe) orderId: string): Promise<Order> {
    return this.orders.find(userId, orderId);
  }
}
