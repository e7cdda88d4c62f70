import { IsInt, Max, Min } from 'class-validator';

/** A cart line's quantity: the one wanted, not added to what is there (gateway and cart). */
export class CartItemDto {
  /** @example 2 */
  @IsInt()
  @Min(1)
  @Max(100)
  quantity!: number;
}
