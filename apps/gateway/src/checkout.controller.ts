import { BadRequestException, Body, Controller, Headers, Post, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { AuthGuard, CurrentUser, User } from './auth.guard';
import { CheckoutService } from './checkout.service';
import { RateLimitGuard } from './rate-limit.guard';
import { RateLimits } from './rate-limits';
import { CheckoutDto, IDEMPOTENCY_KEY } from './shop.dto';

@Controller('api/checkout')
@UseGuards(AuthGuard)
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
  async create(
    @CurrentUser() user: User,
    @Body() body: CheckoutDto,
    @Res({ passthrough: true }) res: Response,
    @Headers('idempotency-key') idempotencyKey?: string,
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
