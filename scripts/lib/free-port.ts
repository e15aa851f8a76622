/**
 * A TCP port on 127.0.0.1 that nothing listened on a moment ago (bound to port 0, read, closed),
 * for a server started next. Rejects when no port can be bound.
 */
import net from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
