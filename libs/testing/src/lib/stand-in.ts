import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running stand-in: where it answers, and how to stop it (open connections, held answers too). */
export interface StandIn {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 standing in for another service (apps never import each
 * other): `handle` gets each request once its body has been read. A handler that never answers
 * plays a service that hangs; `close()` ends such requests too.
 */
export async function startStandIn(handle: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<StandIn> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk)).on('end', () => handle(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
