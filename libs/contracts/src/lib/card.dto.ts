import { IsInt, Matches, Max, Min } from 'class-validator';

/**
 * The card data of a checkout, checked where it enters (the gateway's POST /api/checkout) and
 * again where it is used (payment's PAYMENT_REQUESTS_QUEUE consumer): one class for both sides.
 * Messages name the field, never its value: a card number must not reach a 400 body or a log.
 * (payment-provider stands in for another company and keeps its own rules.) The doc comments'
 * examples are the gateway's OpenAPI document's (its build's @nestjs/swagger plugin reads them).
 */
export class CardDto {
  /** @example "4242424242424242" */
  @Matches(/^\d{12,19}$/, { message: 'cardNumber must be 12 to 19 digits' })
  cardNumber!: string;

  /** @example 12 */
  @IsInt()
  @Min(1)
  @Max(12)
  expMonth!: number;

  /** @example 2035 */
  @IsInt()
  @Min(2000)
  @Max(2100)
  expYear!: number;

  /** @example "123" */
  @Matches(/^\d{3,4}$/, { message: 'cvc must be 3 or 4 digits' })
  cvc!: string;
}
