import { createServer, request as httpRequest, type Server } from 'node:http';

/**
 * Distribution 2.8 (Debian's `docker-registry`) ignores `n` on `/tags/list` and always returns every
 * tag. This loopback front adds what the distribution spec describes — lexically ordered pages of at
 * most `n` tags (or `pageSize` when the client gives none), continued with `last=` and announced with
 * a `Link: <…>; rel="next"` header — and forwards every other request to the real registry untouched.
 */
export async function startTagPager(
  upstreamPort: number,
  pageSize: number,
): Promise<{ port: number; pagesServed(): number; stop(): Promise<void> }> {
  let pages = 0;
  const server: Server = createServer((incoming, outgoing) => {
    const url = new URL(incoming.url ?? '/', 'http://pager');
    const tagsList = /^\/v2\/(.+)\/tags\/list$/.exec(url.pathname);
    const upstreamPath = tagsList ? url.pathname : (incoming.url ?? '/');
    const forwarded = httpRequest(
      {
        host: '127.0.0.1',
        port: upstreamPort,
        method: incoming.method,
        path: upstreamPath,
        headers: incoming.headers,
      },
      (answer) => {
        if (!tagsList || answer.statusCode !== 200) {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            name: string;
            tags: string[] | null;
          };
          const all = [...(body.tags ?? [])].sort();
          const n = Math.min(Number(url.searchParams.get('n') ?? pageSize) || pageSize, pageSize);
          const last = url.searchParams.get('last');
          const start = last === null ? 0 : all.findIndex((tag) => tag > last);
          const page = start < 0 ? [] : all.slice(start, start + n);
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (start >= 0 && start + n < all.length) {
            headers.link = `</v2/${tagsList[1]}/tags/list?n=${n}&last=${encodeURIComponent(page[page.length - 1] as string)}>; rel="next"`;
          }
          pages++;
          outgoing.writeHead(200, headers).end(JSON.stringify({ name: body.name, tags: page }));
        });
      },
    );
    forwarded.on('error', (error) => {
      outgoing.writeHead(502).end(String(error));
    });
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    pagesServed: () => pages,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
