import { BadRequestException, ConflictException, PayloadTooLargeException } from '@nestjs/common';
import { BrokerUnavailableError } from '@traceshop/messaging';
import { toErrorBody } from './http-error.filter';

describe('toErrorBody', () => {
  it('keeps the status and message of an HttpException', () => {
    expect(toErrorBody(new ConflictException('insufficient stock for SKU-1'))).toEqual({
      statusCode: 409,
      error: 'Conflict',
      message: 'insufficient stock for SKU-1',
    });
    expect(toErrorBody(new BadRequestException(['quantity must not be less than 1']))).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: ['quantity must not be less than 1'],
    });
    expect(toErrorBody(new PayloadTooLargeException()).statusCode).toBe(413);
  });

  it('answers 503 while RabbitMQ is unavailable (nothing was sent: the client may try again)', () => {
    expect(toErrorBody(new BrokerUnavailableError())).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'RabbitMQ is unavailable',
    });
  });

  it('answers 503 while a database is restarting, without its details', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(toErrorBody(refused)).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'a database is unavailable; try again shortly' });
    expect(toErrorBody(new Error('something else broke')).statusCode).toBe(500);
  });

  it('treats body-parser errors as client errors', () => {
    const tooLarge = Object.assign(new Error('request entity too large'), { status: 413, type: 'entity.too.large' });
    expect(toErrorBody(tooLarge)).toEqual({ statusCode: 413, error: 'Payload Too Large', message: 'request entity too large' });
  });

  it('hides everything about an unexpected error', () => {
    const body = toErrorBody(new Error('connect ECONNREFUSED 10.0.0.7:5432 at Pool.connect (pool.js:45)'));
    expect(body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'internal error' });
  });
});
