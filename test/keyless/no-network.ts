import dns from 'node:dns';
import net from 'node:net';
import { Agent, type Dispatcher, getGlobalDispatcher, setGlobalDispatcher } from 'undici';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '::ffff:127.0.0.1']);

/**
 * Makes every non-loopback connection in this process throw — raw sockets (and so http, https, tls),
 * DNS lookups, and fetch's global dispatcher — and records each attempt. Returns the record and a
 * function that puts everything back.
 */
export function blockNetwork(): { attempts: string[]; restore: () => void } {
  const attempts: string[] = [];
  const refuse = (host: unknown): never => {
    attempts.push(String(host));
    throw new Error(`network access is blocked in this test (attempted ${String(host)})`);
  };

  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
    if (first !== null && typeof first === 'object') {
      const options = first as { host?: string; path?: string };
      if (options.path === undefined && !LOOPBACK.has(options.host ?? 'localhost')) refuse(options.host);
    } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
      const host = typeof args[1] === 'string' ? args[1] : 'localhost';
      if (!LOOPBACK.has(host)) refuse(host);
    }
    return (connect as (...parameters: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;

  const lookup = dns.lookup;
  const patchedLookup = function (this: unknown, hostname: string, ...rest: unknown[]) {
    if (!LOOPBACK.has(hostname)) refuse(hostname);
    return (lookup as (...parameters: unknown[]) => unknown).call(this, hostname, ...rest);
  };
  (dns as { lookup: unknown }).lookup = patchedLookup;

  const dispatcher: Dispatcher = getGlobalDispatcher();
  setGlobalDispatcher(
    new Agent({
      connect: (options, callback) => {
        if (!LOOPBACK.has(options.hostname)) {
          attempts.push(options.hostname);
          callback(new Error(`network access is blocked in this test (attempted ${options.hostname})`), null);
          return;
        }
        const socket = net.connect({ host: options.hostname, port: Number(options.port) });
        socket.once('connect', () => callback(null, socket));
        socket.once('error', (error) => callback(error, null));
      },
    }),
  );

  return {
    attempts,
    restore: () => {
      net.Socket.prototype.connect = connect;
      (dns as { lookup: unknown }).lookup = lookup;
      setGlobalDispatcher(dispatcher);
    },
  };
}
