/**
 * A TCP port on 127.0.0.1 that nothing listens on, for a server started next (tests, benches,
 * the launcher's internal ports).
 *
 * Picked at random below the kernel's ephemeral range and checked by binding it, not by binding
 * port 0: a port-0 pick is released before its server starts, and the kernel may hand the same
 * number to the next port-0 bind in between (seen in CI: the trigger harness's health server took
 * the port just picked for the GPU runtime). Ports below the ephemeral range are never handed out
 * that way. Rejects when no port can be bound.
 */
import fs from "node:fs";
import net from "node:net";

const LOWEST = 10_000;

/** The first port of the range the kernel picks port-0 binds from (Linux's default if unknown). */
function ephemeralStart(): number {
  try {
    const first = Number(
      fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0],
    );
    if (Number.isInteger(first) && first > 0) return first;
  } catch {
    // not Linux: macOS starts at 49152, above this default
  }
  return 32_768;
}

function bind(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(undefined));
    srv.listen(port, "127.0.0.1", () => {
      const { port: bound } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(bound));
    });
  });
}

export async function freePort(): Promise<number> {
  const top = ephemeralStart();
  if (top - LOWEST >= 1000)
    for (let i = 0; i < 50; i++) {
      const port = await bind(LOWEST + Math.floor(Math.random() * (top - LOWEST)));
      if (port !== undefined) return port;
    }
  const port = await bind(0);
  if (port === undefined) throw new Error("no free TCP port on 127.0.0.1");
  return port;
}
