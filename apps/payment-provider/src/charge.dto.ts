import type { ChargeRequest } from '@traceshop/contracts';
import { IsInt, IsPositive, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateBy } from 'class-validator';
import { isExpired, passesLuhn } from './card';

// Messages name the field, never its value: a card number must not end up in a 400 body or a log.
const PassesLuhn = () =>
  ValidateBy({
    name: 'passesLuhn',
    validator: { validate: (v) => typeof v === 'string' && passesLuhn(v), defaultMessage: () => 'cardNumber is not a valid card number' },
  });

const NotExpired = () =>
  ValidateBy({
    name: 'notExpired',
    validator: {
      validate: (year, args) => typeof year === 'number' && !isExpired((args?.object as ChargeDto).expMonth, year),
      defaultMessage: () => 'the card has expired',
    },
  });

/** Body of POST /charges, shaped like a card processor's sandbox API. */
export class ChargeDto implements ChargeRequest {
  @IsInt()
  @IsPositive()
  amountCents!: number;

  @Matches(/^[A-Z]{3}$/, { message: 'currency must be a 3-letter ISO 4217 code' })
  currency!: string;

  @Matches(/^\d{12,19}$/, { message: 'cardNumber must be 12 to 19 digits' })
  @PassesLuhn()
  cardNumber!: string;

  @IsInt()
  @Min(1)
  @Max(12)
  expMonth!: number;

  @IsInt()
  @NotExpired()
  expYear!: number;

  @Matches(/^\d{3,4}$/, { message: 'cvc must be 3 or 4 digits' })
  cvc!: string;

  /** The merchant's own reference (payment sends the order id). */
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  reference!: string;
}
