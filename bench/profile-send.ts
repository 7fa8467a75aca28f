// CPU profiles of the send path: sendAsync of 100 B messages against one
// broker, the producer's process and the broker's each under --cpu-prof,
// then the top self-time functions of each.
//   node dist/bench/profile-send.js [--messages 500000] [--out <dir>] [--top 25] [--count-batches] [--flame <name>]
// --count-batches also counts the send.batch requests of the timed run (a
// subscription in the producer's process, which adds to its work), to say
// how many messages a batch carried.
// The .cpuprofile files stay in <dir>/producer and <dir>/broker (open them
// in Chrome's DevTools or speedscope); --flame <name> also draws each as a
// flame graph, <dir>/<name>-producer.svg and <dir>/<name>-broker.svg.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Admin } from "../src/client/admin.js";
import { subjects } from "../src/protocol/index.js";
import { waitUntil } from "../test/harness/wait.js";
import { startBenchCluster } from "./lib/cluster.js";
import { selfTimeTable } from "./lib/cpu-profile.js";
import { flameGraphSvg } from "./lib/flamegraph.js";
import { counterDelta, describeCounters, procCounters } from "./lib/proc-counters.js";
import { progress } from "./lib/progress.js";
import { cpuMeter, cpuMs } from "./lib/replicated-cpu.js";
import { sendAll, startProducer } from "./lib/rocketbus.js";
import { rate } from "./lib/stats.js";

const { values } = parseArgs({
  options: { messages: { type: "string", default: "500000" }, out: { type: "string" }, top: { type: "string", default: "25" }, child: { type: "boolean", default: false }, "count-batches": { type: "boolean", default: false }, flame: { type: "string" } },
});
const messages = Number(values.messages);

/** The profiled run: this process is the producer, started with --cpu-prof. */
async function child(): Promise<void> {
  const c = await startBenchCluster();
  try {
    await waitUntil("the broker's registration", () => new Admin(c.nc).createTopic({ topic: "profile", queues: 4 }), { timeoutMs: 30_000 });
    const producer = await startProducer(c.nc);
    const body = new Uint8Array(100).fill(97);
    await sendAll(producer, "profile", 20_000, () => body); // warm-up
    let batches = 0;
    const sub = values["count-batches"] ? c.nc.subscribe(subjects().broker("broker-a", 0, "send.batch"), { callback: () => void batches++ }) : undefined;
    if (sub) await c.nc.flush();
    const pids = { producer: "self" as const, broker: c.broker().pid!, "nats-server": c.server.pid() };
    const before = Object.entries(pids).map(([, pid]) => procCounters(pid));
    const cpu = cpuMeter({ broker: [pids.broker], "nats-server": [pids["nats-server"]] });
    const ms = await sendAll(producer, "profile", messages, () => body);
    const after = Object.entries(pids).map(([, pid]) => procCounters(pid));
    const spent = cpu();
    sub?.unsubscribe();
    const perBatch = sub ? `; ${batches} send.batch requests, ${(messages / batches).toFixed(1)} messages each` : "";
    progress(`sendAsync × ${messages}, 100 B: ${Math.round(rate(messages, ms))} msgs/s${perBatch}`);
    progress(`CPU per message (µs, user + system): ${Object.entries(spent).map(([k, v]) => `${k} ${((v * 1000) / messages).toFixed(2)}`).join(", ")}`);
    Object.keys(pids).forEach((who, i) => progress(`  ${who}: ${describeCounters(counterDelta(before[i]!, after[i]!), messages)}`));
    await producer.close();
    // a sampled profile charges time off the core to the stack it stopped in: compare its busy time with these
    const own = process.cpuUsage();
    progress(`CPU in the whole life of each process (s): producer ${((own.user + own.system) / 1e6).toFixed(2)}, broker ${(cpuMs(pids.broker) / 1000).toFixed(2)}`);
  } finally {
    await c.stop();
  }
}

async function parent(): Promise<void> {
  const out = values.out ?? mkdtempSync(join(tmpdir(), "rbus-profile-"));
  const self = fileURLToPath(import.meta.url);
  progress(`profiling sendAsync × ${messages} (100 B): producer → ${out}/producer, broker → ${out}/broker`);
  const proc = spawn(process.execPath, ["--cpu-prof", `--cpu-prof-dir=${join(out, "producer")}`, self, "--child", "--messages", String(messages), ...(values["count-batches"] ? ["--count-batches"] : [])], {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, RBUS_BENCH_PROFILE: join(out, "broker") },
  });
  const code = await new Promise<number | null>((r) => proc.on("exit", r));
  if (code !== 0) throw new Error(`the profiled run exited with ${code}`);
  const lines: string[] = [];
  for (const who of ["producer", "broker"]) {
    const dir = join(out, who);
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".cpuprofile"))) {
      lines.push(`## ${who}: ${join(dir, f)}`, "", ...selfTimeTable(join(dir, f), Number(values.top)), "");
      if (values.flame) {
        const svg = join(out, `${values.flame}-${who}.svg`);
        writeFileSync(svg, flameGraphSvg(join(dir, f), `${who}, sendAsync × ${messages} of 100 B (${values.flame})`));
        progress(`flame graph of the ${who}: ${svg}`);
      }
    }
  }
  process.stdout.write(lines.join("\n"));
}

await (values.child ? child() : parent());
