import { BadRequestException, Body, Controller, Headers, HttpCode, Post, Res } from '@nestjs/common';
import { SCENARIOS, type ChargeLookup, type ChargeResponse } from '@traceshop/contracts';
import { Flags } from '@traceshop/platform';
import type { Response } from 'express';
import { once } from 'node:events';
import { ChargeDto } from './charge.dto';
import { ChargesService, OverloadedException } from './charges.service';

/** What a server span records for a request whose caller hung up before any answer (nginx's code). */
const CLIENT_CLOSED_REQUEST = 499;

/** Printable ASCII, like the keys real processors accept. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The processor's public API: as much as TraceShop needs. */
@Controller('charges')
export class ChargesController {
  constructor(
    private readonly charges: ChargesService,
    private readonly flags: Flags,
  ) {}

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
  ): Promise<ChargeResponse | undefined> {
    if (await this.unreachable(res)) return undefined;
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
  async lookup(@Headers('idempotency-key') idempotencyKey: string | undefined, @Res({ passthrough: true }) res: Response): Promise<ChargeLookup | undefined> {
    if (await this.unreachable(res)) return undefined;
    return this.charges.lookup(checked(idempotencyKey));
  }

  /**
   * Scenario provider-unreachable: the processor's address has become a black hole (a dead
   * load balancer, a firewall that drops packets): the request is taken and never answered, and
   * the caller learns nothing until its own timeout. Held until the caller hangs up; nothing is
   * ever sent. In the trace: payment's `POST` client span runs to PROVIDER_TIMEOUT_MS and ends in
   * an error; this server span ends with it, status 499 (nginx's "client closed request": the
   * caller gave up before an answer; the span would otherwise say 200, Node's default).
   */
  private async unreachable(res: Response): Promise<boolean> {
    if (!(await this.flags.isOn(SCENARIOS.providerUnreachable))) return false;
    res.status(CLIENT_CLOSED_REQUEST);
    if (!res.req.socket.destroyed) await once(res.req.socket, 'close');
    return true;
  }
}

/** Without a key a retried request could charge twice, so the processor refuses it. */
function checked(idempotencyKey: string | undefined): string {
  if (!idempotencyKey || !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new BadRequestException('an Idempotency-Key header (1 to 255 printable characters) is required');
  }
  return idempotencyKey;
}
