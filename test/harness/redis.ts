import { rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { freePort, type ManagedProcess, startProcess, tempDir, waitFor } from './processes.js';

export interface TestRedis {
  url: string;
  port: number;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/** Starts `redis-server` on a free loopback port with persistence off. */
export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const dir = await tempDir('redis');
  const process = startProcess('redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--daemonize',
    'no',
    '--protected-mode',
    'yes',
  ]);
  await waitFor(
    'redis-server',
    () => ping(port),
    10_000,
    () => process.output(),
  );
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    process,
    async stop() {
      await process.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('error', () => resolve(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
  });
}
