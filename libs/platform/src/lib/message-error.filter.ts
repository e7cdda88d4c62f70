import { BadRequestException, Catch, RpcExceptionFilter } from '@nestjs/common';
import { Observable, throwError } from 'rxjs';

/**
 * The error filter of message handlers. Nest's own turns an exception into a plain
 * `{status: 'error', message}` object, losing what it was; this one hands the exception itself to
 * the transport, so AmqpService can record it on the consumer's span and tell an outage of a
 * dependency (an error code: wait, then try again) from a bug (a few tries, then the dead-letter
 * queue). A payload the ValidationPipe refused becomes an error that names the fields (never
 * their values), so the log and the span say why. (The app's HttpErrorFilter applies it to
 * message handlers.)
 */
@Catch()
export class MessageErrorFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    if (exception instanceof BadRequestException) {
      const response = exception.getResponse();
      const message = typeof response === 'string' ? response : (response as { message?: string | string[] }).message;
      return throwError(() => new Error(`invalid message: ${[message ?? exception.message].flat().join('; ')}`));
    }
    return throwError(() => exception);
  }
}
