import { Transform } from 'class-transformer';
import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';

/**
 * Register and login: the gateway's public body and auth's, one class. An email is compared
 * trimmed and in lower case everywhere (auth's users, the gateway's per-account rate limits).
 */
export class CredentialsDto {
  /** @example "demo@traceshop.local" */
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsEmail()
  @MaxLength(254)
  email!: string;

  /** @example "traceshop-demo" */
  @IsString()
  @MinLength(8)
  @MaxLength(128)
  password!: string;
}

/** A password change: the gateway's body (auth's adds the session's token). */
export class PasswordChangeDto {
  @IsString()
  @MaxLength(128)
  currentPassword!: string;

  @IsString()
  @MinLength(8)
  @MaxLength(128)
  newPassword!: string;
}
