import { HttpException } from '@nestjs/common';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ServiceClient, type ServiceRequest } from './http-client';

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};
const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => resolve(raw));
  });

// A real HTTP server standing in for a service, answering by path.
describe('ServiceClient', () => {
  let server: Server;
  let base: string;
  let closedPort: string;

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      const reply = (status: number, body?: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body === undefined ? undefined : JSON.stringify(body));
      };
      if (req.url === '/ok') return reply(200, { fine: true });
      if (req.url === '/echo') {
        const body = await readBody(req);
        return reply(201, { method: req.method, contentType: req.headers['content-type'] ?? null, key: req.headers['idempotency-key'] ?? null, body });
      }
      if (req.url === '/empty') return reply(204);
      if (req.url === '/not-json') return res.writeHead(200, { 'content-type': 'text/html' }).end('<html>a proxy page</html>');
      if (req.url === '/declined') return reply(402, { status: 'declined', declineCode: 'card_declined' });
      if (req.url === '/conflict') return reply(409, { statusCode: 409, error: 'Conflict', message: 'insufficient stock for SKU-1' });
      if (req.url === '/forbidden') return reply(403);
      if (req.url === '/boom') return reply(500, { statusCode: 500, message: 'stack: at secret.ts:12' });
      if (req.url === '/busy') return res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '2' }).end('{"statusCode":503}');
      // The behaviour under test is the timeout: these two never finish answering.
      if (req.url === '/silent') return;
      if (req.url === '/stalls') return void res.writeHead(200, { 'content-type': 'application/json' }).write('{"half":');
    });
    base = await listen(server);
    // A port nothing listens on: opened, then closed again.
    const closed = createServer();
    closedPort = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const client = (timeoutMs = 1_000, baseUrl = base) => new ServiceClient({ service: 'inventory', baseUrl, timeoutMs });
  const failureOf = (p: Promise<unknown>) =>
    p.then(
      (value) => ({ resolved: value }),
      (e: HttpException) => ({ status: e.getStatus(), body: e.getResponse() }),
    );

  it('returns the JSON body of a 2xx, and nothing for a 204', async () => {
    await expect(client().call('/ok')).resolves.toEqual({ fine: true });
    await expect(client().call('/empty', { method: 'DELETE' })).resolves.toBeUndefined();
  });

  it('sends the method, a JSON body and extra headers', async () => {
    const echoed = await client().call('/echo', { method: 'POST', body: { quantity: 2 }, headers: { 'idempotency-key': 'order-1' } });
    expect(echoed).toEqual({ method: 'POST', contentType: 'application/json', key: 'order-1', body: '{"quantity":2}' });
    // A trailing slash on the base URL changes nothing.
    await expect(client(1_000, `${base}/`).call('/ok')).resolves.toEqual({ fine: true });
  });

  it('passes a 4xx on with its status and the JSON body: it is the client whose request was wrong', async () => {
    expect(await failureOf(client().call('/conflict'))).toEqual({
      status: 409,
      body: { statusCode: 409, error: 'Conflict', message: 'insufficient stock for SKU-1' },
    });
    expect(await failureOf(client().call('/forbidden'))).toEqual({ status: 403, body: { message: 'inventory refused the request' } });
  });

  it('turns a 5xx into 502 "<service> failed", without the service internals', async () => {
    const failed = await failureOf(client().call('/boom'));
    expect(failed).toEqual({ status: 502, body: { statusCode: 502, error: 'Bad Gateway', message: 'inventory failed' } });
    expect(JSON.stringify(failed)).not.toContain('secret.ts');
  });

  it('turns a 2xx it cannot read into 502 "<service> failed"', async () => {
    expect(await failureOf(client().call('/not-json'))).toMatchObject({ status: 502, body: { message: 'inventory failed' } });
  });

  it('turns a timeout into 504 "<service> did not answer in time", the body included', async () => {
    const started = Date.now();
    expect(await failureOf(client(200).call('/silent'))).toEqual({
      status: 504,
      body: { statusCode: 504, error: 'Gateway Timeout', message: 'inventory did not answer in time' },
    });
    // Headers sent, then nothing: the same 504, not a hang.
    expect(await failureOf(client(200).call('/stalls'))).toMatchObject({ status: 504, body: { message: 'inventory did not answer in time' } });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('turns a refused connection into 502 "<service> is unavailable", without the address', async () => {
    const refused = await failureOf(client(1_000, closedPort).call('/ok'));
    expect(refused).toEqual({ status: 502, body: { statusCode: 502, error: 'Bad Gateway', message: 'inventory is unavailable' } });
    expect(JSON.stringify(refused)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED/);
  });

  it('gives callers that take some statuses as answers the status and body, and the same mapping for the rest', async () => {
    const answer = async (path: string, request?: ServiceRequest) => {
      const { status, body } = await client().request(path, request);
      return { status, body };
    };
    expect(await answer('/declined', { method: 'POST', body: {} })).toEqual({ status: 402, body: { status: 'declined', declineCode: 'card_declined' } });
    expect(await answer('/boom')).toEqual({ status: 500, body: { statusCode: 500, message: 'stack: at secret.ts:12' } });
    expect(await answer('/not-json')).toEqual({ status: 200, body: undefined });
    // With the headers, for what a status alone does not say (when to come back after a 503).
    expect((await client().request('/busy')).headers?.get('retry-after')).toBe('2');

    const failed = client().failure(await client().request('/boom'));
    expect({ status: failed.getStatus(), message: failed.message }).toEqual({ status: 502, message: 'inventory failed' });
    expect(client().failure(await client().request('/conflict')).getStatus()).toBe(409);
    // No answer at all still throws: there is no status to hand back.
    expect(await failureOf(client(200).request('/silent'))).toMatchObject({ status: 504 });
    expect(await failureOf(client(1_000, closedPort).request('/ok'))).toMatchObject({ status: 502 });
  });
});
