// A TCP proxy between one process and nats-server, so a test can cut that
// process off the bus while it keeps running, then heal the cut. The
// process connects to the proxy's port instead of the server's.
//
// Two kinds of cut, as a network fails:
//   reset  every live connection is destroyed and new ones are closed as
//          soon as they are accepted: the client sees its connection drop
//          at once and keeps trying to reconnect (a refused reconnect).
//   hold   connections stay open but no byte moves either way (the
//          sockets are paused, so nothing is lost): neither the client nor
//          the server notices until a ping times out, and requests routed
//          to the process simply get no answer. heal() lets the held bytes
//          through, as a partition that ends before TCP gives up.
import { connect, createServer, type Server, type Socket } from "node:net";

export type CutMode = "reset" | "hold";

export interface TcpProxy {
  /** The port the process under test connects to. */
  port: number;
  /** nats://127.0.0.1:<port>. */
  url: string;
  /** The cut in force, or undefined while traffic flows. */
  readonly cutMode: CutMode | undefined;
  cut(mode?: CutMode): void;
  heal(): void;
  /** Client connections open through the proxy now. */
  connections(): number;
  /** Client connections accepted since the proxy started (reconnects count). */
  accepted(): number;
  stop(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
}

export async function startTcpProxy(target: { host?: string; port: number }): Promise<TcpProxy> {
  const host = target.host ?? "127.0.0.1";
  const pairs = new Set<Pair>();
  let mode: CutMode | undefined;
  let accepted = 0;

  const destroy = (p: Pair) => {
    p.client.destroy();
    p.upstream.destroy();
    pairs.delete(p);
  };
  const setFlowing = (p: Pair, flowing: boolean) => {
    for (const s of [p.client, p.upstream]) (flowing ? s.resume() : s.pause());
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    accepted++;
    if (mode === "reset") {
      client.destroy();
      return;
    }
    const upstream = connect({ host, port: target.port });
    const pair: Pair = { client, upstream };
    pairs.add(pair);
    // pipe() would resume a paused socket on its own; forward by hand so a hold stays a hold
    const forward = (from: Socket, to: Socket) => {
      from.on("data", (chunk) => {
        if (!to.write(chunk)) {
          from.pause();
          to.once("drain", () => mode === undefined && from.resume());
        }
      });
      from.on("end", () => to.end());
      from.on("error", () => destroy(pair));
      from.on("close", () => destroy(pair));
    };
    forward(client, upstream);
    forward(upstream, client);
    upstream.once("connect", () => setFlowing(pair, mode === undefined));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the proxy has no TCP port");
  const port = address.port;

  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    get cutMode() {
      return mode;
    },
    cut(m: CutMode = "reset") {
      mode = m;
      for (const p of [...pairs]) (m === "reset" ? destroy(p) : setFlowing(p, false));
    },
    heal() {
      mode = undefined;
      for (const p of pairs) if (!p.upstream.connecting) setFlowing(p, true);
    },
    connections: () => pairs.size,
    accepted: () => accepted,
    async stop() {
      for (const p of [...pairs]) destroy(p);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
