// Development only: serves dist/dashboard/ with the fixture behind /api/*,
// and a stream that moves a few states every second, so the page can be
// looked at without a cluster. `node src/dashboard/web/dev/serve.mjs [port]`
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { machines, snapshot } from "./fixture.mjs";

const port = Number(process.argv[2] ?? 8097);
const dir = new URL("../../../../dist/dashboard/", import.meta.url);
const types = { html: "text/html", js: "text/javascript", css: "text/css" };
const laid = await machines();
let snap = snapshot();
const clients = new Set();
const send = (type, data) => { for (const res of clients) res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`); };

let tick = 0;
setInterval(() => {
  tick++;
  const now = Date.now();
  const liveness = ["alive", "suspect", "dead", "alive"][tick % 4];
  for (const n of ["ns-1", "ns-2"]) send("inspect", { node: n, actor: "liveness-broker-a.1", machine: "liveness", state: liveness, status: "active", event: "TICK", at: now });
  const role = [{ candidate: "preVote" }, { candidate: "voting" }, "master", "slave"][tick % 4];
  send("inspect", { node: "broker-a-2", actor: "role", machine: "role", state: role, status: "active", event: "TICK", at: now, context: { term: 3 + Math.floor(tick / 4), master: 0 } });
  send("inspect", { node: "billing@host-1", actor: "rebalance", machine: "rebalance", state: { running: { heartbeat: "waiting", balance: tick % 2 ? "refreshing" : "balanced" } }, status: "active", event: "xstate.after", at: now });
  if (tick % 2 === 0) {
    const last = snap.samples.at(-1);
    const brokers = Object.fromEntries(Object.entries(last.brokers).map(([k, b]) => [k, { ...b, put: b.put ? b.put + 400 + tick : 0, pull: b.pull ? b.pull + 350 : 0 }]));
    const s = { at: now, brokers, groupLag: { billing: 10 + (tick % 7) } };
    snap.samples.push(s);
    send("sample", s);
    send("event", { subject: "rbus.events.role.broker-a", kind: "role", at: now, data: { node: "broker-a-2", role } });
  }
}, 1000);

createServer(async (req, res) => {
  const url = new URL(req.url, "http://x");
  const json = (code, v) => { res.writeHead(code, { "content-type": "application/json" }); res.end(JSON.stringify(v)); };
  if (url.pathname === "/api/machines") return json(200, laid);
  if (url.pathname === "/api/snapshot") return json(200, snap);
  if (url.pathname === "/api/message") {
    if (url.searchParams.get("id") === "none") return json(404, { error: { code: "NOT_FOUND", message: "no message with that id" } });
    const m = { msgId: url.searchParams.get("id") ?? "0A0B0C", topic: url.searchParams.get("topic") ?? "orders", queueId: 1, queueOffset: 42, tags: "tagA", keys: url.searchParams.get("key") ?? "k1", properties: { TRACE: "on" }, bornAt: Date.now() - 5000, storedAt: Date.now() - 4990, body: "hello world" };
    return json(200, { messages: [m, { ...m, queueOffset: 43, body: "AAEC/w==", bodyEncoding: "base64" }] });
  }
  if (url.pathname === "/api/stream") {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.write(": hello\n\n");
    clients.add(res);
    req.on("close", () => clients.delete(res));
    return;
  }
  const file = url.pathname === "/" ? "index.html" : url.pathname.slice(1);
  try {
    const body = await readFile(new URL(file, dir));
    res.writeHead(200, { "content-type": types[file.split(".").pop()] ?? "application/octet-stream", "content-security-policy": "default-src 'self'" });
    res.end(body);
  } catch {
    res.writeHead(404).end();
  }
}).listen(port, "127.0.0.1", () => console.log(`http://127.0.0.1:${port}/`));
