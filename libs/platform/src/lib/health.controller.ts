import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { AmqpService } from '@traceshop/messaging';
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import { PG_POOL } from './postgres.module';
import { REDIS } from './redis.module';

/**
 * `/health/live`: the process answers. `/health/ready`: every dependency this service uses
 * answers too (whichever of Postgres, Redis and RabbitMQ the app module provides).
 * Health requests are neither traced nor logged.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    @Optional() @Inject(PG_POOL) private readonly pool?: Pool,
    @Optional() @Inject(REDIS) private readonly redis?: Redis,
    @Optional() private readonly amqp?: AmqpService,
  ) {}

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    const checks = [];
    if (this.pool) checks.push(() => this.probe('postgres', () => this.pool!.query('SELECT 1')));
    if (this.redis) checks.push(() => this.probe('redis', () => this.redis!.ping()));
    if (this.amqp) checks.push(() => this.probe('rabbitmq', async () => this.amqp!.isConnected() || Promise.reject(new Error('disconnected'))));
    return this.health.check(checks);
  }

  private async probe(name: string, check: () => Promise<unknown>) {
    const result = this.indicator.check(name);
    try {
      await check();
      return result.up();
    } catch (e) {
      return result.down({ message: (e as Error).message });
    }
  }
}
