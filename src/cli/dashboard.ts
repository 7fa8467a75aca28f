// rbus dashboard: serves the live dashboard page of a running cluster.
import { DEFAULT_DASHBOARD_PORT } from "../dashboard/server.js";
import { startDashboard } from "../dashboard/dashboard.js";
import { createLogger } from "../runtime/log.js";
import { connectFromFlags, intArg, untilSignal } from "./args.js";
import type { NatsFlags } from "./options.js";

export async function dashboardCommand(values: NatsFlags & { port?: string; host: string }): Promise<void> {
  const port = intArg(values.port, "port") ?? DEFAULT_DASHBOARD_PORT;
  const log = createLogger({ node: "dashboard" });
  const nc = await connectFromFlags(values, "rbus-dashboard");
  const dashboard = await startDashboard(nc, { prefix: values.prefix, port, host: values.host, log }).catch(async (err: unknown) => {
    await nc.close();
    throw err;
  });
  console.log(`dashboard: ${dashboard.url}`);
  log.info("dashboard started", { url: dashboard.url, nats: values.nats, prefix: values.prefix });
  untilSignal(async () => {
    await dashboard.close();
    await nc.drain();
    log.info("dashboard stopped");
  });
}
