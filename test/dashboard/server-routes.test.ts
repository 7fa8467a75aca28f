import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import type { MachinesReply } from "../../src/dashboard/api.js";
import { layoutMachines } from "../../src/dashboard/layout.js";
import { assetRoute } from "../../src/dashboard/routes.js";
import { machinesRoute, serveDashboard, type DashboardServer } from "../../src/dashboard/server.js";
import { SseClients } from "../../src/dashboard/sse.js";
import { silentLogger } from "../../src/runtime/log.js";
import { waitUntil } from "../harness/wait.js";

const test = suite("dashboard routes");
let dash: DashboardServer;
let sse: SseClients;
const dir = mkdtempSync(join(tmpdir(), "rbus-dash-assets-"));
const assets = pathToFileURL(dir + "/");

test.before(async () => {
  writeFileSync(join(dir, "app.js"), "console.log('page')\n");
  sse = new SseClients({ keepAliveMs: 50, maxBufferBytes: 64 * 1024, log: silentLogger });
  dash = await serveDashboard({
    port: 0,
    routes: {
      "/api/machines": machinesRoute(await layoutMachines()),
      "/app.js": assetRoute(assets, "app.js"),
      "/": assetRoute(assets, "index.html"),
      "/api/stream": sse.route,
    },
    onClose: () => sse.close(),
  });
});
test.after(async () => {
  await dash.close();
  rmSync(dir, { recursive: true, force: true });
});

test("GET /api/machines answers every machine laid out", async () => {
  const res = await fetch(new URL("/api/machines", dash.url));
  assert.is(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  const body = (await res.json()) as MachinesReply;
  assert.ok(body.machines.some((m) => m.machine === "liveness" && m.states.some((s) => s.id === "suspect")));
});

test("every answer forbids loading from elsewhere", async () => {
  for (const path of ["/api/machines", "/nowhere"]) {
    const res = await fetch(new URL(path, dash.url));
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, /default-src 'self'/);
    assert.not.match(csp, /https?:|\*/);
    assert.is(res.headers.get("x-content-type-options"), "nosniff");
  }
  assert.is((await fetch(new URL("/nowhere", dash.url))).status, 404);
});

test("anything but GET is refused with 405", async () => {
  for (const method of ["POST", "PUT", "DELETE", "HEAD"]) {
    const res = await fetch(new URL("/api/machines", dash.url), { method });
    assert.is(res.status, 405, method);
    assert.is(res.headers.get("allow"), "GET");
  }
});

test("a request whose target is no URL is a 400, and the server carries on", async () => {
  const socket = tcpConnect(dash.port, "127.0.0.1");
  let answer = "";
  socket.setEncoding("utf8").on("data", (c: string) => (answer += c));
  socket.write("GET http://[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  await new Promise((r) => socket.once("close", r));
  assert.match(answer, /^HTTP\/1\.1 400/);
  assert.is((await fetch(new URL("/api/machines", dash.url))).status, 200);
});

test("the page's files come from the build folder; a missing one says to run make build", async () => {
  const js = await fetch(new URL("/app.js", dash.url));
  assert.is(js.status, 200);
  assert.match(js.headers.get("content-type") ?? "", /text\/javascript/);
  assert.is(await js.text(), "console.log('page')\n");
  const page = await fetch(new URL("/", dash.url));
  assert.is(page.status, 500);
  assert.match(await page.text(), /make build/);
});

/** Reads a stream's text as it comes, until stopped. */
async function readStream(path: string) {
  const res = await fetch(new URL(path, dash.url));
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const got = { text: "", done: false, res };
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return void (got.done = true);
      got.text += value;
    }
  })().catch(() => undefined);
  return { got, stop: async () => (await reader.cancel().catch(() => undefined), await pump) };
}

test("/api/stream: server-sent events, with a keep-alive comment while quiet", async () => {
  const { got, stop } = await readStream("/api/stream");
  assert.match(got.res.headers.get("content-type") ?? "", /^text\/event-stream/);
  await waitUntil("a keep-alive comment", () => got.text.includes(": keep-alive\n\n"));
  sse.send({ type: "sample", data: { at: 7, brokers: {}, groupLag: { billing: 3 } } });
  await waitUntil("the event", () => got.text.includes('event: sample\ndata: {"at":7,"brokers":{},"groupLag":{"billing":3}}\n\n'));
  await stop();
  await waitUntil("the client forgotten once it left", () => sse.size === 0);
});

test("a client that does not read is dropped once its unsent bytes pass the bound", async () => {
  const fast = await readStream("/api/stream");
  const socket = tcpConnect(dash.port, "127.0.0.1");
  await new Promise((r) => socket.once("connect", r));
  socket.write("GET /api/stream HTTP/1.1\r\nHost: x\r\n\r\n");
  socket.pause();
  await waitUntil("both clients connected", () => sse.size === 2);
  const big = { at: 1, brokers: {}, groupLag: {}, pad: "y".repeat(256 * 1024) };
  await waitUntil("the slow client dropped", () => {
    sse.send({ type: "sample", data: big });
    return sse.droppedSlow === 1 && sse.size === 1;
  }, { timeoutMs: 20_000, intervalMs: 5 });
  socket.destroy();
  assert.ok(fast.got.text.includes("event: sample"), "the reading client still gets events");
  await fast.stop();
});

test("closing ends the open streams", async () => {
  const { got } = await readStream("/api/stream");
  await waitUntil("connected", () => sse.size === 1);
  sse.close();
  await waitUntil("the stream ended", () => got.done);
});

test.run();
