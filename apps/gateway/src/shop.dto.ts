import { CardDto } from '@traceshop/contracts';
import { Type } from 'class-transformer';
import { IsNotEmptyObject, ValidateNested } from 'class-validator';

/** POST /api/checkout */
export class CheckoutDto {
  /** 4242424242424242 is approved, 4000000000000002 declined. */
  @IsNotEmptyObject()
  @ValidateNested()
  @Type(() => CardDto)
  payment!: CardDto;
}

/** SKUs are short codes; anything else never reaches a service. */
export const SKU = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;
/** Idempotency keys: printable ASCII, at most 128 characters. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;
