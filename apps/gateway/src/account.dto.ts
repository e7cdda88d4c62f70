import { IsString, MaxLength, MinLength } from 'class-validator';

/** POST /api/auth/password. The gateway checks shape; auth checks the current password. */
export class PasswordChangeDto {
  @IsString()
  @MaxLength(128)
  currentPassword!: string;

  @IsString()
  @MinLength(8)
  @MaxLength(128)
  newPassword!: string;
}
