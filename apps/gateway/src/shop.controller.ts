import { BadRequestException, Body, Controller, Delete, Get, HttpCode, HttpException, Param, ParseUUIDPipe, Post, Put, UseGuards } from '@nestjs/common';
import { AuthClient } from './auth.client';
import { AuthGuard, CurrentUser, User } from './auth.guard';
import { CartClient } from './cart.client';
import { isOpen } from './checkout-state';
import { CheckoutsRepository } from './checkouts.repository';
import { InventoryClient } from './inventory.client';
import { RateLimitGuard } from './rate-limit.guard';
import { RateLimits } from './rate-limits';
import { CartItemDto, CredentialsDto, SKU } from './shop.dto';

/** The public API apart from checkout: each route is one call to one service. */
@Controller('api')
export class ShopController {
  constructor(
    private readonly auth: AuthClient,
    private readonly cart: CartClient,
    private readonly inventory: InventoryClient,
    private readonly checkouts: CheckoutsRepository,
  ) {}

  @Post('auth/register')
  @UseGuards(RateLimitGuard)
  @RateLimits(['register-address'])
  register(@Body() body: CredentialsDto) {
    return this.auth.register(body);
  }

  @Post('auth/login')
  @HttpCode(200)
  @UseGuards(RateLimitGuard)
  @RateLimits(['login-address', 'login-account', 'login-lockout'])
  login(@Body() body: CredentialsDto) {
    return this.auth.login(body);
  }

  @Get('products')
  products() {
    return this.inventory.products();
  }

  @Get('cart')
  @UseGuards(AuthGuard)
  getCart(@CurrentUser() user: User) {
    return this.cart.get(user.userId);
  }

  @Put('cart/items/:sku')
  @UseGuards(AuthGuard)
  setItem(@CurrentUser() user: User, @Param('sku') sku: string, @Body() body: CartItemDto) {
    return this.cart.setItem(user.userId, checkSku(sku), body.quantity);
  }

  @Delete('cart/items/:sku')
  @UseGuards(AuthGuard)
  removeItem(@CurrentUser() user: User, @Param('sku') sku: string) {
    return this.cart.removeItem(user.userId, checkSku(sku));
  }

  /**
   * The order as cart recorded it. Until cart has (the payment outcome is not known yet, or the
   * order event is still on its way), the checkout's own record answers: `pending`, or the
   * outcome already settled. Another user's order is a 404, like a missing one: ids are not a
   * way to probe.
   */
  @Get('orders/:id')
  @UseGuards(AuthGuard)
  async order(@CurrentUser() user: User, @Param('id', new ParseUUIDPipe()) id: string) {
    try {
      return await this.cart.order(user.userId, id);
    } catch (e) {
      if (!(e instanceof HttpException && e.getStatus() === 404)) throw e;
      const checkout = await this.checkouts.find(id);
      if (!checkout || checkout.userId !== user.userId || checkout.state === 'rejected') throw e;
      const status = isOpen(checkout.state) ? 'pending' : checkout.state;
      return { orderId: id, userId: user.userId, status, items: checkout.items, totalCents: checkout.totalCents };
    }
  }
}

function checkSku(sku: string): string {
  if (!SKU.test(sku)) throw new BadRequestException('invalid sku');
  return sku;
}
