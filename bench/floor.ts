import { Agent, type IncomingMessage, request } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** A response callback that reads the whole body, with nothing else done to it. */
function readWhole(
  resolve: (answer: { status: number; body: Buffer }) => void,
  reject: (error: Error) => void,
): (res: IncomingMessage) => void {
  return (res) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    res.on('error', reject);
  };
}

/**
 * The floor every latency figure is compared with: the same HTTP requests made by a bare keep-alive
 * client (node:http with a keep-alive agent), with no parsing, hashing or bookkeeping beyond reading
 * the body.
 */
export class BareClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });

  constructor(private readonly base: string) {}

  send(
    method: 'GET' | 'HEAD',
    path: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.base}${path}`,
        { method, headers, agent: this.agent },
        readWhole(resolve, reject),
      );
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * Sends JSON over HTTPS the way the floor's client sends registry requests (node:https, keep-alive):
 * the cold admission is timed through a client as lean as the floor's, so that neither side carries a
 * heavier client's cost.
 */
export class JsonPoster {
  private readonly agent: HttpsAgent;
  private readonly url: URL;

  constructor(
    base: string,
    private readonly tls: { ca: string; servername: string },
  ) {
    this.url = new URL(base);
    this.agent = new HttpsAgent({ keepAlive: true, ca: tls.ca, servername: tls.servername });
  }

  post(path: string, body: string): Promise<{ status: number; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          hostname: this.url.hostname,
          port: this.url.port,
          path,
          method: 'POST',
          agent: this.agent,
          servername: this.tls.servername,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        readWhole(resolve, reject),
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
