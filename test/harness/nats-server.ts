// Starts a real nats-server for a test: a port chosen by the server itself
// (port -1, read back from its log, so no race for a port), a temporary
// JetStream folder, and a stop that always kills it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNatsProcess, terminate } from "../../src/cluster/processes.js";

export interface NatsServer {
  url: string;
  port: number;
  storeDir: string;
  pid(): number;
  /** Kills the server with SIGKILL, keeping its folder (start() brings it back). */
  crash(): Promise<void>;
  /** Stops the server, keeps its JetStream folder, starts it again on the same port. */
  restart(): Promise<void>;
  /** Stops the server without removing its folder. */
  kill(): Promise<void>;
  /** Starts it again after kill(). */
  start(): Promise<void>;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

export interface NatsServerOptions {
  jetstream?: boolean;
  /** The server's max_payload in bytes; default "8MB", as nats.conf. */
  maxPayload?: number;
}

export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServer> {
  const dir = mkdtempSync(join(tmpdir(), "rbus-nats-"));
  const storeDir = join(dir, "jetstream");
  const configFile = join(dir, "nats.conf");
  const writeConfig = (port: number) => {
    const lines = [`host: 127.0.0.1`, `port: ${port}`, `max_payload: ${opts.maxPayload ?? "8MB"}`];
    if (opts.jetstream !== false) lines.push(`jetstream { store_dir: "${storeDir}" }`);
    writeFileSync(configFile, lines.join("\n"));
  };
  writeConfig(-1);
  let { proc, port } = await startNatsProcess(configFile);
  writeConfig(port);
  const server: NatsServer = {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    pid: () => proc.pid!,
    kill: () => terminate(proc),
    async crash() {
      const gone = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGKILL");
      await gone;
    },
    async start() {
      ({ proc } = await startNatsProcess(configFile));
    },
    async restart() {
      await terminate(proc);
      await server.start();
    },
    async stop() {
      await terminate(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}
