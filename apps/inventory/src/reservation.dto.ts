import type { ReservationRequest } from '@traceshop/contracts';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsString, IsUUID, Length, Max, Min, ValidateNested } from 'class-validator';

/** One line of a reservation. */
export class ReservationItemDto {
  @IsString()
  @Length(1, 64)
  sku!: string;

  @IsInt()
  @Min(1)
  @Max(100)
  quantity!: number;
}

/** Body of POST /reservations. */
export class ReservationDto implements ReservationRequest {
  /** The idempotency key: one reservation per order, however often it is sent. */
  @IsUUID()
  orderId!: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => ReservationItemDto)
  items!: ReservationItemDto[];
}
