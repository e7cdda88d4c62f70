import { Transform } from 'class-transformer';
import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';

/** Body of register and login. */
export class CredentialsDto {
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @IsString()
  @MinLength(8)
  @MaxLength(128)
  password!: string;
}

/** Body of POST /introspect, /logout and /logout-everywhere. */
export class TokenDto {
  @IsString()
  @MaxLength(512)
  token!: string;
}

/** Body of POST /password: the session's token, the password it was made with, the new one. */
export class PasswordChangeDto extends TokenDto {
  @IsString()
  @MaxLength(128)
  currentPassword!: string;

  @IsString()
  @MinLength(8)
  @MaxLength(128)
  newPassword!: string;
}
