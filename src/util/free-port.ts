// A TCP port on loopback that nothing listens on now, for a child process told which port to
// take (a server started with PORT=…, nginx, PostgreSQL): the kernel picks it, then it is let go.
import { createServer } from 'node:net';

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('the kernel gave no port'))));
    });
  });
}
