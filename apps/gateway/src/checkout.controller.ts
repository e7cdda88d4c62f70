import { BadRequestException, Body, Controller, Headers, Post, Res, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CheckoutResultDto } from './answers.dto';
import { AuthGuard, CurrentUser, User } from './auth.guard';
import { CheckoutService } from './checkout.service';
import { ApiErrors } from './openapi';
import { RateLimitGuard } from './rate-limit.guard';
import { RateLimits } from './rate-limits';
import { CheckoutDto, IDEMPOTENCY_KEY } from './shop.dto';

/** The document's example checkouts: the test cards of payment-provider. */
const CARD = { cardNumber: '4242424242424242', expMonth: 12, expYear: 2035, cvc: '123' };

@Controller('api/checkout')
@UseGuards(AuthGuard)
@ApiTags('checkout')
@ApiBearerAuth()
export class CheckoutController {
  constructor(private readonly checkout: CheckoutService) {}

  /**
   * 201 paid, 402 declined, 202 pending (the payment outcome is not known yet: `Location` says
   * where to ask); each is replayed, or continued, for the same Idempotency-Key.
   */
  @Post()
  // After AuthGuard (the class's): the limit counts per user.
  @UseGuards(RateLimitGuard)
  @RateLimits(['checkout-user'])
  @ApiOperation({ summary: 'Pays for the cart: reserves the stock, charges the card, records the order' })
  @ApiBody({
    type: CheckoutDto,
    examples: {
      approved: { summary: 'an approved card', value: { payment: CARD } },
      declined: { summary: 'a declined card (402)', value: { payment: { ...CARD, cardNumber: '4000000000000002' } } },
    },
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Retry with the same key to continue the same checkout (never a second charge); 1 to 128 printable characters',
    schema: { type: 'string', pattern: IDEMPOTENCY_KEY.source, maxLength: 128 },
  })
  @ApiCreatedResponse({ type: CheckoutResultDto, description: 'paid' })
  @ApiAcceptedResponse({
    type: CheckoutResultDto,
    description: 'pending: the payment outcome is not known yet; GET the Location, or retry with the same Idempotency-Key',
    headers: { Location: { description: '/api/orders/<orderId>', schema: { type: 'string' } } },
  })
  @ApiResponse({ status: 402, type: CheckoutResultDto, description: 'declined' })
  @ApiErrors(
    [400, 'invalid card data, a bad Idempotency-Key, or an empty cart'],
    401,
    [409, "out of stock, or this Idempotency-Key's checkout is in progress"],
    429,
    [502, 'nothing was charged (start a new checkout), or a service failed'],
    [503, 'RabbitMQ is down: nothing happened'],
    504,
  )
  async create(
    @CurrentUser() user: User,
    @Body() body: CheckoutDto,
    @Res({ passthrough: true }) res: Response,
    @Headers('Idempotency-Key') idempotencyKey?: string,
  ) {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new BadRequestException('Idempotency-Key must be 1 to 128 printable characters');
    }
    const result = await this.checkout.checkout(user, body.payment, idempotencyKey);
    res.status(result.status);
    if (result.location) res.location(result.location);
    return result.body;
  }
}
