// class-transformer's @Type reads design types through reflect-metadata, which must be loaded first.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import { ArrayMinSize, IsIn, IsInt, IsNotEmptyObject, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { CardDto } from './card.dto';
import type { CartItem, OrderStatus } from './http';
import type { OrderEvent, PaymentRequest } from './messaging';

// The messages on RabbitMQ as classes: the consumer's `@Payload()` is validated against them by
// the same ValidationPipe as HTTP bodies (unknown fields refused). Messages name fields, never
// values: a card number must not reach a log or a dead-letter reason.

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

/** One line of an order, at the price the user saw. */
export class OrderItemDto implements CartItem {
  @IsString()
  @MaxLength(64)
  sku!: string;

  @IsInt()
  @Min(1)
  quantity!: number;

  @IsInt()
  @Min(0)
  unitPriceCents!: number;
}

/** An event of the ORDERS_EXCHANGE (order.confirmed, order.declined). */
export class OrderEventDto implements OrderEvent {
  @IsUUID()
  orderId!: string;

  @IsUUID()
  userId!: string;

  @IsOptional()
  @IsUUID()
  reservationId?: string;

  @IsIn(['paid', 'declined', 'failed'])
  status!: OrderStatus;

  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => OrderItemDto)
  items!: OrderItemDto[];

  @IsInt()
  @Min(0)
  totalCents!: number;
}
