// Preload (`node --import ./no-network.mjs`) that makes every non-loopback connection throw, so that a
// child process such as `bin/vouch` can prove it needs no network. Attempts are reported on stderr.
import dns from 'node:dns';
import net from 'node:net';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '::ffff:127.0.0.1']);

function refuse(host) {
  process.stderr.write(`no-network: blocked connection to ${host}\n`);
  throw new Error(`network access is blocked here (attempted ${host})`);
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (first !== null && typeof first === 'object') {
    if (first.path === undefined && !LOOPBACK.has(first.host ?? 'localhost')) refuse(first.host);
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    const host = typeof args[1] === 'string' ? args[1] : 'localhost';
    if (!LOOPBACK.has(host)) refuse(host);
  }
  return connect.apply(this, args);
};

const lookup = dns.lookup;
dns.lookup = function (hostname, ...rest) {
  if (!LOOPBACK.has(hostname)) refuse(hostname);
  return lookup.call(this, hostname, ...rest);
};
