// Listens, and on close stops accepting, lets requests in flight finish (up to a grace period),
// then drops what is left.
import { createServer, type Server } from 'node:http';
import type { Express } from 'express';

export type RunningServer = { server: Server; port: number; url: string; close(): Promise<void> };

export async function listen(app: Express, port: number, host = '0.0.0.0', graceMs = 10_000): Promise<RunningServer> {
  const server = createServer(app);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  let closing: Promise<void> | undefined;
  return {
    server,
    port: actualPort,
    url: `http://127.0.0.1:${actualPort}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
