// A broker process (rbus broker, with limit flags) on its own nats-server,
// and the requests the limits tests make of it: the broker runs apart from
// the test so that its event loop is measured alone.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { decodeJson, encodeJson, Header, subjects, type BrokerApi, type SendResult } from "../../src/protocol/index.js";
import { startNatsServer, type NatsServer } from "../harness/nats-server.js";
import { spawnRbus, type RbusProcess } from "../harness/processes.js";
import { waitUntil } from "../harness/wait.js";

export const GROUP = "broker-a";
const subj = subjects();
export const api = (a: BrokerApi | string) => subj.broker(GROUP, 0, a as BrokerApi);

export interface LimitsBroker {
  server: NatsServer;
  nc: NatsConnection;
  broker: RbusProcess;
  /** The broker's pid, for its memory in /proc. */
  pid: number;
  ask<T = Reply>(a: string, body: unknown, timeoutMs?: number): Promise<T & Reply>;
  send(topic: string, body: Uint8Array | string, queue?: number): Promise<SendResult & Reply>;
  status(): Promise<BrokerStatus>;
  /** Fails with the broker's output when it is gone. */
  assertAlive(): void;
  stop(): Promise<void>;
}

export type Reply = { error?: { code: string; message: string; details?: Record<string, unknown> } };
export interface BrokerStatus {
  pullsHeld: number;
  limits: Record<string, { max: number; used: number }> & { maxMessageBytes: number; maxPayload: number };
}

export async function startLimitsBroker(flags: string[] = [], opts: { maxPayload?: number } = {}): Promise<LimitsBroker> {
  const server = await startNatsServer({ jetstream: false, ...opts });
  const dir = mkdtempSync(join(tmpdir(), "rbus-limits-"));
  const nc = await connect({ servers: server.url });
  const broker = spawnRbus(["broker", "--nats", server.url, "--group", GROUP, "--data", dir, ...flags], { RBUS_LOG: "warn" });
  const lb: LimitsBroker = {
    server,
    nc,
    broker,
    pid: broker.proc.pid!,
    async ask<T>(a: string, body: unknown, timeoutMs = 5000) {
      const m = await nc.request(api(a), typeof body === "string" ? body : encodeJson(body), { timeout: timeoutMs });
      return decodeJson(m.data) as T & Reply;
    },
    async send(topic, body, queue) {
      const h = headers();
      h.set(Header.topic, topic);
      if (queue !== undefined) h.set(Header.queue, String(queue));
      const m = await nc.request(api("send"), body, { headers: h, timeout: 10_000 });
      return decodeJson(m.data) as SendResult & Reply;
    },
    status: () => lb.ask<BrokerStatus>("status", {}),
    assertAlive() {
      if (broker.proc.exitCode !== null || broker.proc.signalCode !== null) throw new Error(`the broker exited:\n${broker.output()}`);
    },
    async stop() {
      await broker.kill("SIGKILL");
      await nc.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await waitUntil("broker serving", () => lb.status().then((s) => s.limits !== undefined || !!s), { timeoutMs: 15_000 });
  return lb;
}

/** A pull whose reply goes to `reply` (nobody need listen there): held on the broker up to waitMs. */
export function publishPull(nc: NatsConnection, reply: string, req: Record<string, unknown>): void {
  nc.publish(api("pull"), encodeJson({ group: "g", queueId: 0, max: 32, ...req }), { reply });
}

/** Status requests every `everyMs` until stopped; the slowest answer's latency. */
export function watchLatency(lb: LimitsBroker, everyMs = 10) {
  let worst = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const t = performance.now();
      // an unanswered status counts as its timeout
      await lb.status().catch(() => undefined);
      worst = Math.max(worst, performance.now() - t);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop(): Promise<number> {
      stopped = true;
      await loop;
      return worst;
    },
  };
}
