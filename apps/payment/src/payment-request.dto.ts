import type { PaymentRequest } from '@traceshop/contracts';
import { Type } from 'class-transformer';
import { IsInt, IsNotEmptyObject, IsUUID, Matches, Max, Min, ValidateNested } from 'class-validator';

// Messages name the field, never its value: an invalid request is logged and put on its span.
export class CardDto {
  @Matches(/^\d{12,19}$/, { message: 'card.cardNumber must be 12 to 19 digits' })
  cardNumber!: string;

  @IsInt()
  @Min(1)
  @Max(12)
  expMonth!: number;

  @IsInt()
  @Min(2000)
  @Max(2100)
  expYear!: number;

  @Matches(/^\d{3,4}$/, { message: 'card.cvc must be 3 or 4 digits' })
  cvc!: string;
}

/** A message of PAYMENT_REQUESTS_QUEUE, checked before anything is stored. */
export class PaymentRequestDto implements PaymentRequest {
  @IsUUID()
  orderId!: string;

  @IsUUID()
  userId!: string;

  /** Positive and within the column's integer range. */
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  amountCents!: number;

  @Matches(/^[A-Z]{3}$/, { message: 'currency must be a 3-letter ISO 4217 code' })
  currency!: string;

  @IsNotEmptyObject()
  @ValidateNested()
  @Type(() => CardDto)
  card!: CardDto;
}
