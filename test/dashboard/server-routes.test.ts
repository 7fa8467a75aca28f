import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { MachinesReply } from "../../src/dashboard/api.js";
import { layoutMachines } from "../../src/dashboard/layout.js";
import { machinesRoute, serveDashboard, type DashboardServer } from "../../src/dashboard/server.js";

const test = suite("dashboard routes");
let dash: DashboardServer;

test.before(async () => {
  dash = await serveDashboard({ port: 0, routes: { "/api/machines": machinesRoute(await layoutMachines()) } });
});
test.after(async () => {
  await dash.close();
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

test.run();
