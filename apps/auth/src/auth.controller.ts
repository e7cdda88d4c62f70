import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CredentialsDto, type IntrospectResponse, type SessionView, type UserView } from '@traceshop/contracts';
import { AuthService } from './auth.service';
import { TokenDto, TokenPasswordChangeDto } from './credentials.dto';

/** Internal API of auth; the gateway is its only caller. */
@Controller()
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('users')
  register(@Body() body: CredentialsDto): Promise<UserView> {
    return this.auth.register(body.email, body.password);
  }

  @Post('sessions')
  @HttpCode(200)
  login(@Body() body: CredentialsDto): Promise<SessionView> {
    return this.auth.login(body.email, body.password);
  }

  @Post('introspect')
  @HttpCode(200)
  introspect(@Body() body: TokenDto): Promise<IntrospectResponse> {
    return this.auth.introspect(body.token);
  }

  @Post('logout')
  @HttpCode(204)
  logout(@Body() body: TokenDto): Promise<void> {
    return this.auth.logout(body.token);
  }

  @Post('logout-everywhere')
  @HttpCode(204)
  logoutEverywhere(@Body() body: TokenDto): Promise<void> {
    return this.auth.logoutEverywhere(body.token);
  }

  @Post('password')
  @HttpCode(204)
  changePassword(@Body() body: TokenPasswordChangeDto): Promise<void> {
    return this.auth.changePassword(body.token, body.currentPassword, body.newPassword);
  }
}
