import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { ErrorBody } from '@traceshop/contracts';
import { isTransient } from '@traceshop/messaging';
import type { Response } from 'express';
import type { Observable } from 'rxjs';
import { MessageErrorFilter } from './message-error.filter';

/**
 * The one place where errors become HTTP responses: always JSON `{statusCode, error, message}`,
 * never a stack trace. Errors from body parsing (malformed JSON, too large) are client errors.
 * Anything unexpected is a 500 whose details go to the log and the span, not to the client.
 * The message handlers of a hybrid app share the app's global filter (the transport is connected
 * with the app's config, so its pipes and filters are in place when its handlers are made):
 * there, MessageErrorFilter's rule applies.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpErrorFilter.name);
  private readonly messages = new MessageErrorFilter();

  catch(exception: unknown, host: ArgumentsHost): void | Observable<never> {
    if (host.getType() === 'rpc') return this.messages.catch(exception);
    const response = host.switchToHttp().getResponse<Response>();
    const body = toErrorBody(exception);
    if (body.statusCode >= 500) {
      const span = trace.getActiveSpan();
      if (exception instanceof Error) span?.recordException(exception);
      span?.setStatus({ code: SpanStatusCode.ERROR, message: String(body.message) });
      this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    }
    response.status(body.statusCode).json(body);
  }
}

export function toErrorBody(exception: unknown): ErrorBody {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const res = exception.getResponse();
    const message = typeof res === 'string' ? res : ((res as { message?: string | string[] }).message ?? exception.message);
    return { statusCode: status, error: reason(status), message };
  }
  // body-parser errors carry their HTTP status (400 malformed, 413 too large, 415 charset).
  const status = (exception as { status?: unknown })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const message = status === 400 ? 'malformed request body' : String((exception as Error).message);
    return { statusCode: status, error: reason(status), message };
  }
  // Postgres or Redis restarting, a connection cut: not a bug, and over soon. Said so, without details.
  if (isTransient(exception)) return { statusCode: 503, error: reason(503), message: 'a database is unavailable; try again shortly' };
  return { statusCode: 500, error: reason(500), message: 'internal error' };
}

function reason(status: number): string {
  const name = HttpStatus[status] ?? 'ERROR';
  return name
    .toLowerCase()
    .split('_')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join(' ');
}
