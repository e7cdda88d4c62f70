import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { HealthModule, LoggingModule, PostgresModule, RedisModule, validateWith } from '@traceshop/platform';
import { join } from 'node:path';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { configSchema } from './config';
import { SessionsStore } from './sessions.store';
import { UsersRepository } from './users.repository';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: validateWith(configSchema) }),
    LoggingModule,
    // Users live in Postgres (schema "auth"), sessions in Redis.
    PostgresModule.forRoot({ schema: 'auth', migrationsDir: join(__dirname, 'migrations') }),
    RedisModule,
    HealthModule,
  ],
  controllers: [AuthController],
  providers: [AuthService, UsersRepository, SessionsStore],
})
export class AppModule {}
