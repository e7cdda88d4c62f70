import { BadRequestException, Body, Controller, Delete, Get, HttpCode, HttpException, Param, ParseUUIDPipe, Post, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CartItemDto, CredentialsDto } from '@traceshop/contracts';
import { CartContentsDto, OrderDto, ProductDto, SessionDto, UserDto } from './answers.dto';
import { AuthClient } from './auth.client';
import { AuthGuard, CurrentUser, User } from './auth.guard';
import { CartClient } from './cart.client';
import { isOpen } from './checkout-state';
import { CheckoutsRepository } from './checkouts.repository';
import { InventoryClient } from './inventory.client';
import { ApiErrors } from './openapi';
import { RateLimitGuard } from './rate-limit.guard';
import { RateLimits } from './rate-limits';
import { SKU } from './shop.dto';

/** The public API apart from checkout: each route is one call to one service. */
@Controller('api')
export class ShopController {
  constructor(
    private readonly auth: AuthClient,
    private readonly cart: CartClient,
    private readonly inventory: InventoryClient,
    private readonly checkouts: CheckoutsRepository,
  ) {}

  /** Create an account. */
  @Post('auth/register')
  @UseGuards(RateLimitGuard)
  @RateLimits(['register-address'])
  @ApiTags('auth')
  @ApiCreatedResponse({ type: UserDto })
  @ApiErrors(400, [409, 'the email is taken'], 429)
  register(@Body() body: CredentialsDto) {
    return this.auth.register(body);
  }

  /** A bearer token for the other routes. */
  @Post('auth/login')
  @HttpCode(200)
  @UseGuards(RateLimitGuard)
  @RateLimits(['login-address', 'login-account', 'login-lockout'])
  @ApiTags('auth')
  @ApiOkResponse({ type: SessionDto })
  @ApiErrors(400, [401, 'unknown email or wrong password (the same answer)'], 429)
  login(@Body() body: CredentialsDto) {
    return this.auth.login(body);
  }

  /** The catalogue, with what is in stock. */
  @Get('products')
  @ApiTags('shop')
  @ApiOkResponse({ type: [ProductDto] })
  products() {
    return this.inventory.products();
  }

  /** The caller's cart. */
  @Get('cart')
  @UseGuards(AuthGuard)
  @ApiTags('cart')
  @ApiBearerAuth()
  @ApiOkResponse({ type: CartContentsDto })
  @ApiErrors(401)
  getCart(@CurrentUser() user: User) {
    return this.cart.get(user.userId);
  }

  /** Puts `quantity` of a product in the cart (replacing what was there). */
  @Put('cart/items/:sku')
  @UseGuards(AuthGuard)
  @ApiTags('cart')
  @ApiBearerAuth()
  @ApiOkResponse({ type: CartContentsDto })
  @ApiErrors(400, 401, [404, 'no such product'])
  setItem(@CurrentUser() user: User, @Param('sku') sku: string, @Body() body: CartItemDto) {
    return this.cart.setItem(user.userId, checkSku(sku), body.quantity);
  }

  /** Takes a product out of the cart. */
  @Delete('cart/items/:sku')
  @UseGuards(AuthGuard)
  @ApiTags('cart')
  @ApiBearerAuth()
  @ApiOkResponse({ type: CartContentsDto })
  @ApiErrors(400, 401)
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
  @ApiTags('orders')
  @ApiOperation({ summary: "The order's state: paid, declined, failed (nothing charged) or pending" })
  @ApiBearerAuth()
  @ApiOkResponse({ type: OrderDto })
  @ApiErrors([400, 'the id is not a UUID'], 401, [404, "no such order, or another user's"])
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
