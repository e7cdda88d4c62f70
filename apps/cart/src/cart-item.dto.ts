import { IsInt, Max, Min } from 'class-validator';

/** Body of PUT /carts/:userId/items/:sku: the quantity wanted (not added to what is there). */
export class CartItemDto {
  @IsInt()
  @Min(1)
  @Max(100)
  quantity!: number;
}
