import { PasswordChangeDto } from '@traceshop/contracts';
import { IsString, MaxLength } from 'class-validator';

/** Body of POST /introspect, /logout and /logout-everywhere. */
export class TokenDto {
  @IsString()
  @MaxLength(512)
  token!: string;
}

/** Body of POST /password: the gateway's password change, and the session's token. */
export class TokenPasswordChangeDto extends PasswordChangeDto {
  @IsString()
  @MaxLength(512)
  token!: string;
}
