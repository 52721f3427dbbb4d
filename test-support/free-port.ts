import net from 'node:net';

/** Asks the kernel for a free loopback port (bind to 0, read it, release it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Holds a free loopback port until `release()`, so nothing else can take it while a server
 * that must know its own port in advance (public origin, OIDC redirect) is being built.
 */
export async function reservePort(): Promise<{ port: number; release(): Promise<void> }> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = srv.address() as net.AddressInfo;
  return { port, release: () => new Promise<void>((resolve) => srv.close(() => resolve())) };
}
