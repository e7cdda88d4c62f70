import { HttpException } from '@nestjs/common';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { upstream } from './upstream';

// A real HTTP server standing in for a service, answering by path.
describe('upstream', () => {
  let server: Server;
  let base: string;
  const pendingTimers: NodeJS.Timeout[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const reply = (status: number, body?: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body === undefined ? undefined : JSON.stringify(body));
      };
      if (req.url === '/ok') return reply(200, { fine: true });
      if (req.url === '/conflict') return reply(409, { statusCode: 409, error: 'Conflict', message: 'insufficient stock for SKU-1' });
      if (req.url === '/boom') return reply(500, { statusCode: 500, message: 'stack: at secret.ts:12' });
      if (req.url === '/slow') pendingTimers.push(setTimeout(() => reply(200, {}), 2_000)); // the behaviour under test is the timeout
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    pendingTimers.forEach(clearTimeout);
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const call = (path: string, timeoutMs = 1_000) => upstream({ service: 'inventory', url: `${base}${path}`, timeoutMs });
  const statusOf = (p: Promise<unknown>) => p.then(() => 200, (e: HttpException) => ({ status: e.getStatus(), body: e.getResponse() }));

  it('returns the JSON body of a 2xx', async () => {
    await expect(call('/ok')).resolves.toEqual({ fine: true });
  });

  it('passes a 4xx on unchanged: it is the client whose request was wrong', async () => {
    expect(await statusOf(call('/conflict'))).toEqual({
      status: 409,
      body: { statusCode: 409, error: 'Conflict', message: 'insufficient stock for SKU-1' },
    });
  });

  it('turns a 5xx into a 502 without the service internals', async () => {
    const r = (await statusOf(call('/boom'))) as { status: number; body: unknown };
    expect(r.status).toBe(502);
    expect(JSON.stringify(r.body)).not.toContain('secret.ts');
  });

  it('turns a timeout into a 504 and a refused connection into a 502', async () => {
    expect(((await statusOf(call('/slow', 200))) as { status: number }).status).toBe(504);
    const refused = upstream({ service: 'cart', url: 'http://127.0.0.1:1/nothing', timeoutMs: 1_000 });
    expect(((await statusOf(refused)) as { status: number }).status).toBe(502);
  });
});
