import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiTags } from '@nestjs/swagger';
import { PasswordChangeDto } from '@traceshop/contracts';
import { AuthClient } from './auth.client';
import { AuthGuard, BearerToken } from './auth.guard';
import { ApiErrors } from './openapi';
import { RateLimitGuard } from './rate-limit.guard';
import { RateLimits } from './rate-limits';

/**
 * The caller's own sessions and password. Sessions end at once: the next request with an ended
 * token is a 401, because every request's token is checked with auth (AuthGuard).
 */
@Controller('api/auth')
@UseGuards(AuthGuard)
@ApiTags('auth')
@ApiBearerAuth()
export class AccountController {
  constructor(private readonly auth: AuthClient) {}

  /** Ends this session. */
  @Post('logout')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'the session has ended: its token is refused from now on' })
  @ApiErrors(401)
  logout(@BearerToken() token: string) {
    return this.auth.logout(token);
  }

  /** Ends every session of the caller, this one included. */
  @Post('logout-everywhere')
  @HttpCode(204)
  @ApiNoContentResponse({ description: "every session of the caller has ended" })
  @ApiErrors(401)
  logoutEverywhere(@BearerToken() token: string) {
    return this.auth.logoutEverywhere(token);
  }

  /**
   * A new password; ends every session of the caller, this one included. A try of the current
   * password counts against the account's login limits: a stolen token is no way around them.
   */
  @Post('password')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'the password is changed and every session has ended: log in again' })
  @ApiErrors(400, 401, [403, 'the current password is wrong'], 429)
  @UseGuards(RateLimitGuard)
  @RateLimits(['login-account', 'login-lockout'])
  changePassword(@BearerToken() token: string, @Body() body: PasswordChangeDto) {
    return this.auth.changePassword(token, body);
  }
}
