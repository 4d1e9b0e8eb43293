/**
 * A pass-through proxy in front of the real registry that adds what Debian's distribution 2.8 lacks:
 * tag-list pagination. distribution 2.8 ignores `n` and `last` on `GET /v2/<name>/tags/list` and
 * always answers every tag at once (pagination arrived in distribution v3). This proxy answers tag
 * lists the way the distribution spec (and distribution v3) pages them — lexical order, at most `n`
 * tags after `last`, a `Link: <…>; rel="next"` header while more remain — from the real registry's
 * complete list. Every other request goes to the real registry unchanged.
 */
import type { IncomingMessage } from 'node:http';
import { type FakeRegistry, startFakeRegistry } from '../../harness/index.js';

const FORWARDED_REQUEST_HEADERS = ['accept', 'authorization', 'content-type'];
const FORWARDED_RESPONSE_HEADERS = [
  'content-type',
  'docker-content-digest',
  'docker-distribution-api-version',
  'www-authenticate',
  'location',
];

async function body(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startPagingProxy(upstream: string): Promise<FakeRegistry & { tagPages: number }> {
  let tagPages = 0;
  const proxy = await startFakeRegistry(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://proxy');
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const tagList = /^\/v2\/(.+)\/tags\/list$/.exec(url.pathname);
    if (request.method === 'GET' && tagList) {
      const answer = await fetch(`${upstream}${url.pathname}`, { headers });
      const text = await answer.text();
      if (answer.status !== 200) {
        response
          .writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' })
          .end(text);
        return;
      }
      const all = ((JSON.parse(text) as { tags?: string[] }).tags ?? []).sort();
      const last = url.searchParams.get('last');
      const n = Number(url.searchParams.get('n') ?? all.length);
      const after = last === null ? all : all.filter((tag) => tag > last);
      const page = after.slice(0, n);
      const out: Record<string, string> = { 'content-type': 'application/json' };
      if (after.length > page.length)
        out.link = `</v2/${tagList[1]}/tags/list?n=${n}&last=${encodeURIComponent(page.at(-1) as string)}>; rel="next"`;
      tagPages++;
      response.writeHead(200, out).end(JSON.stringify({ name: tagList[1], tags: page }));
      return;
    }
    const payload = request.method === 'GET' || request.method === 'HEAD' ? undefined : await body(request);
    const answer = await fetch(`${upstream}${url.pathname}${url.search}`, {
      method: request.method ?? 'GET',
      headers,
      ...(payload && { body: payload }),
      redirect: 'manual',
    });
    const out: Record<string, string> = {};
    for (const name of FORWARDED_RESPONSE_HEADERS) {
      const value = answer.headers.get(name);
      if (value !== null) out[name] = value;
    }
    const data = Buffer.from(await answer.arrayBuffer());
    const length = answer.headers.get('content-length');
    if (request.method === 'HEAD' && length !== null) out['content-length'] = length;
    response.writeHead(answer.status, out).end(request.method === 'HEAD' ? undefined : data);
  });
  return Object.defineProperty(proxy, 'tagPages', { get: () => tagPages }) as FakeRegistry & {
    tagPages: number;
  };
}
