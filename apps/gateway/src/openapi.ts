import { applyDecorators } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ApiResponse, DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ErrorBodyDto } from './answers.dto';

/** What an error status means at the gateway, unless a route says more. */
const ERRORS: Record<number, string> = {
  400: 'invalid input: the message names the field (never its value)',
  401: 'no bearer token, or not an active one (POST /api/auth/login gives one)',
  404: 'not found',
  409: 'conflict',
  429: 'over a rate limit: try again after Retry-After seconds',
  502: 'a service behind the gateway failed',
  503: 'a dependency is unavailable; try again shortly',
  504: 'a service behind the gateway did not answer in time',
};

/**
 * The error answers of a route, each the `{statusCode, error, message}` body every service
 * returns: a status, or `[status, what it means here]`.
 */
export function ApiErrors(...errors: (number | [number, string])[]) {
  return applyDecorators(
    ...errors.map((e) => {
      const [status, description] = typeof e === 'number' ? [e, ERRORS[e]] : e;
      const headers = status === 429 ? { 'Retry-After': { description: 'seconds until the request would be let through', schema: { type: 'integer' } } } : undefined;
      return ApiResponse({ status, description, type: ErrorBodyDto, headers });
    }),
  );
}

/**
 * The OpenAPI document of the gateway's routes, built from the controllers (the build's
 * @nestjs/swagger plugin adds the bodies' schemas), served as Swagger UI at /api/docs and as
 * JSON at /api/docs-json.
 */
export function setupOpenApi(app: NestExpressApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('TraceShop')
    .setDescription(
      'The shop behind the gateway. Every answer carries the trace it made: `x-trace-id` (open it in Jaeger, or `npm run trace -- <id>`) and W3C `traceresponse`. ' +
        'Log in (the demo user is demo@traceshop.local / traceshop-demo), *Authorize* with the access token, fill the cart, check out.',
    )
    .addBearerAuth()
    .build();
  const document = withTraceHeaders(SwaggerModule.createDocument(app, config));
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json', customSiteTitle: 'TraceShop API' });
  return document;
}

/** Every answer carries the trace headers (TraceHeadersMiddleware): said once here, not on each route. */
function withTraceHeaders(document: OpenAPIObject): OpenAPIObject {
  const headers = {
    'x-trace-id': { description: 'the trace this request made (32 hex digits)', schema: { type: 'string', pattern: '^[0-9a-f]{32}$' } },
    traceresponse: { description: 'W3C Trace Context: 00-<trace-id>-<span-id>-<flags>', schema: { type: 'string' } },
  };
  for (const path of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      for (const response of Object.values(path[method]?.responses ?? {}) as { headers?: object }[]) {
        response.headers = { ...response.headers, ...headers };
      }
    }
  }
  return document;
}
