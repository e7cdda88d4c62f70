import { BadRequestException, Body, Controller, Headers, Post, Res } from '@nestjs/common';
import type { ChargeResponse } from '@traceshop/contracts';
import type { Response } from 'express';
import { ChargeDto } from './charge.dto';
import { ChargesService } from './charges.service';

/** Printable ASCII, like the keys real processors accept. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The processor's public API: one endpoint, as much as TraceShop needs. */
@Controller('charges')
export class ChargesController {
  constructor(private readonly charges: ChargesService) {}

  /** 201 approved, 402 declined (a decline is an answer, not an error); the same key, the same answer. */
  @Post()
  async create(
    @Body() body: ChargeDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ChargeResponse> {
    // Without a key a retried request could charge twice, so the processor refuses it.
    if (!idempotencyKey || !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new BadRequestException('an Idempotency-Key header (1 to 255 printable characters) is required');
    }
    const result = await this.charges.charge(idempotencyKey, body);
    res.status(result.statusCode);
    return result.body;
  }
}
