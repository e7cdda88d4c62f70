import { CardDto, PaymentRequest } from '@traceshop/contracts';
import { Type } from 'class-transformer';
import { IsInt, IsNotEmptyObject, IsUUID, Matches, Max, Min, ValidateNested } from 'class-validator';

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
