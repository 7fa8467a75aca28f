// The ceiling's far end: a process that answers every request on
// bench.echo with a small ack, and nothing else. Run by bench/run.ts.
import { connect } from "@nats-io/transport-node";

const nc = await connect({ servers: process.argv[2] ?? "127.0.0.1:4222", noAsyncTraces: true });
const ack = new TextEncoder().encode('{"ok":true}');
nc.subscribe("bench.echo", { callback: (_, m) => void m.respond(ack) });
nc.subscribe("bench.latency", { callback: (_, m) => void nc.publish("bench.latency.out", m.data) });
await nc.flush();
process.stdout.write("ready\n");
process.on("SIGTERM", () => void nc.drain().then(() => process.exit(0)));
