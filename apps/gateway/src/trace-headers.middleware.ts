import { Injectable, NestMiddleware } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import type { NextFunction, Request, Response } from 'express';

/**
 * Tells the caller which trace its request made: the W3C Trace Context `traceresponse` header
 * (`00-<trace-id>-<span-id>-<flags>`) and a plain `x-trace-id`, so a person or k6 can open the
 * trace in Jaeger directly. Set before the handler runs, so errors carry them too.
 */
@Injectable()
export class TraceHeadersMiddleware implements NestMiddleware {
  use(_req: Request, res: Response, next: NextFunction): void {
    const span = trace.getActiveSpan();
    if (span) {
      const { traceId, spanId, traceFlags } = span.spanContext();
      res.setHeader('traceresponse', `00-${traceId}-${spanId}-0${traceFlags.toString(16)}`);
      res.setHeader('x-trace-id', traceId);
    }
    next();
  }
}
