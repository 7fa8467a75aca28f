// The bus's own ceiling: bare NATS request/reply with a trivial responder,
// per message and carrying a batch of messages per request.
import type { NatsConnection } from "@nats-io/transport-node";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { killOnExit, terminate } from "../../src/cluster/processes.js";
import { LatencyRecorder, atFixedRate, rate, runConcurrent, type Latency } from "../lib/stats.js";

const SUBJECT = "bench.echo";

/** The echo responder, in its own process (bench/echo-responder.ts). */
export async function startEchoProcess(url: string): Promise<() => Promise<void>> {
  const script = fileURLToPath(new URL("../echo-responder.js", import.meta.url));
  const proc = killOnExit(spawn(process.execPath, [script, url], { stdio: ["ignore", "pipe", "inherit"] }));
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.once("data", () => resolve());
    proc.once("exit", (code) => reject(new Error(`echo responder exited with ${code}`)));
  });
  return () => terminate(proc);
}

/** Publish → subscribe through the echo process at a fixed rate: the bus's own latency. */
export async function pubSubLatency(nc: NatsConnection, opts: { count: number; perSecond: number; size: number }): Promise<Latency> {
  const rec = new LatencyRecorder(opts.count);
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const sub = nc.subscribe("bench.latency.out", {
    callback: (_, m) => {
      rec.add(performance.now() - new DataView(m.data.buffer, m.data.byteOffset).getFloat64(0));
      if (rec.count >= opts.count) resolveDone();
    },
  });
  await nc.flush();
  const payload = new Uint8Array(Math.max(8, opts.size));
  const view = new DataView(payload.buffer);
  await atFixedRate(opts.count, opts.perSecond, () => {
    view.setFloat64(0, performance.now());
    nc.publish("bench.latency", payload);
  });
  await done;
  sub.unsubscribe();
  return rec.summary();
}

export async function requestReplyRate(nc: NatsConnection, opts: { messages: number; size: number; perRequest: number; inFlight: number }): Promise<number> {
  const payload = new Uint8Array(opts.size * opts.perRequest);
  const requests = Math.ceil(opts.messages / opts.perRequest);
  const ms = await runConcurrent(requests, opts.inFlight, () => nc.request(SUBJECT, payload, { timeout: 10_000 }));
  return rate(requests * opts.perRequest, ms);
}

export async function requestReplyLatency(nc: NatsConnection, opts: { count: number; size: number }): Promise<Latency> {
  const payload = new Uint8Array(opts.size);
  const rec = new LatencyRecorder(opts.count);
  for (let i = 0; i < opts.count; i++) {
    const t0 = performance.now();
    await nc.request(SUBJECT, payload, { timeout: 10_000 });
    rec.add(performance.now() - t0);
  }
  return rec.summary();
}
