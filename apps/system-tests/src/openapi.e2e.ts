import { jsonClient } from '@traceshop/testing';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gatewayUrl, newCustomer } from './shop';

interface Operation {
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, { examples?: Record<string, { value: unknown }> }> };
  responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, { schema?: { $ref?: string } }> }>;
}
type Document = { paths: Record<string, Record<string, Operation>> };

/**
 * The routes the running gateway serves, as Nest listed them when it mapped them at start-up
 * (RouterExplorer's "Mapped {/api/cart, GET} route" lines in its log): what the process serves,
 * not what anyone remembered to write down.
 */
function servedRoutes(): string[] {
  const log = readFileSync(join(process.env.TRACESHOP_LOG_DIR!, 'gateway.log'), 'utf8');
  return [...new Set([...log.matchAll(/Mapped \{(\/[^,]*), (\w+)\} route/g)].map((m) => `${m[2]} ${m[1]}`))].sort();
}

/** `GET /api/orders/:id` for each operation of the document (OpenAPI writes `{id}`). */
const routesOf = (document: Document) =>
  Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`));

describe('the OpenAPI document at /api/docs-json', () => {
  let document: Document;

  beforeAll(async () => {
    const res = await jsonClient(gatewayUrl()).get('/api/docs-json');
    expect(res.status).toBe(200);
    document = res.body;
  });

  it('documents every route the gateway serves', () => {
    const served = servedRoutes();
    expect(served).toEqual(expect.arrayContaining(['POST /api/checkout', 'GET /api/cart', 'GET /health/ready']));
    const documented = new Set(routesOf(document));
    expect(served.filter((route) => !documented.has(route))).toEqual([]);
  });

  it("says what every answer carries: the trace headers, and on /api the error body for every error but the declined checkout's", () => {
    for (const [path, ops] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(ops)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          const answer = `${method} ${path} ${status}`;
          expect({ answer, headers: Object.keys(response.headers ?? {}) }).toEqual({ answer, headers: expect.arrayContaining(['x-trace-id', 'traceresponse']) });
          // (/health/ready's 503 is the health check's own report.)
          if (path.startsWith('/api/') && Number(status) >= 400 && status !== '402') {
            expect({ answer, schema: response.content?.['application/json']?.schema?.$ref }).toEqual({ answer, schema: '#/components/schemas/ErrorBodyDto' });
          }
        }
      }
    }
  });

  it('asks for the bearer token exactly where the gateway refuses a request without one', async () => {
    const anonymous = jsonClient(gatewayUrl());
    const checked: string[] = [];
    for (const [path, ops] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(ops)) {
        const bearer = (operation.security ?? []).some((s) => 'bearer' in s);
        // An anonymous request to a rate-limited route (register, log in) would count against its limit.
        if (!bearer && '429' in operation.responses) continue;
        // Path parameters filled with well-formed values: the token is checked first.
        const url = path.replace('{sku}', 'SKU-TEE-001').replace('{id}', randomUUID());
        const status = (await anonymous.request(method.toUpperCase(), url, ['post', 'put'].includes(method) ? {} : undefined)).status;
        checked.push(`${method.toUpperCase()} ${path}`);
        expect({ route: `${method} ${path}`, refused: status === 401 }).toEqual({ route: `${method} ${path}`, refused: bearer });
      }
    }
    expect(checked).toEqual(expect.arrayContaining(['POST /api/checkout', 'GET /api/products']));
  });

  it("its example checkout, sent as written after logging in and filling a cart, is paid", async () => {
    const { api } = await newCustomer();
    expect((await api.put('/api/cart/items/SKU-TEE-001', { quantity: 2 })).status).toBe(200);
    const example = document.paths['/api/checkout'].post.requestBody!.content['application/json'].examples!.approved.value;

    const res = await api.post('/api/checkout', example);

    expect({ status: res.status, body: res.body }).toEqual({ status: 201, body: { orderId: expect.any(String), status: 'paid', totalCents: 5000 } });
    expect(res.headers.get('x-trace-id')).toMatch(/^[0-9a-f]{32}$/);
    expect(res.headers.get('traceresponse')).toMatch(new RegExp(`^00-${res.headers.get('x-trace-id')}-[0-9a-f]{16}-0[01]$`));
  });

  it('is served as Swagger UI at /api/docs', async () => {
    const res = await jsonClient(gatewayUrl()).get('/api/docs');
    expect(res.status).toBe(200);
    expect(res.body).toContain('swagger-ui');
  });
});
