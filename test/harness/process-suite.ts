// A uvu suite whose tests run rbus nodes as separate processes against one
// nats-server: the server, a client connection, a temporary folder for the
// nodes' data, and every process a test started killed at the end. The
// suite's own after() hooks run before that teardown (uvu runs hooks in
// the order they were added, and this one is added first): a test file's
// ReplicaGroup must stop before its folder is removed, or a broker still
// writing there makes the removal fail and ends the whole run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { Callback } from "uvu";
import { suite, type Test } from "./suite.js";
import { startNatsServer, type NatsServer } from "./nats-server.js";
import type { RbusProcess } from "./processes.js";

export interface ProcessCtx {
  server: NatsServer;
  nc: NatsConnection;
  dir: string;
  /** Processes to kill after the suite (push what you spawn). */
  procs: RbusProcess[];
}

export interface ProcessSuiteOptions {
  jetstream?: boolean;
  /** Connects the suite's own client (default: a plain connect). */
  connect?: (url: string) => Promise<NatsConnection>;
}

export function processSuite(name: string, opts: ProcessSuiteOptions = {}): Test<ProcessCtx> {
  const test = suite<ProcessCtx>(name);
  test.before(async (ctx) => {
    ctx.server = await startNatsServer(opts.jetstream === undefined ? {} : { jetstream: opts.jetstream });
    ctx.nc = await (opts.connect ?? ((servers: string) => connect({ servers })))(ctx.server.url);
    ctx.dir = mkdtempSync(join(tmpdir(), "rbus-procs-"));
    ctx.procs = [];
  });
  const afters: Array<Callback<ProcessCtx>> = [];
  test.after(async (ctx) => {
    try {
      for (const hook of afters) await hook(ctx);
    } finally {
      // SIGCONT first: a process a test left paused would not die until resumed by some signals' handlers
      await Promise.all(ctx.procs.map((p) => (p.proc.kill("SIGCONT"), p.kill("SIGKILL"))));
      await ctx.nc.close();
      await ctx.server.stop();
      rmSync(ctx.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    }
  });
  const after = ((hook: Callback<ProcessCtx>) => void afters.push(hook)) as Test<ProcessCtx>["after"];
  after.each = test.after.each;
  test.after = after;
  return test;
}
