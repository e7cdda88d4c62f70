import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import type { IntrospectResponse, SessionView, UserView } from '@traceshop/contracts';
import { AuthService } from './auth.service';
import { CredentialsDto, IntrospectDto } from './credentials.dto';

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
  introspect(@Body() body: IntrospectDto): Promise<IntrospectResponse> {
    return this.auth.introspect(body.token);
  }
}
