import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface FakeRegistry {
  host: string;
  url: string;
  /** Requests received so far, in order (`METHOD /path`). */
  log: string[];
  stop(): Promise<void>;
}

export type FakeHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  log: string[],
) => void | Promise<void>;

/**
 * A real HTTP server on loopback that misbehaves on purpose, for what no real registry does on demand:
 * lying about digests, stalling, throttling, sending oversized bodies, redirecting in circles.
 */
export async function startFakeRegistry(handler: FakeHandler): Promise<FakeRegistry> {
  const log: string[] = [];
  const server = createServer((request, response) => {
    log.push(`${request.method} ${request.url}`);
    Promise.resolve(handler(request, response, log)).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500);
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('fake registry has no address');
  return {
    host: `127.0.0.1:${address.port}`,
    url: `http://127.0.0.1:${address.port}`,
    log,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
