import { CardDto } from '@traceshop/contracts';
import { Type } from 'class-transformer';
import { IsEmail, IsInt, IsNotEmptyObject, IsString, Max, MaxLength, Min, MinLength, ValidateNested } from 'class-validator';

/** POST /api/auth/register and /api/auth/login. The gateway checks shape; auth checks the rest. */
export class CredentialsDto {
  /** @example "demo@traceshop.local" */
  @IsEmail()
  @MaxLength(254)
  email!: string;

  /** @example "traceshop-demo" */
  @IsString()
  @MinLength(8)
  @MaxLength(128)
  password!: string;
}

/** PUT /api/cart/items/:sku */
export class CartItemDto {
  /** @example 2 */
  @IsInt()
  @Min(1)
  @Max(100)
  quantity!: number;
}

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
