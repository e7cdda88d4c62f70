import { BadRequestException, Body, Controller, Headers, HttpCode, Post, Res } from '@nestjs/common';
import type { ChargeLookup, ChargeResponse } from '@traceshop/contracts';
import type { Response } from 'express';
import { ChargeDto } from './charge.dto';
import { ChargesService, OverloadedException } from './charges.service';

/** Printable ASCII, like the keys real processors accept. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The processor's public API: as much as TraceShop needs. */
@Controller('charges')
export class ChargesController {
  constructor(private readonly charges: ChargesService) {}

  /**
   * 201 approved, 402 declined (a decline is an answer, not an error); the same key, the same
   * answer; 409 when a lookup voided the key first (nothing was charged); 503 with `Retry-After`
   * when the processor sheds load (scenario retry-storm).
   */
  @Post()
  async create(
    @Body() body: ChargeDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ChargeResponse> {
    try {
      const result = await this.charges.charge(checked(idempotencyKey), body);
      res.status(result.statusCode);
      return result.body;
    } catch (e) {
      // Shed to relieve an overload: the standard header says how long to stay away.
      if (e instanceof OverloadedException) res.setHeader('Retry-After', String(e.retryAfterSeconds));
      throw e;
    }
  }

  /** 200: what became of the charge with this key; an unknown key is voided (never charged, from now on). */
  @Post('lookup')
  @HttpCode(200)
  lookup(@Headers('idempotency-key') idempotencyKey: string | undefined): Promise<ChargeLookup> {
    return this.charges.lookup(checked(idempotencyKey));
  }
}

/** Without a key a retried request could charge twice, so the processor refuses it. */
function checked(idempotencyKey: string | undefined): string {
  if (!idempotencyKey || !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new BadRequestException('an Idempotency-Key header (1 to 255 printable characters) is required');
  }
  return idempotencyKey;
}
